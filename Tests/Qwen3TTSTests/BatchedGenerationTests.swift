import Foundation
import Testing
@testable import Qwen3TTS

/// Streams generated together must each make exactly the codes they make alone: batching shares
/// the weight reads, never the state or the arithmetic of a row.
@Suite struct BatchedGenerationTests {
    /// Up to eight streams for one checkpoint: its golden requests (different modes and prompt
    /// lengths), greedy, and the same requests sampled with their own seeds.
    static func streams(_ structure: String, _ variant: String) throws -> [(SpeechRequest, GenerationOptions)] {
        let names = checkpointVariant.filter { $0.value == variant }.keys.sorted()
        var out: [(SpeechRequest, GenerationOptions)] = []
        for (i, name) in (names + names + names).enumerated() where out.count < 8 {
            var (r, o) = try request(for: try GoldenCase(structure, name))
            if i >= names.count {
                // Sampled, with a seed of its own and the official default sampling settings.
                o.talker = SamplingParameters(doSample: true, temperature: 0.9, topK: 50, topP: 1.0)
                o.subtalker = SamplingParameters(doSample: true, temperature: 0.9, topK: 50, topP: 1.0)
                o.seed = UInt64(1000 + i)
                o.maxNewTokens = 24 + 3 * i
            }
            out.append((r, o))
        }
        return out
    }

    static let cases: [(String, String)] = [
        ("custom_voice", "cpu"), ("voice_design", "cpu"), ("base", "cpu"), ("custom_voice", "cpu-q8"), ("custom_voice", "cpu-q4"),
        ("base", "reference"),
    ]

    @Test(arguments: cases)
    func batchedStreamsMatchStreamsAlone(_ c: (String, String)) throws {
        let (variant, backend) = c
        let model = try ModelCache.shared.model("tiny", variant, backend: backend)
        let streams = try Self.streams("tiny", variant)
        let alone = try streams.map { try model.generate($0.0, options: $0.1) }
        #expect(alone.contains { $0.frames.count > 3 }, "the runs should make frames")

        // The naive reference backend is slow: one batch of all its streams is enough there.
        for size in backend == "reference" ? [streams.count] : [1, 2, 5, 8] where size <= streams.count {
            let batch = GenerationBatch(model: model)
            var results = [GenerationResult?](repeating: nil, count: size)
            var framesSeen = [[[Int]]](repeating: [], count: size)
            // Streams join at different frames (0, 0, 1, 2, 3, ...) and leave when they end.
            var step = 0
            var added = 0
            while added < size || batch.count > 0 {
                while added < size && max(0, added - 1) <= step {
                    let i = added
                    try batch.add(streams[i].0, options: streams[i].1,
                                  onFrame: { framesSeen[i].append($0); return true },
                                  completion: { results[i] = try? $0.get() })
                    added += 1
                }
                batch.step()
                step += 1
            }
            for i in 0..<size {
                let r = try #require(results[i], "stream \(i) of \(size) did not finish")
                #expect(r.frames == alone[i].frames, "stream \(i) in a batch of \(size): codes differ from the stream alone")
                #expect(r.stopReason == alone[i].stopReason, "stream \(i) in a batch of \(size): stop reason")
                #expect(framesSeen[i] == r.frames, "stream \(i): frames handed out as made")
            }
        }
    }

    /// A stream that stops (its consumer says no more) leaves; the others go on unchanged.
    @Test func cancelledStreamLeavesTheBatch() throws {
        let model = try ModelCache.shared.model("tiny", "custom_voice")
        let streams = try Self.streams("tiny", "custom_voice")
        let alone = try model.generate(streams[1].0, options: streams[1].1)
        let batch = GenerationBatch(model: model)
        var first: GenerationResult?, second: GenerationResult?
        try batch.add(streams[0].0, options: streams[0].1, onFrame: { _ in false }, completion: { first = try? $0.get() })
        try batch.add(streams[1].0, options: streams[1].1, completion: { second = try? $0.get() })
        batch.runToEnd()
        #expect(first?.stopReason == .cancelled && first?.frames.count == 1)
        #expect(second?.frames == alone.frames)
    }

    /// A bad request fails when it is added, without touching the running streams.
    @Test func badRequestIsRejectedAtAdd() throws {
        let model = try ModelCache.shared.model("tiny", "custom_voice")
        let batch = GenerationBatch(model: model)
        #expect(throws: GenerationError.self) { try batch.add(SpeechRequest(text: "", speaker: "ryan"), completion: { _ in }) }
        #expect(batch.count == 0)
    }
}
