// Options shared by the commands: model selection (--model DIR|REPO_ID, or the built-in tiny test
// checkpoint) and the voice to clone (--ref-audio / --voice).

import ArgumentParser
import Foundation
import Qwen3TTS

/// A one-line error for the user; the tool prints it and exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

struct ModelOptions: ParsableArguments {
    @Option(help: """
        Checkpoint folder, or Hugging Face repo id (owner/name[@revision]) looked up in and downloaded to the \
        standard cache (HF_HUB_CACHE / HF_HOME; HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE are honoured). \
        Default: the built-in tiny test checkpoint.
        """)
    var model: String?

    @Option(help: "Compute threads (default: all cores).") var threads: Int?
    @Option(help: "Storage of the talker and code-predictor matrices: f32, bf16 (as stored, default), q8, q4.")
    var weights: String = "bf16"

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if WeightFormat(rawValue: weights) == nil {
            throw ValidationError("unknown --weights '\(weights)'; expected one of f32, bf16, q8, q4")
        }
    }

    /// The library's load options these flags describe.
    var loadOptions: LoadOptions {
        LoadOptions(model: model, threads: threads, weights: WeightFormat(rawValue: weights) ?? .bf16)
    }

    /// The folder to load: --model resolved locally or through the hub cache, or the built-in test checkpoint.
    func resolveDirectory() throws -> String {
        do { return try loadOptions.resolveDirectory(log: log) } catch let error as HubError { throw CLIError(error.description) }
    }

    func backend() -> Backend { loadOptions.makeBackend() }

    func load() throws -> Qwen3TTSModel { try Qwen3TTSModel(directory: resolveDirectory(), backend: backend()) }

    func loadSynthesizer(directory: String? = nil) throws -> Synthesizer {
        try Synthesizer(directory: directory ?? resolveDirectory(), backend: backend())
    }
}

/// The voice to clone: a reference recording (+ transcript for in-context cloning) or a saved voice file.
struct VoiceInputOptions: ParsableArguments {
    @Option(help: "Reference recording to clone (WAV, FLAC, MP3; Base models).") var refAudio: String?
    @Option(help: "Transcript of the reference recording (in-context cloning).") var refText: String?
    @Flag(help: "Clone from the speaker embedding only (no transcript needed).") var xVectorOnly = false
    @Option(help: "Longest reference recording accepted, in seconds.") var maxRefSeconds: Double = 60
    @Option(help: "Voice file made by `qwen3-tts voice create`.") var voice: String?

    func validate() throws {
        if refAudio != nil && voice != nil { throw ValidationError("give either --ref-audio or --voice, not both") }
        if refAudio == nil && (refText != nil || xVectorOnly) { throw ValidationError("--ref-text and --x-vector-only need --ref-audio") }
        if refAudio != nil && refText == nil && !xVectorOnly {
            throw ValidationError("in-context cloning needs --ref-text (the transcript of --ref-audio), or pass --x-vector-only")
        }
        if !(maxRefSeconds > 1) { throw ValidationError("--max-ref-seconds must be more than 1") }
    }

    /// The prompt these options describe, or nil when no voice was given.
    func voicePrompt(for model: Qwen3TTSModel) throws -> VoicePrompt? {
        if let voice { return try VoiceFile.load(voice, for: model) }
        guard let refAudio else { return nil }
        return try VoiceCloner(model: model).prompt(audioFile: refAudio, referenceText: refText, xVectorOnly: xVectorOnly,
                                                    maxSeconds: maxRefSeconds)
    }
}
