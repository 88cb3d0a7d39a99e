// `qwen3-tts dev decoder-bench`: the codec decoder alone, streaming random codes in chunks, with
// the time of each stage. Short and repeatable, for comparing decoder changes on a noisy machine.

import ArgumentParser
import Foundation
import Qwen3TTS

struct DecoderBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decoder-bench",
        abstract: "Time the codec decoder alone on random codes, stage by stage (streaming chunks).")

    @OptionGroup var model: ModelOptions
    @Option(help: "Frames per run (12.5 frames = 1 s of audio).") var frames: Int = 48
    @Option(help: "Frames per push after the first (the streaming chunk size, as speak and bench use).") var chunk: Int = 4
    @Option(help: "Measured runs after one warm-up run; the best is reported.") var runs: Int = 5

    func validate() throws {
        guard frames > 0, chunk > 0, runs > 0 else { throw ValidationError("--frames, --chunk and --runs must be positive") }
    }

    func run() throws {
        let dir = try model.resolveDirectory()
        let decoder = try SpeechDecoder(directory: dir + "/speech_tokenizer", backend: model.backend())
        var rng = SystemRandomNumberGenerator()
        let codes = (0..<frames).map { _ in (0..<decoder.config.numQuantizers).map { _ in Int.random(in: 0..<decoder.config.codebookSize, using: &rng) } }
        let stream = decoder.makeStream()
        var best: StageTimes?, bestTotal = Double.infinity, totals: [Double] = []
        for run in 0...runs {
            let times = StageTimes()
            stream.reset()
            stream.stageTimes = times
            var start = 0
            while start < codes.count {
                // The first push is one frame (first audio as early as possible), then chunks.
                let end = min(codes.count, start == 0 ? 1 : start + chunk)
                _ = try stream.push(Array(codes[start..<end]))
                start = end
            }
            let total = times.stages.reduce(0) { $0 + $1.seconds }
            guard run > 0 else { continue }  // warm-up
            totals.append(total)
            if total < bestTotal { (best, bestTotal) = (times, total) }
        }
        let perFrame = { (s: Double) in s * 1000 / Double(frames) }
        print(String(format: "codec decoder, %d frames in pushes of %d, %d threads: ms/frame per run %@; best %.1f",
                     frames, chunk, model.threads ?? ProcessInfo.processInfo.activeProcessorCount, totals.map { String(format: "%.1f", perFrame($0)) }.joined(separator: " "),
                     perFrame(bestTotal)))
        for (name, seconds) in best?.stages ?? [] {
            print("  " + name.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: " %7.2f ms/frame %5.1f%%", perFrame(seconds), 100 * seconds / bestTotal))
        }
    }
}
