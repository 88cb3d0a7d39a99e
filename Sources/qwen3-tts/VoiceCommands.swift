// `qwen3-tts voice create` (save a reusable voice) and `qwen3-tts encode` (audio to codec codes).

import ArgumentParser
import AudioIO
import Foundation
import Qwen3TTS

struct VoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice", abstract: "Reusable cloned voices.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Make a voice file from a reference recording (Base models); use it with speak --voice.")

        @OptionGroup var model: ModelOptions
        @OptionGroup var voice: VoiceInputOptions
        @Option(help: "Voice file to write.") var output: String

        func validate() throws {
            if voice.refAudio == nil { throw ValidationError("give --ref-audio (and --ref-text, or --x-vector-only)") }
        }

        func run() throws {
            let loaded = try model.load()
            guard let prompt = try voice.voicePrompt(for: loaded) else { throw CLIError("no reference audio given") }
            try VoiceFile.save(prompt, for: loaded, to: output)
            log("wrote \(prompt.isICL ? "in-context" : "x-vector-only") voice to \(output)"
                + (prompt.referenceCodes.map { " (\($0.count) reference frames)" } ?? ""))
        }
    }
}

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode audio to codec codes; prints {\"codes\": [[16 ints], ...]}.")

    @OptionGroup var model: ModelOptions
    @Option(help: "Audio file (WAV, FLAC, MP3); mixed to mono and resampled to 24 kHz.") var audio: String
    @Option(help: "Longest audio accepted, in seconds.") var maxSeconds: Double = 600

    func run() throws {
        let dir = try model.resolveDirectory()
        let samples = try ReferenceAudio.load(path: audio, maxSeconds: maxSeconds)
        let encoder = try SpeechEncoder(directory: dir + "/speech_tokenizer", backend: model.backend())
        let codes = try encoder.encode(samples24k: samples)
        let rows = codes.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }
        print("{\"codes\": [" + rows.joined(separator: ", ") + "]}")
    }
}
