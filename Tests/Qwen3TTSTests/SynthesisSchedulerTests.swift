import Foundation
import Testing
@testable import Qwen3TTS

/// The scheduler a server runs: requests generated together must each give exactly the audio the
/// synthesizer gives for them alone (single utterances and long texts cut into segments), the
/// queue is bounded, and a cancelled request stops.
@Suite(.serialized) struct SynthesisSchedulerTests {
    /// Its own synthesizer: the scheduler's engine thread owns the backend while it runs.
    static let synthesizer = Result {
        try Synthesizer(directory: fixturesDirectory.appendingPathComponent("checkpoints/tiny/custom_voice").path,
                        backend: CPUBackend(threads: 2))
    }

    static func options(_ s: Synthesizer, seed: UInt64, maxNewTokens: Int) throws -> GenerationOptions {
        var o = GenerationOverrides()
        o.seed = seed
        o.maxNewTokens = maxNewTokens
        return try s.model.generationOptions(o)
    }

    static func collect(_ events: AsyncThrowingStream<SynthesisEvent, Error>) async throws -> ([Float], SynthesisSummary?) {
        var samples: [Float] = []
        var summary: SynthesisSummary?
        for try await e in events {
            switch e {
            case .audio(let c): samples += c.samples
            case .finished(let s): summary = s
            }
        }
        return (samples, summary)
    }

    @Test func requestsTogetherSoundAsTheyDoAlone() async throws {
        let synth = try Self.synthesizer.get()
        let segmentation = Segmentation(mode: .sentence)
        let jobs: [(SpeechRequest, GenerationOptions)] = [
            (SpeechRequest(text: "One short line.", speaker: "ryan"), try Self.options(synth, seed: 1, maxNewTokens: 20)),
            // Three sentences: three segments joined with pauses and fades.
            (SpeechRequest(text: "First sentence here. A second one follows! And a third?", speaker: "vivian"),
             try Self.options(synth, seed: 2, maxNewTokens: 9)),
            (SpeechRequest(text: "Another voice, another seed.", speaker: "eric"), try Self.options(synth, seed: 3, maxNewTokens: 14)),
        ]
        var alone: [[Float]] = []
        var segmentsAlone: [Int] = []
        for (r, o) in jobs {
            var samples: [Float] = []
            let summary = try synth.run(r, options: o, segmentation: segmentation) { samples += $0.samples }
            alone.append(samples)
            segmentsAlone.append(summary.segments.count)
        }
        #expect(segmentsAlone == [1, 3, 1])

        let scheduler = SynthesisScheduler(synthesizer: synth, maxBatch: 3, maxQueue: 0)
        defer { scheduler.stop() }
        let peak = Tally()
        scheduler.onStep = { peak.record($0.activeStreams) }
        let streams = try jobs.map { try scheduler.submit($0.0, options: $0.1, segmentation: segmentation) }
        // Full: three running or waiting, no queue.
        #expect(throws: SchedulerError.self) { _ = try scheduler.submit(jobs[0].0, options: jobs[0].1) }
        for (i, stream) in streams.enumerated() {
            let (samples, summary) = try await Self.collect(stream)
            #expect(samples == alone[i], "request \(i) differs from its run alone")
            #expect(summary?.segments.count == segmentsAlone[i] && summary?.stopReason == .maxNewTokens)
            #expect(summary?.timeToFirstAudio != nil && summary!.audioSeconds > 0)
        }
        #expect(peak.value == 3)
        // The engine notes a request as gone right after the step that delivered its end.
        for _ in 0..<500 where scheduler.load.active > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(scheduler.load.active == 0 && scheduler.load.queued == 0)
    }

    @Test func cancellationStopsARequestWithinAFrame() async throws {
        let synth = try Self.synthesizer.get()
        let scheduler = SynthesisScheduler(synthesizer: synth, maxBatch: 2, maxQueue: 2)
        defer { scheduler.stop() }
        let flag = CancellationFlag()
        // The flag is set on the engine thread once 9 frames exist, so "within a frame" is exact:
        // a consumer reading the events may lag behind the engine.
        let made = Tally()
        scheduler.onStep = { load in
            made.add(load.framesMade)
            if made.value >= 9 { flag.set() }
        }
        let long = try scheduler.submit(SpeechRequest(text: String(repeating: "On and on. ", count: 30), speaker: "ryan"),
                                        options: try Self.options(synth, seed: 4, maxNewTokens: 3000),
                                        segmentation: Segmentation(mode: .none), cancellation: flag)
        let (samples, summary) = try await Self.collect(long)
        #expect(summary?.stopReason == .cancelled)
        #expect(summary?.frames == made.value, "no frame is delivered once the flag is set")
        #expect(made.value <= 10 && samples.count == (summary?.frames ?? 0) * 1920)
        scheduler.onStep = nil
        // A request whose consumer goes away is cancelled too, and the engine goes idle.
        do {
            let dropped = try scheduler.submit(SpeechRequest(text: String(repeating: "More words. ", count: 30), speaker: "ryan"),
                                               options: try Self.options(synth, seed: 5, maxNewTokens: 3000))
            for try await e in dropped { if case .audio = e { break } }
        }  // the stream and its iterator are gone here
        for _ in 0..<500 where scheduler.load.active > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(scheduler.load.active == 0)
    }

    @Test func badRequestsFailBeforeAnyAudio() async throws {
        let synth = try Self.synthesizer.get()
        let scheduler = SynthesisScheduler(synthesizer: synth)
        defer { scheduler.stop() }
        let stream = try scheduler.submit(SpeechRequest(text: "Hi.", speaker: "nobody"), options: try Self.options(synth, seed: 0, maxNewTokens: 5))
        await #expect(throws: GenerationError.self) { _ = try await Self.collect(stream) }
        scheduler.beginShutdown(grace: 0)
        #expect(throws: SchedulerError.self) { _ = try scheduler.submit(SpeechRequest(text: "Hi.", speaker: "ryan"), options: try Self.options(synth, seed: 0, maxNewTokens: 5)) }
    }
}

/// A running maximum (`record`) or sum (`add`), shared with the engine thread.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    func record(_ v: Int) { lock.lock(); peak = max(peak, v); lock.unlock() }
    func add(_ v: Int) { lock.lock(); peak += v; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return peak }
}
