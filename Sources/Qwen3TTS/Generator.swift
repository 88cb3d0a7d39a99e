// The frame loop: prefill the talker with the prompt, then per frame sample codebook 0, let the
// code predictor fill codebooks 1..15, and feed the sum of the frame's code embeddings (plus the
// next text-track item) back to the talker. Upstream: the talker's HF `generate` with
// `Qwen3TTSTalkerForConditionalGeneration.forward` (modeling_qwen3_tts.py).

import Foundation

/// Why generation ended.
public enum StopReason: String, Sendable, Codable {
    /// The talker emitted the end-of-speech code.
    case eos
    /// `maxNewTokens` codebook-0 tokens were sampled (the last one is never expanded into a frame).
    case maxNewTokens = "max_new_tokens"
    /// The runaway guard: more frames than the text can plausibly need.
    case frameBudget = "frame_budget"
    /// The consumer asked to stop.
    case cancelled
}

/// Everything that decides how frames are chosen.
public struct GenerationOptions: Sendable {
    public var talker: SamplingParameters
    public var subtalker: SamplingParameters
    public var repetitionPenalty: Double
    /// Same meaning as the official `max_new_tokens`: N allows at most N-1 frames.
    public var maxNewTokens: Int
    /// Frame limit of the runaway guard; nil derives it from the text length, 0 disables it.
    public var frameBudget: Int?
    public var seed: UInt64
    /// False never samples the end-of-speech code, so every run makes exactly the frames the
    /// limits allow (benchmarks: comparable runs whatever the weights).
    public var allowEndOfSpeech = true
    /// Teacher forcing (quality measurement): frame t takes these codes instead of sampling, while
    /// the logits are still computed and observed. Frames beyond the list are sampled as usual.
    public var forcedFrames: [[Int]]? = nil

    public init(talker: SamplingParameters, subtalker: SamplingParameters, repetitionPenalty: Double,
                maxNewTokens: Int, frameBudget: Int? = nil, seed: UInt64 = 0) {
        self.talker = talker
        self.subtalker = subtalker
        self.repetitionPenalty = repetitionPenalty
        self.maxNewTokens = maxNewTokens
        self.frameBudget = frameBudget
        self.seed = seed
    }

    /// The checkpoint's generation_config.json defaults.
    public init(_ g: GenerationConfig, seed: UInt64 = 0) {
        self.init(talker: SamplingParameters(doSample: g.doSample, temperature: g.temperature, topK: g.topK, topP: g.topP),
                  subtalker: SamplingParameters(doSample: g.subtalkerDosample, temperature: g.subtalkerTemperature,
                                                topK: g.subtalkerTopK, topP: g.subtalkerTopP),
                  repetitionPenalty: g.repetitionPenalty, maxNewTokens: g.maxNewTokens, seed: seed)
    }

    /// The runaway guard's default: natural speech needs about 3-4 frames per text token; allow
    /// 12 per token plus 50 frames (4 s), so slow or expressive speech is never cut, but a
    /// generation that never emits EOS stops after a bounded time.
    public static func defaultFrameBudget(textTokens: Int) -> Int { 50 + 12 * textTokens }
}

public struct GenerationResult: Sendable {
    /// One row of `codeGroups` codes per frame.
    public var frames: [[Int]]
    public var stopReason: StopReason
    public var promptLength: Int
    /// Seconds spent in prefill, and in talker / code-predictor work over all frames.
    public var prefillSeconds: Double
    public var talkerSeconds: Double
    public var codePredictorSeconds: Double
}

/// Per-stream generation state: caches and scratch are allocated once per utterance.
final class Generator {
    let talker: Talker
    let codePredictor: CodePredictor
    let backend: Backend
    let eosID: Int

    init(talker: Talker, codePredictor: CodePredictor, backend: Backend) {
        self.talker = talker
        self.codePredictor = codePredictor
        self.backend = backend
        eosID = talker.config.codecEosTokenId
    }

    /// Generates frames for `prompt`. `onFrame` receives each frame as soon as it exists and returns
    /// false to stop. `observePrefill` sees the talker's per-layer activations during prefill.
    func run(_ prompt: Prompt, options o: GenerationOptions, onFrame: ([Int]) -> Bool,
             observePrefill: ((Int, UnsafePointer<Float>) -> Void)? = nil,
             observeStep: ((_ frame: Int, _ talkerLogits: [Float], _ subtalkerLogits: [[Float]]) -> Void)? = nil) throws -> GenerationResult {
        let h = talker.hidden
        let rows = prompt.prefill.count
        let budget = o.frameBudget ?? GenerationOptions.defaultFrameBudget(textTokens: prompt.textTokenCount)
        let maxFrames = max(0, o.maxNewTokens - 1)
        let frameLimit = budget > 0 ? min(budget, maxFrames) : maxFrames
        let capacity = min(rows + frameLimit + 1, talker.config.maxPositionEmbeddings)
        guard rows < capacity else {
            throw GenerationError.contextOverflow(needed: rows + 1, capacity: talker.config.maxPositionEmbeddings)
        }
        let cache = talker.makeCache(capacity: capacity)
        let scratch = DecoderScratch()
        let cpState = codePredictor.makeState()
        var rules = TalkerLogitsRules(repetitionPenalty: o.repetitionPenalty, eosID: eosID, vocabSize: talker.config.vocabSize)
        if !o.allowEndOfSpeech { rules.minNewTokens = .max }
        var sampler = Sampler(seed: o.seed)

        let clock = ContinuousClock()
        var t0 = clock.now
        let x = FloatBuffer(count: max(rows, 1) * h)
        for (r, row) in prompt.prefill.enumerated() { (x.pointer + r * h).update(from: row, count: h) }
        var (hidden, logits) = try talker.forward(x, rows: rows, cache: cache, scratch: scratch, backend: backend, observe: observePrefill)
        let prefillSeconds = (clock.now - t0).seconds
        var talkerSeconds = 0.0, cpSeconds = 0.0

        var history: [Int] = []
        var frames: [[Int]] = []
        var step = 0
        let stop: StopReason
        while true {
            var processed = logits
            rules.apply(to: &processed, history: history)
            let forced = o.forcedFrames.flatMap { frames.count < $0.count ? $0[frames.count] : nil }
            let c0 = forced?[0] ?? sampler.choose(&processed, o.talker)
            history.append(c0)
            if c0 == eosID { stop = .eos; break }
            if history.count >= o.maxNewTokens { stop = .maxNewTokens; break }
            if budget > 0 && frames.count >= budget { stop = .frameBudget; break }
            guard c0 >= 0 && c0 < codePredictor.config.vocabSize else {
                throw GenerationError.invalidRequest("talker chose control code \(c0) as an audio code")
            }

            t0 = clock.now
            let code0Embedding = talker.codecEmbedding(c0, backend: backend)
            var subLogits: [[Float]] = []
            let rest = try codePredictor.predict(pastHidden: hidden, code0Embedding: code0Embedding, state: cpState,
                                                 backend: backend) { k, l in
                if observeStep != nil { subLogits.append(l) }
                if let forced { return forced[k + 1] }
                return sampler.choose(&l, o.subtalker)
            }
            cpSeconds += (clock.now - t0).seconds
            let frame = [c0] + rest
            observeStep?(step, logits, subLogits)
            frames.append(frame)
            if !onFrame(frame) { stop = .cancelled; break }

            t0 = clock.now
            x.pointer.update(from: code0Embedding, count: h)
            codePredictor.addCodeEmbeddings(rest, into: x.pointer, backend: backend)
            backend.add(x.pointer, step < prompt.trailingText.count ? prompt.trailingText[step] : prompt.padEmbedding, count: h)
            step += 1
            (hidden, logits) = try talker.forward(x, rows: 1, cache: cache, scratch: scratch, backend: backend)
            talkerSeconds += (clock.now - t0).seconds
        }
        return GenerationResult(frames: frames, stopReason: stop, promptLength: rows, prefillSeconds: prefillSeconds,
                                talkerSeconds: talkerSeconds, codePredictorSeconds: cpSeconds)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
