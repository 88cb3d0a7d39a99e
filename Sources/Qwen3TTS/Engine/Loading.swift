// App assembly, in the library so that the command-line tool and a server make the same choices:
// where a model comes from (folder, hub repo id, or the built-in test checkpoint), which backend
// runs it, and how request options combine with the checkpoint's generation defaults.

import Foundation

/// What to load and how to run it.
public struct LoadOptions: Sendable {
    /// A checkpoint folder, a Hugging Face repo id (`owner/name[@revision]`, looked up in and
    /// downloaded to the standard cache), or nil for the built-in tiny test checkpoint.
    public var model: String?
    /// Compute threads; nil uses every core.
    public var threads: Int?
    /// Storage of the talker and code-predictor matrices.
    public var weights: WeightFormat
    /// Where q8/q4 matrices are kept once packed, so later loads skip packing (nil: pack every
    /// time). Default: `QWEN3TTS_PACK_CACHE` (a folder, or `off`), else `~/.cache/qwen3-tts/packed`.
    public var packCache: PackedWeightCache?

    public init(model: String? = nil, threads: Int? = nil, weights: WeightFormat = .bf16,
                packCache: PackedWeightCache? = PackedWeightCache.fromEnvironment()) {
        self.model = model
        self.threads = threads
        self.weights = weights
        self.packCache = packCache
    }

    /// The folder to load. `log` hears about downloads and the built-in checkpoint.
    public func resolveDirectory(log: (String) -> Void = { _ in }) throws -> String {
        if let model { return try ModelLocator.resolve(model, progress: log) }
        return try BuiltinCheckpoint.directory(log: log)
    }

    /// The backend these options describe.
    public func makeBackend() -> Backend {
        CPUBackend(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, weights: weights,
                   packCache: packCache)
    }
}

/// The tiny random-weight CustomVoice checkpoint used when no model is named: the whole pipeline
/// runs offline on a fresh machine, but the audio is noise, not speech.
public enum BuiltinCheckpoint {
    /// Makes the checkpoint on first use under the user's cache folder and returns its path.
    public static func directory(log: (String) -> Void = { _ in }) throws -> String {
        let env = ProcessInfo.processInfo.environment
        // $HOME first, as every XDG tool does (NSHomeDirectory reads the password database on Linux).
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let cacheRoot = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (home + "/.cache")
        let dir = cacheRoot + "/qwen3-tts/builtin-tiny-custom-voice-v1"
        if !FileManager.default.fileExists(atPath: dir + "/speech_tokenizer/model.safetensors") {
            log("no model given: making the built-in tiny test checkpoint (random weights) in \(dir)")
            let tmp = dir + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            try? FileManager.default.removeItem(atPath: tmp)
            try RandomCheckpoint.write(shape: .tiny, variant: .customVoice, to: tmp)
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.moveItem(atPath: tmp, toPath: dir)
        }
        log("using the built-in tiny test checkpoint (random weights: not intelligible speech); name a model for a real one")
        return dir
    }
}

extension Synthesizer {
    /// Loads the model `options` names (resolving repo ids through the hub cache) on its backend.
    public convenience init(_ options: LoadOptions, log: (String) -> Void = { _ in }) throws {
        try self.init(directory: options.resolveDirectory(log: log), backend: options.makeBackend())
    }
}

extension Qwen3TTSModel {
    /// Loads the talker and code predictor `options` name (no codec; see `Synthesizer`).
    public convenience init(_ options: LoadOptions, log: (String) -> Void = { _ in }) throws {
        try self.init(directory: options.resolveDirectory(log: log), backend: options.makeBackend())
    }

    /// The checkpoint's generation defaults with `overrides` applied.
    public func generationOptions(_ overrides: GenerationOverrides = GenerationOverrides()) throws -> GenerationOptions {
        try GenerationOptions(generationConfig, overrides: overrides)
    }
}

/// A request's changes to the checkpoint's generation_config.json: nil keeps the default. The
/// precedence is the official wrapper's: an explicit value wins over the file.
public struct GenerationOverrides: Sendable, Equatable {
    /// Greedy decoding for both the talker and the code predictor.
    public var greedy = false
    public var temperature: Double?
    public var topK: Int?
    public var topP: Double?
    public var repetitionPenalty: Double?
    public var subtalkerTemperature: Double?
    public var subtalkerTopK: Int?
    public var subtalkerTopP: Double?
    public var seed: UInt64?
    /// Same meaning as the official `max_new_tokens`: N allows at most N-1 frames.
    public var maxNewTokens: Int?
    /// The runaway guard's frame limit (nil: derived from the text; 0: off).
    public var frameBudget: Int?

    public init() {}

    /// The values a request can set, by their request field names (as the OpenAI-style API and
    /// the official keyword arguments spell them).
    public enum Field: String, Sendable, CaseIterable {
        case temperature, topK = "top_k", topP = "top_p", repetitionPenalty = "repetition_penalty"
        case subtalkerTemperature = "subtalker_temperature", subtalkerTopK = "subtalker_top_k"
        case subtalkerTopP = "subtalker_top_p", maxNewTokens = "max_new_tokens", frameBudget = "frame_budget"
    }

    /// Throws `GenerationError.invalidRequest` for the first value out of range, calling the field
    /// what `name` says (a command-line tool passes its flag names).
    public func validate(naming name: (Field) -> String = { $0.rawValue }) throws {
        func check(_ ok: Bool, _ field: Field, _ rule: String) throws {
            if !ok { throw GenerationError.invalidRequest("\(name(field)) \(rule)") }
        }
        try check(temperature.map { $0 > 0 } ?? true, .temperature, "must be positive")
        try check(subtalkerTemperature.map { $0 > 0 } ?? true, .subtalkerTemperature, "must be positive")
        try check(topK.map { $0 >= 0 } ?? true, .topK, "must not be negative")
        try check(subtalkerTopK.map { $0 >= 0 } ?? true, .subtalkerTopK, "must not be negative")
        try check(topP.map { $0 > 0 && $0 <= 1 } ?? true, .topP, "must be in (0, 1]")
        try check(subtalkerTopP.map { $0 > 0 && $0 <= 1 } ?? true, .subtalkerTopP, "must be in (0, 1]")
        try check(repetitionPenalty.map { $0 > 0 } ?? true, .repetitionPenalty, "must be positive")
        try check(maxNewTokens.map { $0 >= 1 } ?? true, .maxNewTokens, "must be at least 1")
        try check(frameBudget.map { $0 >= 0 } ?? true, .frameBudget, "must not be negative")
    }
}

extension GenerationOptions {
    /// `g`'s defaults with `overrides` applied (validated first).
    public init(_ g: GenerationConfig, overrides o: GenerationOverrides) throws {
        try o.validate()
        self.init(g, seed: o.seed ?? 0)
        if o.greedy { talker.doSample = false; subtalker.doSample = false }
        if let v = o.temperature { talker.temperature = v }
        if let v = o.topK { talker.topK = v }
        if let v = o.topP { talker.topP = v }
        if let v = o.repetitionPenalty { repetitionPenalty = v }
        if let v = o.subtalkerTemperature { subtalker.temperature = v }
        if let v = o.subtalkerTopK { subtalker.topK = v }
        if let v = o.subtalkerTopP { subtalker.topP = v }
        if let v = o.maxNewTokens { maxNewTokens = v }
        frameBudget = o.frameBudget
    }
}
