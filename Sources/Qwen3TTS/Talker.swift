// The talker: text embedding + projection, codec embedding, the Qwen3 decoder stack, final norm
// and codec head. It predicts codebook 0 of each 12.5 Hz frame.
// Upstream: `Qwen3TTSTalkerForConditionalGeneration` (modeling_qwen3_tts.py).

import Foundation

/// Errors raised while generating.
public enum GenerationError: Error, CustomStringConvertible, Sendable {
    case contextOverflow(needed: Int, capacity: Int)
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .contextOverflow(let n, let c):
            return "the prompt and generated frames need \(n) positions, more than the model's \(c)"
        case .invalidRequest(let m): return m
        }
    }
}

public final class Talker: @unchecked Sendable {
    public let config: TalkerConfig
    let textEmbedding: Tensor       // talker.model.text_embedding.weight [text_vocab, text_hidden]
    let textFC1: Linear             // talker.text_projection.linear_fc1 [text_hidden, text_hidden] + bias
    let textFC2: Linear             // talker.text_projection.linear_fc2 [hidden, text_hidden] + bias
    let codecEmbedding: Tensor      // talker.model.codec_embedding.weight [vocab, hidden]
    let decoder: Qwen3Decoder       // talker.model.layers.*, talker.model.norm
    let codecHead: Linear           // talker.codec_head.weight [vocab, hidden]

    var hidden: Int { config.hiddenSize }

    /// Every matrix, for `Backend.prepare` (the embedding tables are read a row at a time).
    var linearLayers: [Linear] { [textFC1, textFC2, codecHead] + decoder.linearLayers }

    init(_ w: SafeTensorsCheckpoint, config c: TalkerConfig) throws {
        config = c
        let th = c.textHiddenSize
        textEmbedding = try w.tensor("talker.model.text_embedding.weight", shape: [c.textVocabSize, th], dtypes: floatWeightTypes)
        textFC1 = Linear(weight: try w.tensor("talker.text_projection.linear_fc1.weight", shape: [th, th], dtypes: floatWeightTypes),
                         bias: try w.tensor("talker.text_projection.linear_fc1.bias", shape: [th]))
        textFC2 = Linear(weight: try w.tensor("talker.text_projection.linear_fc2.weight", shape: [c.hiddenSize, th], dtypes: floatWeightTypes),
                         bias: try w.tensor("talker.text_projection.linear_fc2.bias", shape: [c.hiddenSize]))
        codecEmbedding = try w.tensor("talker.model.codec_embedding.weight", shape: [c.vocabSize, c.hiddenSize], dtypes: floatWeightTypes)
        decoder = try Qwen3Decoder(w, prefix: "talker.model", geometry: DecoderGeometry(
            hidden: c.hiddenSize, intermediate: c.intermediateSize, layers: c.numHiddenLayers, heads: c.numAttentionHeads,
            kvHeads: c.numKeyValueHeads, headDim: c.headDim, eps: Float(c.rmsNormEps), ropeTheta: c.ropeTheta))
        codecHead = Linear(weight: try w.tensor("talker.codec_head.weight", shape: [c.vocabSize, c.hiddenSize], dtypes: floatWeightTypes))
    }

    /// Projected text embeddings E_t(id) = fc2(silu(fc1(text_embedding[id]))) for each id: [ids.count, hidden].
    func textEmbeddings(_ ids: [Int], backend: Backend) throws -> [[Float]] {
        guard !ids.isEmpty else { return [] }
        let th = config.textHiddenSize
        let raw = FloatBuffer(count: ids.count * th)
        for (r, id) in ids.enumerated() {
            guard id >= 0 && id < config.textVocabSize else {
                throw GenerationError.invalidRequest("text token id \(id) is outside the model's text vocabulary (\(config.textVocabSize))")
            }
            backend.embedding(textEmbedding, row: id, into: raw.pointer + r * th)
        }
        let mid = FloatBuffer(count: ids.count * th)
        backend.linear(textFC1, raw.pointer, mid.pointer, rows: ids.count)
        backend.silu(mid.pointer, count: ids.count * th)
        let out = FloatBuffer(count: ids.count * hidden)
        backend.linear(textFC2, mid.pointer, out.pointer, rows: ids.count)
        return (0..<ids.count).map { out.array(offset: $0 * hidden, count: hidden) }
    }

    /// E_c(id): one row of the codec embedding.
    func codecEmbedding(_ id: Int, backend: Backend) -> [Float] {
        var out = [Float](repeating: 0, count: hidden)
        backend.embedding(codecEmbedding, row: id, into: &out)
        return out
    }

    func makeCache(capacity: Int) -> KVCache { decoder.makeCache(capacity: capacity) }

    /// Runs `rows` input embeddings (x[rows, hidden], overwritten) and returns the final-normed hidden
    /// state of the last position and its codec logits.
    func forward(_ x: FloatBuffer, rows: Int, cache: KVCache, scratch: DecoderScratch, backend: Backend,
                 observe: ((Int, UnsafePointer<Float>) -> Void)? = nil) throws -> (hidden: [Float], logits: [Float]) {
        try decoder.forward(x.pointer, rows: rows, cache: cache, scratch: scratch, backend: backend, observe: observe)
        let last = x.array(offset: (rows - 1) * hidden, count: hidden)
        var logits = [Float](repeating: 0, count: config.vocabSize)
        backend.linear(codecHead, last, &logits, rows: 1)
        return (last, logits)
    }
}
