// Token selection, following Hugging Face `generate` as the official package configures it:
// logits processors (repetition penalty, minimum new tokens, suppressed control ids) and then,
// when sampling, temperature -> top-k -> top-p -> softmax -> multinomial. Greedy is argmax after
// the processors. Upstream: `Qwen3TTSForConditionalGeneration.generate` (talker_kwargs) and
// transformers' logits_process.py.

import Foundation

/// How one token is chosen.
public struct SamplingParameters: Sendable, Equatable {
    public var doSample: Bool
    public var temperature: Double
    public var topK: Int
    public var topP: Double

    public init(doSample: Bool, temperature: Double, topK: Int, topP: Double) {
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    public static let greedy = SamplingParameters(doSample: false, temperature: 1, topK: 0, topP: 1)
}

/// The talker's logits rules (codebook 0).
public struct TalkerLogitsRules: Sendable {
    public var repetitionPenalty: Double
    /// EOS is banned while fewer than this many tokens have been generated.
    public var minNewTokens = 2
    public var eosID: Int
    /// Ids that can never be sampled: the control range [vocab - 1024, vocab) except EOS.
    public var suppressed: Range<Int>

    public init(repetitionPenalty: Double, eosID: Int, vocabSize: Int) {
        self.repetitionPenalty = repetitionPenalty
        self.eosID = eosID
        suppressed = max(0, vocabSize - 1024)..<vocabSize
    }

    /// Applies penalty, minimum length and suppression to `logits`, in Hugging Face's order.
    /// `history` holds the codebook-0 tokens generated so far.
    public func apply(to logits: inout [Float], history: [Int]) {
        if repetitionPenalty != 1.0 {
            let p = Float(repetitionPenalty)
            for id in Set(history) where id >= 0 && id < logits.count {
                logits[id] = logits[id] > 0 ? logits[id] / p : logits[id] * p
            }
        }
        if history.count < minNewTokens, eosID < logits.count { logits[eosID] = -.infinity }
        for id in suppressed where id != eosID && id < logits.count { logits[id] = -.infinity }
    }
}

/// A seeded sampler. Each stream owns one, so a seed reproduces a run exactly.
public struct Sampler: Sendable {
    public var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// Chooses a token from processed logits (consumed: they are modified in place when sampling).
    public mutating func choose(_ logits: inout [Float], _ p: SamplingParameters) -> Int {
        guard p.doSample else { return Sampler.argmax(logits) }
        // Temperature.
        if p.temperature != 1.0 {
            let t = Float(p.temperature)
            for i in logits.indices { logits[i] /= t }
        }
        // Top-k: drop everything below the k-th largest value (ties at the threshold survive).
        if p.topK > 0 && p.topK < logits.count {
            let threshold = logits.sorted(by: >)[p.topK - 1]
            for i in logits.indices where logits[i] < threshold { logits[i] = -.infinity }
        }
        // Softmax.
        let m = logits.max() ?? 0
        var probs = logits.map { $0 == -.infinity ? 0 : Double(expf($0 - m)) }
        // Top-p: keep the smallest set of most likely tokens whose mass exceeds top_p (at least one).
        if p.topP < 1.0 {
            let total = probs.reduce(0, +)
            let order = probs.indices.sorted { probs[$0] < probs[$1] }  // ascending, as HF sorts
            var cumulative = 0.0
            for (rank, i) in order.enumerated() where rank < order.count - 1 {
                cumulative += probs[i] / total
                if cumulative <= 1 - p.topP { probs[i] = 0 } else { break }
            }
        }
        let total = probs.reduce(0, +)
        guard total > 0 else { return Sampler.argmax(logits) }
        // Inverse-CDF draw with 53 random bits.
        let u = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0) * total
        var acc = 0.0
        var lastNonZero = 0
        for (i, q) in probs.enumerated() where q > 0 {
            acc += q
            lastNonZero = i
            if u < acc { return i }
        }
        return lastNonZero
    }

    /// Index of the largest value (the first one on ties, as torch.argmax).
    public static func argmax(_ x: [Float]) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }
}
