// `qwen3-tts dev weight-quality`: what each weight format costs in accuracy. A greedy run with
// f32 weights is the reference; each other format is then teacher-forced along the same codes,
// and its talker and code-predictor logits are compared with the reference's at every step:
// top-1 agreement (would greedy pick the same code?) and cosine similarity.

import ArgumentParser
import Foundation
import Qwen3TTS

struct WeightQualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weight-quality",
        abstract: "Teacher-forced logits of bf16/q8/q4 weights against f32 (top-1 agreement, cosine similarity).")

    @Option(help: "Checkpoint folder (CustomVoice or VoiceDesign).") var model: String
    @Option(help: "Frames of the reference run.") var frames: Int = 200
    @Option(help: "Formats to compare with f32, comma-separated.") var formats: String = "bf16,q8,q4"
    @Option(help: "Compute threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    struct Trace {
        var codes: [[Int]] = []
        var talker: [[Float]] = []
        var predictor: [[Float]] = []  // every code-predictor step of every frame
    }

    func run() throws {
        let list = try formats.split(separator: ",").map { name -> WeightFormat in
            guard let f = WeightFormat(rawValue: String(name)) else { throw ValidationError("unknown format '\(name)'") }
            return f
        }
        let reference = try trace(.f32, forced: nil)
        print("reference: f32 weights, \(reference.codes.count) greedy frames, EOS off; \(model)")
        print("format  talker top-1  talker cosine mean/min   predictor top-1  predictor cosine mean/min")
        for format in list {
            let t = try trace(format, forced: reference.codes)
            let (talkerTop1, talkerMean, talkerMin) = compare(t.talker, reference.talker)
            let (cpTop1, cpMean, cpMin) = compare(t.predictor, reference.predictor)
            print(String(format: "%-6@  %11.2f%%  %11.6f / %8.6f   %14.2f%%  %14.6f / %8.6f", format.rawValue as NSString,
                         talkerTop1 * 100, talkerMean, talkerMin, cpTop1 * 100, cpMean, cpMin))
        }
        print("codec decoder: float32 weights in every format (identical waveform for the same codes)")
    }

    private func trace(_ format: WeightFormat, forced: [[Int]]?) throws -> Trace {
        let m = try Qwen3TTSModel(directory: model, backend: CPUBackend(threads: threads, weights: format))
        var request = SpeechRequest(text: BenchCommand.defaultText, language: "english")
        switch m.kind {
        case .customVoice: request.speaker = m.speakers.first
        case .voiceDesign: request.instruct = "A calm, clear voice."
        case .base: throw CLIError("weight-quality runs CustomVoice and VoiceDesign checkpoints")
        }
        var options = GenerationOptions(m.generationConfig)
        options.talker.doSample = false
        options.subtalker.doSample = false
        options.allowEndOfSpeech = false
        options.frameBudget = 0
        options.maxNewTokens = frames + 1
        options.forcedFrames = forced
        var t = Trace()
        let (_, result) = try m.generateTraced(request, options: options, prefillLayer: { _, _ in }, step: { _, talker, sub in
            t.talker.append(talker)
            t.predictor += sub
        })
        t.codes = result.frames
        return t
    }

    /// (fraction of rows with the same argmax, mean cosine, min cosine).
    private func compare(_ a: [[Float]], _ b: [[Float]]) -> (Double, Double, Double) {
        var same = 0, sum = 0.0, least = 1.0
        for (x, y) in zip(a, b) {
            if argmax(x) == argmax(y) { same += 1 }
            var dot = 0.0, nx = 0.0, ny = 0.0
            for i in x.indices where x[i].isFinite && y[i].isFinite {
                dot += Double(x[i]) * Double(y[i]); nx += Double(x[i] * x[i]); ny += Double(y[i] * y[i])
            }
            let c = dot / max((nx * ny).squareRoot(), 1e-30)
            sum += c
            least = min(least, c)
        }
        let n = Double(max(min(a.count, b.count), 1))
        return (Double(same) / n, sum / n, least)
    }

    private func argmax(_ x: [Float]) -> Int { x.indices.max { x[$0] < x[$1] } ?? 0 }
}
