// `qwen3-tts decode`: codec codes (JSON) to audio, with the official offline decode.

import ArgumentParser
import AudioIO
import Foundation
import Qwen3TTS

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode codec codes ({\"codes\": [[16 ints], ...]}) to audio.")

    @OptionGroup var model: ModelOptions
    @Option(help: "Codes file, as written by speak --codes-output or encode.") var codes: String
    @Option(help: "Audio output file, or - for standard output.") var output: String
    @Option(help: "Audio format: wav (16-bit), wav-f32, pcm (s16le), flac, mp3, opus. Default: from the extension.")
    var format: String?

    func validate() throws {
        if let format, AudioFormat(name: format) == nil {
            throw ValidationError("unknown --format '\(format)'; expected wav, wav-f32, pcm, flac, mp3 or opus")
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let frames = try readCodes(codes)
        let dir = try model.resolveDirectory()
        let decoder = try SpeechDecoder(directory: dir + "/speech_tokenizer", backend: CPUBackend())
        let start = Date()
        let samples = try decoder.decode(frames)
        let seconds = Date().timeIntervalSince(start)
        let sink = try AudioIO.makeSink(format: try resolveFormat(output: output, format: format),
                                        destination: output == "-" ? .fileHandle(.standardOutput) : .file(output),
                                        sampleRate: decoder.sampleRate)
        try sink.write(samples)
        try sink.close()
        log(String(format: "decoded %d frames (%.2f s of audio) in %.2f s", frames.count,
                   Double(samples.count) / Double(decoder.sampleRate), seconds))
    }
}
