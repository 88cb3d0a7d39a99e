// `qwen3-tts bench`: the engine's speed on one checkpoint, measured the way a user meets it —
// streaming synthesis with the decoder, model already loaded, warm-up excluded, end-of-speech
// disabled so every run makes the same number of frames. Use random weights of the real
// dimensions (`dev make-checkpoint --shape 0.6b`): they cost exactly what trained weights cost.

import ArgumentParser
import Foundation
import Qwen3TTS

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure load time, per-frame stage times, time to first audio and real-time factor.")

    @OptionGroup var model: ModelOptions
    @Option(help: "Frames per measured run (12.5 frames = 1 s of audio).") var frames: Int = 100
    @Option(help: "Measured runs (the table shows each, and the best).") var runs: Int = 2
    @Option(help: "Text to speak (default: a sentence of about 60 prompt positions).") var text: String?
    @Option(help: "CustomVoice speaker (default: the first one).") var speaker: String?
    @Option(help: "VoiceDesign instruction.") var instruct: String = "A calm, clear voice."
    @Option(help: "Also measure N streams generated together against the same N one after another (talker and code predictor; frames per second).")
    var streams: Int = 1
    @Option(help: "Frames the codec decodes together after the first (the streaming chunk size).") var decodeBatch: Int = 4
    @Flag(help: "Print JSON instead of a table.") var json = false

    func validate() throws {
        if frames < 1 { throw ValidationError("--frames must be at least 1") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if streams < 1 { throw ValidationError("--streams must be at least 1") }
        if decodeBatch < 1 { throw ValidationError("--decode-batch must be at least 1") }
    }

    struct Run: Codable {
        var frames: Int
        var prefillMs: Double
        var talkerMsPerFrame: Double
        var codePredictorMsPerFrame: Double
        var decoderMsPerFrame: Double
        var timeToFirstAudioMs: Double
        var totalSeconds: Double
        var audioSeconds: Double
        var realTimeFactor: Double
    }

    struct Report: Codable {
        var model: String
        var kind: String
        var threads: Int
        var loadSeconds: Double
        var promptPositions: Int
        var runs: [Run]
        var peakRSSMegabytes: Double
        var batch: Batch?
    }

    /// `--streams N`: generation (talker + code predictor, no codec) of N streams of `frames` frames.
    struct Batch: Codable {
        var streams: Int
        var sequentialFramesPerSecond: Double
        var batchedFramesPerSecond: Double
        var speedup: Double
    }

    func run() throws {
        let directory = try model.resolveDirectory()
        let clock = ContinuousClock()
        let t0 = clock.now
        let synthesizer = try model.loadSynthesizer(directory: directory)
        let loadSeconds = (clock.now - t0).seconds
        synthesizer.decodeBatch = decodeBatch

        let m = synthesizer.model
        var request = SpeechRequest(text: text ?? Self.defaultText, language: "english")
        switch m.kind {
        case .customVoice: request.speaker = speaker ?? m.speakers.first
        case .voiceDesign: request.instruct = instruct
        case .base:
            throw CLIError("bench runs CustomVoice and VoiceDesign checkpoints (a Base model needs a reference voice); "
                           + "make one with: qwen3-tts dev make-checkpoint --shape 0.6b --variant custom-voice --out DIR")
        }
        let promptPositions = try m.prompt(for: request).prefill.count
        var options = GenerationOptions(m.generationConfig)
        options.talker.doSample = false
        options.subtalker.doSample = false
        options.allowEndOfSpeech = false
        options.frameBudget = 0

        // Warm-up: first-touch of every weight page, scratch buffers, thread start-up.
        options.maxNewTokens = min(frames, 8) + 1
        _ = try synthesizer.run(request, options: options) { _ in }

        options.maxNewTokens = frames + 1
        var results: [Run] = []
        for _ in 0..<runs {
            let s = try synthesizer.run(request, options: options) { _ in }
            let n = Double(max(s.frames, 1))
            results.append(Run(
                frames: s.frames, prefillMs: s.prefillSeconds * 1e3, talkerMsPerFrame: s.talkerSeconds * 1e3 / n,
                codePredictorMsPerFrame: s.codePredictorSeconds * 1e3 / n, decoderMsPerFrame: s.decoderSeconds * 1e3 / n,
                timeToFirstAudioMs: (s.timeToFirstAudio ?? 0) * 1e3, totalSeconds: s.totalSeconds,
                audioSeconds: s.audioSeconds, realTimeFactor: s.realTimeFactor))
        }
        let batch = streams > 1 ? try measureBatch(m, request, options) : nil
        let report = Report(model: directory, kind: m.kind.rawValue, threads: model.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                            loadSeconds: loadSeconds, promptPositions: promptPositions, runs: results,
                            peakRSSMegabytes: peakResidentMegabytes(), batch: batch)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("model \(directory) (\(report.kind)), \(report.threads) threads, load \(String(format: "%.2f", loadSeconds)) s, "
              + "prompt \(promptPositions) positions, \(frames) frames per run (EOS off, greedy)")
        print("run  prefill ms  talker ms/frame  code predictor ms/frame  decoder ms/frame  first audio ms  real-time factor")
        for (i, r) in results.enumerated() {
            print(String(format: "%3d  %10.1f  %15.1f  %23.1f  %16.1f  %14.1f  %16.3f", i + 1, r.prefillMs, r.talkerMsPerFrame,
                         r.codePredictorMsPerFrame, r.decoderMsPerFrame, r.timeToFirstAudioMs, r.realTimeFactor))
        }
        let best = results.min { $0.realTimeFactor < $1.realTimeFactor }!
        print(String(format: "best real-time factor %.3f (%.2f s for %.2f s of audio); peak RSS %.0f MB",
                     best.realTimeFactor, best.totalSeconds, best.audioSeconds, report.peakRSSMegabytes))
        if let b = batch {
            print(String(format: "%d streams, talker + code predictor: one after another %.1f frames/s, batched %.1f frames/s (%.2fx)",
                         b.streams, b.sequentialFramesPerSecond, b.batchedFramesPerSecond, b.speedup))
        }
    }

    /// The same `streams` requests (seeds differ) generated one after another, then together.
    func measureBatch(_ m: Qwen3TTSModel, _ request: SpeechRequest, _ options: GenerationOptions) throws -> Batch {
        let clock = ContinuousClock()
        let seeded = (0..<streams).map { i -> GenerationOptions in
            var o = options
            o.seed = UInt64(i)
            return o
        }
        var t0 = clock.now
        var frames = 0
        for o in seeded { frames += try m.generate(request, options: o).frames.count }
        let sequential = Double(frames) / (clock.now - t0).seconds

        let batch = GenerationBatch(model: m)
        var batchedFrames = 0
        var failure: Error?
        for o in seeded {
            try batch.add(request, options: o, completion: { result in
                switch result {
                case .success(let r):
                    batchedFrames += r.frames.count
                    if ProcessInfo.processInfo.environment["QWEN3TTS_BENCH_VERBOSE"] != nil {
                        log(String(format: "batched stream: prefill %.0f ms, talker %.1f ms/step, code predictor %.1f ms/step",
                                   r.prefillSeconds * 1e3, r.talkerSeconds * 1e3 / Double(r.frames.count),
                                   r.codePredictorSeconds * 1e3 / Double(r.frames.count)))
                    }
                case .failure(let e): failure = e
                }
            })
        }
        t0 = clock.now
        batch.runToEnd()
        let batched = Double(batchedFrames) / (clock.now - t0).seconds
        if let failure { throw failure }
        return Batch(streams: streams, sequentialFramesPerSecond: sequential, batchedFramesPerSecond: batched,
                     speedup: batched / sequential)
    }

    /// A sentence of about 20 words (about 60 prompt positions with the CustomVoice layout).
    static let defaultText = "The quick brown fox jumps over the lazy dog, while the early train rolls into the station."
}

/// Peak resident set size of this process, in MB.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024)  // bytes
    #endif
}
