// The frame loop, for any number of streams at once. Per frame and stream: sample codebook 0 from
// the talker's logits, let the code predictor fill codebooks 1..15, and feed the sum of the
// frame's code embeddings (plus the next text-track item) back to the talker. All streams of a
// step share each pass over the weights (their rows are gathered into matrix-matrix work) while
// each keeps its own caches, positions, sampler and history: a greedy stream makes exactly the
// codes it makes alone. One stream is the batch of one.
// Upstream: the talker's HF `generate` with `Qwen3TTSTalkerForConditionalGeneration.forward`.

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
    /// Seconds spent in prefill, and in talker / code-predictor work over all frames (for a stream
    /// batched with others: the wall time of the batched steps it took part in).
    public var prefillSeconds: Double
    public var talkerSeconds: Double
    public var codePredictorSeconds: Double
}

/// One utterance being generated: all of its state, and nothing another stream shares.
final class GenerationStream {
    let prompt: Prompt
    let options: GenerationOptions
    /// The runaway guard (0: off).
    let budget: Int
    let talkerCache: KVCache
    let predictorCache: KVCache
    var sampler: Sampler
    var rules: TalkerLogitsRules
    /// Codebook-0 tokens sampled so far (the repetition penalty's history).
    var history: [Int] = []
    var frames: [[Int]] = []
    /// The talker's final-normed hidden state of the newest position (a backend buffer: only the
    /// code predictor reads it), and its codec logits (read back: sampling needs them).
    let hidden: FloatBuffer
    var logits: [Float] = []
    var prefilled = false
    /// Set when the stream ends: a stop reason, or the error that ended it.
    var stopReason: StopReason?
    var failure: Error?
    var prefillSeconds = 0.0, talkerSeconds = 0.0, codePredictorSeconds = 0.0

    let onFrame: ([Int]) -> Bool
    let observePrefill: ((Int, UnsafePointer<Float>) -> Void)?
    let observeStep: ((_ frame: Int, _ talkerLogits: [Float], _ subtalkerLogits: [[Float]]) -> Void)?
    /// This frame's codebook 0 and (when observed) the code predictor's logits.
    fileprivate var code0 = 0
    fileprivate var subLogits: [[Float]] = []

    init(prompt: Prompt, options o: GenerationOptions, talker: Talker, codePredictor: CodePredictor, backend: Backend,
         onFrame: @escaping ([Int]) -> Bool,
         observePrefill: ((Int, UnsafePointer<Float>) -> Void)? = nil,
         observeStep: ((Int, [Float], [[Float]]) -> Void)? = nil) throws {
        let rows = prompt.prefill.count
        budget = o.frameBudget ?? GenerationOptions.defaultFrameBudget(textTokens: prompt.textTokenCount)
        let maxFrames = max(0, o.maxNewTokens - 1)
        let frameLimit = budget > 0 ? min(budget, maxFrames) : maxFrames
        let capacity = min(rows + frameLimit + 1, talker.config.maxPositionEmbeddings)
        guard rows < capacity else {
            throw GenerationError.contextOverflow(needed: rows + 1, capacity: talker.config.maxPositionEmbeddings)
        }
        self.prompt = prompt
        options = o
        talkerCache = talker.makeCache(capacity: capacity, backend: backend)
        predictorCache = codePredictor.makeCache(backend: backend)
        hidden = backend.makeBuffer(count: talker.hidden)
        sampler = Sampler(seed: o.seed)
        rules = TalkerLogitsRules(repetitionPenalty: o.repetitionPenalty, eosID: talker.config.codecEosTokenId,
                                  vocabSize: talker.config.vocabSize)
        if !o.allowEndOfSpeech { rules.minNewTokens = .max }
        self.onFrame = onFrame
        self.observePrefill = observePrefill
        self.observeStep = observeStep
    }

    var isFinished: Bool { stopReason != nil || failure != nil }

    /// The outcome, once finished.
    var result: Result<GenerationResult, Error> {
        if let failure { return .failure(failure) }
        return .success(GenerationResult(frames: frames, stopReason: stopReason ?? .cancelled, promptLength: prompt.prefill.count,
                                         prefillSeconds: prefillSeconds, talkerSeconds: talkerSeconds,
                                         codePredictorSeconds: codePredictorSeconds))
    }

    /// Codes to force for the frame about to be made (teacher forcing), if any.
    fileprivate var forcedFrame: [Int]? {
        options.forcedFrames.flatMap { frames.count < $0.count ? $0[frames.count] : nil }
    }
}

/// Advances streams frame by frame. Holds only the batch's scratch memory (no stream state), so
/// streams can join and leave between any two steps. Not thread-safe: one caller steps it.
final class Generator {
    let talker: Talker
    let codePredictor: CodePredictor
    let backend: Backend
    private let talkerScratch = TransformerScratch()
    private let predictorScratch = CodePredictor.Scratch()
    private var streamsAllocated = 0
    private var x = FloatBuffer(count: 0)          // [N (or prompt rows), hidden] talker input / output
    private var lastRows = FloatBuffer(count: 0)   // [N, hidden]
    private var logits = FloatBuffer(count: 0)     // [N, vocab]
    private var code0 = FloatBuffer(count: 0)      // [N, hidden] E_c(codebook 0)
    private var embedding = FloatBuffer(count: 0)  // [hidden]

    init(talker: Talker, codePredictor: CodePredictor, backend: Backend) {
        self.talker = talker
        self.codePredictor = codePredictor
        self.backend = backend
    }

    func makeStream(_ prompt: Prompt, options: GenerationOptions, onFrame: @escaping ([Int]) -> Bool = { _ in true },
                    observePrefill: ((Int, UnsafePointer<Float>) -> Void)? = nil,
                    observeStep: ((Int, [Float], [[Float]]) -> Void)? = nil) throws -> GenerationStream {
        try GenerationStream(prompt: prompt, options: options, talker: talker, codePredictor: codePredictor, backend: backend,
                             onFrame: onFrame, observePrefill: observePrefill, observeStep: observeStep)
    }

    /// Generates one stream to its end: the batch of one.
    func run(_ stream: GenerationStream) throws -> GenerationResult {
        while !stream.isFinished { step([stream]) }
        return try stream.result.get()
    }

    /// Makes one frame for every unfinished stream in `streams` (prefilling those that are new).
    /// A stream that fails records its error and leaves; the others go on.
    func step(_ streams: [GenerationStream]) {
        let clock = ContinuousClock()
        // New streams prefill alone: long, one-off passes whose products may use any algorithm.
        for s in streams where !s.prefilled && !s.isFinished {
            let t0 = clock.now
            do { try prefill(s) } catch { s.failure = error }
            s.prefillSeconds = (clock.now - t0).seconds
        }

        // Codebook 0 for each stream, and the stop rules.
        var active: [GenerationStream] = []
        for s in streams where !s.isFinished {
            var processed = s.logits
            s.rules.apply(to: &processed, history: s.history)
            let c0 = s.forcedFrame?[0] ?? s.sampler.choose(&processed, s.options.talker)
            s.history.append(c0)
            if c0 == s.rules.eosID { s.stopReason = .eos; continue }
            if s.history.count >= s.options.maxNewTokens { s.stopReason = .maxNewTokens; continue }
            if s.budget > 0 && s.frames.count >= s.budget { s.stopReason = .frameBudget; continue }
            guard c0 >= 0 && c0 < codePredictor.config.vocabSize else {
                s.failure = GenerationError.invalidRequest("talker chose control code \(c0) as an audio code")
                continue
            }
            s.code0 = c0
            s.subLogits.removeAll()
            active.append(s)
        }
        guard !active.isEmpty else { return }
        let n = active.count, h = talker.hidden
        ensure(streams: n)

        // Codebooks 1..15 for all of them together.
        var t0 = clock.now
        for (i, s) in active.enumerated() { backend.copy(lastRows.pointer + i * h, s.hidden.pointer, count: h) }
        talker.codecEmbeddings(active.map(\.code0), into: code0.pointer, backend: backend)
        let rest: [[Int]]
        do {
            rest = try codePredictor.predict(pastHidden: lastRows.pointer, code0Embeddings: code0.pointer,
                                             caches: active.map(\.predictorCache), scratch: predictorScratch,
                                             backend: backend) { i, k, l in
                let s = active[i]
                if s.observeStep != nil { s.subLogits.append(l) }
                if let forced = s.forcedFrame { return forced[k + 1] }
                return s.sampler.choose(&l, s.options.subtalker)
            }
        } catch {
            for s in active { s.failure = error }
            return
        }
        let cpSeconds = (clock.now - t0).seconds

        // Hand out the frames; the streams that go on feed them back to the talker.
        var next: [(stream: GenerationStream, row: Int)] = []
        for (i, s) in active.enumerated() {
            s.codePredictorSeconds += cpSeconds
            let frame = [s.code0] + rest[i]
            s.observeStep?(s.frames.count, s.logits, s.subLogits)
            s.frames.append(frame)
            if !s.onFrame(frame) { s.stopReason = .cancelled; continue }
            guard s.talkerCache.stored < s.talkerCache.capacity else {
                s.failure = GenerationError.contextOverflow(needed: s.talkerCache.position + 1, capacity: s.talkerCache.capacity)
                continue
            }
            next.append((s, i))
        }
        guard !next.isEmpty else { return }
        t0 = clock.now
        for (r, item) in next.enumerated() {
            let s = item.stream, row = x.pointer + r * h
            backend.copy(row, code0.pointer + item.row * h, count: h)
            codePredictor.addCodeEmbeddings(rest[item.row], into: row, scratch: embedding.pointer, backend: backend)
            let step = s.frames.count - 1
            backend.add(row, step < s.prompt.trailingText.count ? s.prompt.trailingText[step] : s.prompt.padEmbedding, count: h)
        }
        do {
            try talker.forward(x.pointer, segments: next.map { Segment(cache: $0.stream.talkerCache, rows: 1) },
                               logits: logits.pointer, scratch: talkerScratch, lastRows: lastRows.pointer,
                               backend: backend, batchInvariant: true)
        } catch {
            for item in next { item.stream.failure = error }
            return
        }
        let talkerSeconds = (clock.now - t0).seconds
        for (r, item) in next.enumerated() {
            backend.copy(item.stream.hidden.pointer, x.pointer + r * h, count: h)
            item.stream.logits = readLogits(row: r)
            item.stream.talkerSeconds += talkerSeconds
        }
    }

    /// The prompt through the talker: the first logits and hidden state.
    private func prefill(_ s: GenerationStream) throws {
        let h = talker.hidden, rows = s.prompt.prefill.count
        if x.count < rows * h { x = backend.makeBuffer(count: rows * h) }
        ensure(streams: 1)
        for (r, row) in s.prompt.prefill.enumerated() { backend.copy(x.pointer + r * h, row, count: h) }
        try talker.forward(x.pointer, segments: [Segment(cache: s.talkerCache, rows: rows)], logits: logits.pointer,
                           scratch: talkerScratch, lastRows: lastRows.pointer, backend: backend, batchInvariant: false,
                           observe: s.observePrefill)
        backend.copy(s.hidden.pointer, x.pointer + (rows - 1) * h, count: h)
        s.logits = readLogits(row: 0)
        s.prefilled = true
    }

    /// Row `row` of the logits, read back for sampling.
    private func readLogits(row: Int) -> [Float] {
        let vocab = talker.config.vocabSize
        return backend.read(logits.pointer + row * vocab, count: vocab)
    }

    private func ensure(streams n: Int) {
        let h = talker.hidden
        if x.count < n * h { x = backend.makeBuffer(count: n * h) }
        if embedding.count < h { embedding = backend.makeBuffer(count: h) }
        guard n > streamsAllocated else { return }
        streamsAllocated = n
        lastRows = backend.makeBuffer(count: n * h)
        logits = backend.makeBuffer(count: n * talker.config.vocabSize)
        code0 = backend.makeBuffer(count: n * h)
    }
}

extension Duration {
    /// The duration in seconds, as a Double (for timings and rates).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
