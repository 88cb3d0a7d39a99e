// `qwen3-tts dev ...`: developer tools (random checkpoints for tests and benchmarks, GEMM bench).

import ArgumentParser
import Foundation
import Qwen3TTS

struct DevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Developer tools.",
        subcommands: [MakeCheckpoint.self, Inspect.self, GemmBenchCommand.self, DecoderBenchCommand.self, WeightQualityCommand.self])

    struct MakeCheckpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "make-checkpoint",
            abstract: "Write a random-weight checkpoint in the official Hugging Face layout.",
            discussion: """
                0.6b and 1.7b have the real dimensions (bf16 model.safetensors, f32 speech_tokenizer), so they \
                cost exactly what trained weights cost: use them for benchmarks. tiny is for tests.
                """)

        @Option(help: "Dimensions: \(RandomCheckpoint.Shape.allCases.map(\.rawValue).joined(separator: ", ")).")
        var shape: String = "tiny"

        @Option(help: "Model kind: \(RandomCheckpoint.Variant.allCases.map(\.rawValue).joined(separator: ", ")).")
        var variant: String = "custom-voice"

        @Option(help: "Output folder (must not exist yet, or be empty).")
        var out: String

        @Option(help: "Random seed.")
        var seed: UInt64 = 1234

        func run() throws {
            guard let shape = RandomCheckpoint.Shape(rawValue: shape) else {
                throw ValidationError("unknown --shape '\(shape)'; expected one of \(RandomCheckpoint.Shape.allCases.map(\.rawValue))")
            }
            guard let variant = RandomCheckpoint.Variant(rawValue: variant) else {
                throw ValidationError("unknown --variant '\(variant)'; expected one of \(RandomCheckpoint.Variant.allCases.map(\.rawValue))")
            }
            if let contents = try? FileManager.default.contentsOfDirectory(atPath: out), !contents.isEmpty {
                throw ValidationError("--out \(out) already exists and is not empty; refusing to overwrite it")
            }
            let start = Date()
            try RandomCheckpoint.write(shape: shape, variant: variant, to: out, seed: seed) { message in
                FileHandle.standardError.write(Data("\(message)\n".utf8))
            }
            let seconds = String(format: "%.1f", Date().timeIntervalSince(start))
            FileHandle.standardError.write(Data("wrote \(shape.rawValue) \(variant.rawValue) checkpoint to \(out) in \(seconds) s\n".utf8))
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Map a checkpoint folder, check every tensor against its configuration, and time it.")

        @Option(help: "Checkpoint folder.") var model: String

        func run() throws {
            let clock = ContinuousClock()
            let start = clock.now
            let config = try ModelConfig.load(path: model + "/config.json")
            let codecConfig = try SpeechTokenizerConfig.load(path: model + "/speech_tokenizer/config.json")
            let weights = try SafeTensorsCheckpoint(directory: model)
            let codec = try SafeTensorsCheckpoint(directory: model + "/speech_tokenizer")
            var bytes = 0
            for (ckpt, specs) in [(weights, CheckpointLayout.model(config)), (codec, CheckpointLayout.speechTokenizer(codecConfig))] {
                for s in specs {
                    let t = try ckpt.tensor(s.name, shape: s.shape)
                    bytes += t.byteCount
                }
            }
            let mapped = clock.now - start
            let model = try Qwen3TTSModel(directory: model, backend: ReferenceBackend())
            let loaded = clock.now - start
            print("""
                kind \(model.kind.rawValue), size \(config.ttsModelSize ?? "?"), talker \(config.talkerConfig.hiddenSize) wide x \
                \(config.talkerConfig.numHiddenLayers) layers; \(weights.names.count) + \(codec.names.count) tensors, \
                \(String(format: "%.2f", Double(bytes) / 1e9)) GB, all shapes as the configuration implies
                open + map + validate: \(mapped); full model load (talker, code predictor, tokenizer): \(loaded)
                """)
        }
    }
}
