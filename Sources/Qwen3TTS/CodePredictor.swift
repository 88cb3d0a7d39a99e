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
    let decoder: Qwen3Decoder  // talker.code_predictor.model.layers.*, .norm
    /// talker.code_predictor.lm_head.{k}.weight [vocab, cp_hidden]: head k predicts codebook k+1.
    let heads: [Linear]

    var codebooks: Int { heads.count }

    /// Every matrix, for `Backend.prepare`.
    var linearLayers: [Linear] { (projection.map { [$0] } ?? []) + heads + decoder.linearLayers }

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
        decoder = try Qwen3Decoder(w, prefix: "\(p).model", geometry: DecoderGeometry(
            hidden: c.hiddenSize, intermediate: c.intermediateSize, layers: c.numHiddenLayers, heads: c.numAttentionHeads,
            kvHeads: c.numKeyValueHeads, headDim: c.headDim, eps: Float(c.rmsNormEps), ropeTheta: c.ropeTheta))
    }

    /// Per-stream state, allocated once and reused for every frame.
    final class State {
        let cache: KVCache
        let scratch = DecoderScratch()
        let input: FloatBuffer   // [2, talker_hidden] raw inputs
        let x: FloatBuffer       // [2, cp_hidden] projected inputs / activations
        let embedding: FloatBuffer
        init(_ cp: CodePredictor) {
            cache = cp.decoder.makeCache(capacity: cp.codebooks + 1)
            input = FloatBuffer(count: 2 * cp.talkerHidden)
            x = FloatBuffer(count: 2 * cp.config.hiddenSize)
            embedding = FloatBuffer(count: cp.talkerHidden)
        }
    }

    func makeState() -> State { State(self) }

    /// Predicts codebooks 1..15 for one frame. `pastHidden` is the talker's final-normed hidden state,
    /// `code0Embedding` the talker codec embedding of codebook 0. `choose(step, logits)` picks each code.
    /// `observeLogits(step, logits)` sees the raw logits of every step.
    func predict(pastHidden: [Float], code0Embedding: [Float], state s: State, backend: Backend,
                 choose: (Int, inout [Float]) -> Int) throws -> [Int] {
        let th = talkerHidden, ch = config.hiddenSize
        s.cache.reset()
        s.input.pointer.update(from: pastHidden, count: th)
        (s.input.pointer + th).update(from: code0Embedding, count: th)
        project(s.input.pointer, into: s.x.pointer, rows: 2, backend: backend)
        try decoder.forward(s.x.pointer, rows: 2, cache: s.cache, scratch: s.scratch, backend: backend)
        var codes: [Int] = []
        codes.reserveCapacity(codebooks)
        var logits = [Float](repeating: 0, count: config.vocabSize)
        var last = s.x.pointer + ch  // final-normed hidden of the newest position
        for step in 0..<codebooks {
            backend.linear(heads[step], last, &logits, rows: 1)
            let code = choose(step, &logits)
            guard code >= 0 && code < config.vocabSize else {
                throw GenerationError.invalidRequest("code predictor chose code \(code) outside 0..<\(config.vocabSize)")
            }
            codes.append(code)
            if step + 1 == codebooks { break }
            backend.embedding(embeddings[step], row: code, into: s.embedding.pointer)
            project(s.embedding.pointer, into: s.x.pointer, rows: 1, backend: backend)
            try decoder.forward(s.x.pointer, rows: 1, cache: s.cache, scratch: s.scratch, backend: backend)
            last = s.x.pointer
        }
        return codes
    }

    private func project(_ input: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int, backend: Backend) {
        if let projection {
            backend.linear(projection, input, out, rows: rows)
        } else {
            out.update(from: input, count: rows * talkerHidden)
        }
    }

    /// The frame-sum embedding fed back to the talker: E_c(c0) + Σ_k table_k(c_{k+1}), in talker width.
    func addCodeEmbeddings(_ codes: [Int], into sum: UnsafeMutablePointer<Float>, backend: Backend) {
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: talkerHidden)
        defer { tmp.deallocate() }
        for (k, code) in codes.enumerated() {
            backend.embedding(embeddings[k], row: code, into: tmp)
            backend.add(sum, tmp, count: talkerHidden)
        }
    }
}
