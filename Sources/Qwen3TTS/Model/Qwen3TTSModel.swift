// A loaded checkpoint folder: configurations, tokenizer, talker and code predictor, ready to
// turn text into codec frames. Upstream: `Qwen3TTSModel.from_pretrained` (inference wrapper).

import Foundation

public final class Qwen3TTSModel: @unchecked Sendable {
    public let directory: String
    public let config: ModelConfig
    public let generationConfig: GenerationConfig
    public let speechTokenizerConfig: SpeechTokenizerConfig
    public let tokenizer: Qwen2Tokenizer
    let talker: Talker
    let codePredictor: CodePredictor
    public let backend: Backend

    /// Loads `directory` (the official Hugging Face layout). Weights are memory-mapped, not copied.
    public init(directory: String, backend: Backend) throws {
        self.directory = directory
        self.backend = backend
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw ConfigurationError.missingFile(path: directory)
        }
        config = try ModelConfig.load(path: directory + "/config.json")
        generationConfig = try GenerationConfig.load(path: directory + "/generation_config.json")
        speechTokenizerConfig = try SpeechTokenizerConfig.load(path: directory + "/speech_tokenizer/config.json")
        tokenizer = try Qwen2Tokenizer(directory: URL(fileURLWithPath: directory))
        let weights = try SafeTensorsCheckpoint(directory: directory)
        talker = try Talker(weights, config: config.talkerConfig)
        codePredictor = try CodePredictor(weights, talker: config.talkerConfig)
        // The backend converts the matrices to its storage format (e.g. q8) once, here.
        backend.prepare(talker.linearLayers + codePredictor.linearLayers)
    }

    public var kind: ModelKind { config.ttsModelType }
    public var speakers: [String] { config.talkerConfig.spkId.keys.sorted() }
    public var languages: [String] { ["auto"] + config.talkerConfig.codecLanguageId.keys.filter { !$0.contains("dialect") }.sorted() }

    /// Builds the prompt for a request (exposed for tests and tools).
    public func prompt(for request: SpeechRequest) throws -> Prompt {
        try PromptBuilder(config: config, talker: talker, codePredictor: codePredictor, tokenizer: tokenizer, backend: backend)
            .build(request)
    }

    /// Generates the codec frames of `request`. `onFrame` gets each frame as soon as it is made and
    /// returns false to stop early.
    public func generate(_ request: SpeechRequest, options: GenerationOptions,
                         onFrame: ([Int]) -> Bool = { _ in true }) throws -> GenerationResult {
        let p = try prompt(for: request)
        let generator = makeGenerator()
        // The stream keeps `onFrame` only while `run` runs.
        return try withoutActuallyEscaping(onFrame) { onFrame in
            try generator.run(try generator.makeStream(p, options: options, onFrame: onFrame))
        }
    }

    /// Like `generate`, also reporting intermediates (per-layer prefill activations of the last
    /// position, per-frame logits) for comparison with reference dumps.
    public func generateTraced(_ request: SpeechRequest, options: GenerationOptions,
                               prefillLayer: @escaping (Int, [Float]) -> Void,
                               step: @escaping (Int, [Float], [[Float]]) -> Void) throws -> (Prompt, GenerationResult) {
        let p = try prompt(for: request)
        let h = talker.hidden, rows = p.prefill.count
        let generator = makeGenerator()
        let stream = try generator.makeStream(
            p, options: options,
            observePrefill: { i, x in prefillLayer(i, Array(UnsafeBufferPointer(start: x + (rows - 1) * h, count: h))) },
            observeStep: step)
        return (p, try generator.run(stream))
    }

    func makeGenerator() -> Generator { Generator(talker: talker, codePredictor: codePredictor, backend: backend) }
}
