import Foundation
import Testing
@testable import Qwen3TTS

@Suite struct SamplerTests {
    let rules = TalkerLogitsRules(repetitionPenalty: 1.05, eosID: 2150, vocabSize: 3072)

    @Test func controlIdsAreSuppressedExceptEOS() {
        var logits = [Float](repeating: 0, count: 3072)
        logits[2500] = 50  // a control id with the largest logit
        logits[2150] = 40  // EOS
        logits[7] = 1
        rules.apply(to: &logits, history: [1, 2])
        #expect(logits[2500] == -.infinity)
        #expect(logits[2047] == 0 && logits[2048] == -.infinity && logits[3071] == -.infinity)
        #expect(logits[2150] == 40, "EOS stays selectable once the minimum length is reached")
        #expect(Sampler.argmax(logits) == 2150)
    }

    @Test func eosIsBannedForTheFirstTwoTokens() {
        for (history, banned) in [([Int](), true), ([5], true), ([5, 6], false), ([5, 6, 7], false)] {
            var logits = [Float](repeating: 0, count: 3072)
            logits[2150] = 10
            var r = rules
            r.repetitionPenalty = 1
            r.apply(to: &logits, history: history)
            #expect((logits[2150] == -.infinity) == banned, "history \(history)")
        }
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeOnce() {
        var logits = [Float](repeating: 0, count: 3072)
        logits[3] = 2.1
        logits[4] = -2.1
        logits[5] = 1
        rules.apply(to: &logits, history: [3, 4, 3, 3, 9, 9])
        #expect(abs(logits[3] - 2.1 / 1.05) < 1e-6, "penalized once, however often it occurred")
        #expect(abs(logits[4] - (-2.1 * 1.05)) < 1e-6)
        #expect(logits[5] == 1, "tokens outside the history are untouched")
        #expect(logits[9] == 0)
    }

    @Test func greedyIsArgmaxWithFirstIndexOnTies() {
        var s = Sampler(seed: 1)
        var logits: [Float] = [0, 3, 1, 3]
        #expect(s.choose(&logits, .greedy) == 1)
    }

    @Test func topKKeepsOnlyTheKLargest() {
        let p = SamplingParameters(doSample: true, temperature: 1, topK: 2, topP: 1)
        var s = Sampler(seed: 42)
        var seen = Set<Int>()
        for _ in 0..<500 {
            var logits: [Float] = [1, 5, 4.5, 0, 2, 3]
            seen.insert(s.choose(&logits, p))
        }
        #expect(seen == [1, 2])
    }

    @Test func topPKeepsTheSmallestSetAboveTheMass() {
        // Probabilities 0.5, 0.3, 0.15, 0.05: top_p 0.7 keeps {0, 1}; 0.85 keeps {0, 1, 2}.
        let logits: [Float] = [0.5, 0.3, 0.15, 0.05].map { Float(log($0)) }
        for (topP, expected) in [(0.7, Set([0, 1])), (0.85, Set([0, 1, 2])), (0.4, Set([0]))] {
            var s = Sampler(seed: 7)
            var seen = Set<Int>()
            for _ in 0..<2000 {
                var l = logits
                seen.insert(s.choose(&l, SamplingParameters(doSample: true, temperature: 1, topK: 0, topP: topP)))
            }
            #expect(seen == expected, "top_p \(topP)")
        }
    }

    @Test func temperatureSharpensTheDistribution() {
        let logits: [Float] = [1, 0]
        func frequencyOfFirst(_ t: Double) -> Double {
            var s = Sampler(seed: 3)
            var hits = 0
            for _ in 0..<4000 {
                var l = logits
                if s.choose(&l, SamplingParameters(doSample: true, temperature: t, topK: 0, topP: 1)) == 0 { hits += 1 }
            }
            return Double(hits) / 4000
        }
        // softmax([1, 0] / t)[0]: t = 1 -> 0.731, t = 0.25 -> 0.982.
        #expect(abs(frequencyOfFirst(1) - 0.731) < 0.03)
        #expect(abs(frequencyOfFirst(0.25) - 0.982) < 0.01)
    }

    @Test func samplingFrequenciesFollowTheSoftmax() {
        let logits: [Float] = [0.1, 0.2, 0.7].map { Float(log($0)) }
        var s = Sampler(seed: 11)
        var counts = [0, 0, 0]
        for _ in 0..<20000 {
            var l = logits
            counts[s.choose(&l, SamplingParameters(doSample: true, temperature: 1, topK: 0, topP: 1))] += 1
        }
        for (c, p) in zip(counts, [0.1, 0.2, 0.7]) { #expect(abs(Double(c) / 20000 - p) < 0.015) }
    }

    @Test func sameSeedSameDraws() {
        let p = SamplingParameters(doSample: true, temperature: 0.9, topK: 50, topP: 1)
        func draws(_ seed: UInt64) -> [Int] {
            var s = Sampler(seed: seed)
            var rng = SplitMix64(seed: 99)
            return (0..<200).map { _ in
                var l = (0..<300).map { _ in rng.nextSignedUnit() * 3 }
                return s.choose(&l, p)
            }
        }
        #expect(draws(5) == draws(5))
        #expect(draws(5) != draws(6))
    }
}
