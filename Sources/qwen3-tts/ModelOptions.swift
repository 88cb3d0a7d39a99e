// Model selection shared by the commands: --model DIR, or the built-in tiny test checkpoint.

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
    @Option(help: "Checkpoint folder in the official Hugging Face layout (default: the built-in tiny test checkpoint).")
    var model: String?

    /// The folder to load: --model, or the built-in test checkpoint, made on first use.
    func resolveDirectory() throws -> String {
        if let model { return model }
        let cacheRoot = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        let dir = cacheRoot + "/qwen3-tts/builtin-tiny-custom-voice-v1"
        if !FileManager.default.fileExists(atPath: dir + "/model.safetensors") {
            log("no --model given: making the built-in tiny test checkpoint (random weights) in \(dir)")
            let tmp = dir + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            try? FileManager.default.removeItem(atPath: tmp)
            try RandomCheckpoint.write(shape: .tiny, variant: .customVoice, to: tmp)
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.moveItem(atPath: tmp, toPath: dir)
        }
        log("using the built-in tiny test checkpoint (random weights: not intelligible speech); pass --model for a real one")
        return dir
    }

    func load() throws -> Qwen3TTSModel {
        try Qwen3TTSModel(directory: resolveDirectory(), backend: ReferenceBackend())
    }
}
