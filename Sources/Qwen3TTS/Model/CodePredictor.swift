// The code predictor ("sub-talker"): given the talker's final hidden state and codebook 0 of a
// frame, it predicts codebooks 1..15 autoregressively with a fresh cache per frame.
// Upstream: `Qwen3TTSTalkerCodePredictorModelForConditionalGeneration` (modeling_qwen3_tts.py).

import Foundation

final class CodePredictor: @unchecked Sendable {
    let config: CodePredictorConfig
    let talkerHidden: Int
    /// talker.code_predictor.small_to_mtp_projection [cp_hidden, talker_hidden] + bias; only when
    /// the talker is wider than the predictor (1.7B). Identity otherwise.
    let projection: Linear?
    /// talker.code_predictor.model.codec_embedding.{k}.weight [vocab, talker_hidden]: table k embeds codebook k+1.
    let embeddings: [Tensor]
    let stack: TransformerStack  // talker.code_predictor.model.layers.*, .norm
    /// talker.code_predictor.lm_head.{k}.weight [vocab, cp_hidden]: head k predicts codebook k+1.
    let heads: [Linear]

    var codebooks: Int { heads.count }

    /// Every matrix, for `Backend.prepare`.
    var linearLayers: [Linear] { (projection.map { [$0] } ?? []) + heads + stack.linearLayers }

    init(_ w: SafeTensorsCheckpoint, talker t: TalkerConfig) throws {
        let c = t.codePredictorConfig
        config = c
        talkerHidden = t.hiddenSize
        let p = "talker.code_predictor"
        if t.hasCodePredictorProjection {
            projection = Linear(
                weight: try w.tensor("\(p).small_to_mtp_projection.weight", shape: [c.hiddenSize, t.hiddenSize], dtypes: floatWeightTypes),
                bias: try w.tensor("\(p).small_to_mtp_projection.bias", shape: [c.hiddenSize]))
        } else {
            projection = nil
        }
        let groups = t.numCodeGroups - 1
        embeddings = try (0..<groups).map {
            try w.tensor("\(p).model.codec_embedding.\($0).weight", shape: [c.vocabSize, t.hiddenSize], dtypes: floatWeightTypes)
        }
        heads = try (0..<groups).map {
            Linear(weight: try w.tensor("\(p).lm_head.\($0).weight", shape: [c.vocabSize, c.hiddenSize], dtypes: floatWeightTypes))
        }
        stack = try TransformerStack(w, prefix: "\(p).model", geometry: TransformerGeometry(
            hidden: c.hiddenSize, intermediate: c.intermediateSize, layers: c.numHiddenLayers, heads: c.numAttentionHeads,
            kvHeads: c.numKeyValueHeads, headDim: c.headDim, eps: Float(c.rmsNormEps), ropeTheta: c.ropeTheta))
    }

    /// A stream's cache: the frame's two inputs and 14 fed-back codes, reset every frame.
    func makeCache(backend: Backend) -> KVCache { stack.makeCache(capacity: codebooks + 1, backend: backend) }

    /// Activations of a batched pass, grown to the largest batch and reused (one per generator).
    final class Scratch {
        let transformer = TransformerScratch()
        private(set) var streams = 0
        var input = FloatBuffer(count: 0)   // [2N, talker_hidden] raw inputs
        var x = FloatBuffer(count: 0)       // [2N, cp_hidden] projected inputs / activations
        var last = FloatBuffer(count: 0)    // [N, cp_hidden] newest final-normed hidden per stream
        var logits = FloatBuffer(count: 0)  // [N, vocab]

        func ensure(streams n: Int, _ cp: CodePredictor, _ b: Backend) {
            guard n > streams else { return }
            streams = n
            input = b.makeBuffer(count: 2 * n * cp.talkerHidden)
            x = b.makeBuffer(count: 2 * n * max(cp.config.hiddenSize, cp.talkerHidden))
            last = b.makeBuffer(count: n * cp.config.hiddenSize)
            logits = b.makeBuffer(count: n * cp.config.vocabSize)
        }
    }

    /// Predicts codebooks 1..15 of one frame for each of N streams together (one pass over the
    /// weights per step for all of them). `pastHidden` [N, talker_hidden] holds the talker's
    /// final-normed hidden states, `code0Embeddings` [N, talker_hidden] the talker codec embeddings of
    /// codebook 0, `caches` one cache per stream. `choose(stream, step, logits)` picks each code.
    func predict(pastHidden: UnsafePointer<Float>, code0Embeddings: UnsafePointer<Float>, caches: [KVCache],
                 scratch s: Scratch, backend b: Backend,
                 choose: (_ stream: Int, _ step: Int, inout [Float]) throws -> Int) throws -> [[Int]] {
        let n = caches.count, th = talkerHidden, ch = config.hiddenSize, vocab = config.vocabSize
        s.ensure(streams: n, self, b)
        for i in 0..<n {
            caches[i].reset()
            b.copy(s.input.pointer + 2 * i * th, pastHidden + i * th, count: th)
            b.copy(s.input.pointer + (2 * i + 1) * th, code0Embeddings + i * th, count: th)
        }
        project(s.input.pointer, into: s.x.pointer, rows: 2 * n, backend: b)
        try stack.forward(s.x.pointer, segments: caches.map { Segment(cache: $0, rows: 2) }, scratch: s.transformer,
                          backend: b, batchInvariant: true)
        for i in 0..<n { b.copy(s.last.pointer + i * ch, s.x.pointer + (2 * i + 1) * ch, count: ch) }
        var codes = [[Int]](repeating: [], count: n)
        var logits = [Float](repeating: 0, count: vocab)
        var last = UnsafePointer(s.last.pointer)
        let steps = caches.map { Segment(cache: $0, rows: 1) }
        for step in 0..<codebooks {
            b.linear(heads[step], last, s.logits.pointer, rows: n, batchInvariant: true)
            for i in 0..<n {
                logits.withUnsafeMutableBufferPointer { b.read(s.logits.pointer + i * vocab, count: vocab, into: $0.baseAddress!) }
                let code = try choose(i, step, &logits)
                guard code >= 0 && code < vocab else {
                    throw GenerationError.invalidRequest("code predictor chose code \(code) outside 0..<\(vocab)")
                }
                codes[i].append(code)
            }
            if step + 1 == codebooks { break }
            b.embedding(embeddings[step], ids: codes.map { $0[step] }, into: s.input.pointer)
            project(s.input.pointer, into: s.x.pointer, rows: n, backend: b)
            try stack.forward(s.x.pointer, segments: steps, scratch: s.transformer, backend: b, batchInvariant: true)
            last = UnsafePointer(s.x.pointer)
        }
        return codes
    }

    private func project(_ input: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int, backend: Backend) {
        if let projection {
            backend.linear(projection, input, out, rows: rows, batchInvariant: true)
        } else {
            backend.copy(out, input, count: rows * talkerHidden)
        }
    }

    /// Adds the embeddings of codebooks 1..15 (`codes`, in order) to `sum` [talker_hidden]: with
    /// E_c(c0) already there, the frame embedding fed back to the talker. `scratch` holds one row.
    func addCodeEmbeddings(_ codes: [Int], into sum: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                           backend: Backend) {
        for (k, code) in codes.enumerated() {
            backend.embedding(embeddings[k], ids: [code], into: scratch)
            backend.add(sum, scratch, count: talkerHidden)
        }
    }
}
