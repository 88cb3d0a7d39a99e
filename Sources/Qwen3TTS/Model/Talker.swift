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

final class Talker: @unchecked Sendable {
    let config: TalkerConfig
    let textEmbedding: Tensor       // talker.model.text_embedding.weight [text_vocab, text_hidden]
    let textFC1: Linear             // talker.text_projection.linear_fc1 [text_hidden, text_hidden] + bias
    let textFC2: Linear             // talker.text_projection.linear_fc2 [hidden, text_hidden] + bias
    let codecEmbedding: Tensor      // talker.model.codec_embedding.weight [vocab, hidden]
    let stack: TransformerStack     // talker.model.layers.*, talker.model.norm
    let codecHead: Linear           // talker.codec_head.weight [vocab, hidden]

    var hidden: Int { config.hiddenSize }

    /// Every matrix, for `Backend.prepare` (the embedding tables are read a row at a time).
    var linearLayers: [Linear] { [textFC1, textFC2, codecHead] + stack.linearLayers }

    init(_ w: SafeTensorsCheckpoint, config c: TalkerConfig) throws {
        config = c
        let th = c.textHiddenSize
        textEmbedding = try w.tensor("talker.model.text_embedding.weight", shape: [c.textVocabSize, th], dtypes: floatWeightTypes)
        textFC1 = Linear(weight: try w.tensor("talker.text_projection.linear_fc1.weight", shape: [th, th], dtypes: floatWeightTypes),
                         bias: try w.tensor("talker.text_projection.linear_fc1.bias", shape: [th]))
        textFC2 = Linear(weight: try w.tensor("talker.text_projection.linear_fc2.weight", shape: [c.hiddenSize, th], dtypes: floatWeightTypes),
                         bias: try w.tensor("talker.text_projection.linear_fc2.bias", shape: [c.hiddenSize]))
        codecEmbedding = try w.tensor("talker.model.codec_embedding.weight", shape: [c.vocabSize, c.hiddenSize], dtypes: floatWeightTypes)
        stack = try TransformerStack(w, prefix: "talker.model", geometry: TransformerGeometry(
            hidden: c.hiddenSize, intermediate: c.intermediateSize, layers: c.numHiddenLayers, heads: c.numAttentionHeads,
            kvHeads: c.numKeyValueHeads, headDim: c.headDim, eps: Float(c.rmsNormEps), ropeTheta: c.ropeTheta))
        codecHead = Linear(weight: try w.tensor("talker.codec_head.weight", shape: [c.vocabSize, c.hiddenSize], dtypes: floatWeightTypes))
    }

    /// Projected text embeddings E_t(id) = fc2(silu(fc1(text_embedding[id]))) for each id: [ids.count, hidden].
    func textEmbeddings(_ ids: [Int], backend: Backend) throws -> [[Float]] {
        guard !ids.isEmpty else { return [] }
        let th = config.textHiddenSize
        let raw = backend.makeBuffer(count: ids.count * th)
        for id in ids where id < 0 || id >= config.textVocabSize {
            throw GenerationError.invalidRequest("text token id \(id) is outside the model's text vocabulary (\(config.textVocabSize))")
        }
        backend.embedding(textEmbedding, ids: ids, into: raw.pointer)
        let mid = backend.makeBuffer(count: ids.count * th)
        backend.linear(textFC1, raw.pointer, mid.pointer, rows: ids.count)
        backend.silu(mid.pointer, count: ids.count * th)
        let out = backend.makeBuffer(count: ids.count * hidden)
        backend.linear(textFC2, mid.pointer, out.pointer, rows: ids.count)
        return (0..<ids.count).map { backend.read(out.pointer + $0 * hidden, count: hidden) }
    }

    /// E_c(id) for each id, into out[ids.count, hidden].
    func codecEmbeddings(_ ids: [Int], into out: UnsafeMutablePointer<Float>, backend: Backend) {
        backend.embedding(codecEmbedding, ids: ids, into: out)
    }

    /// E_c(id): one row of the codec embedding.
    func codecEmbedding(_ id: Int, backend: Backend) -> [Float] {
        let row = backend.makeBuffer(count: hidden)
        codecEmbeddings([id], into: row.pointer, backend: backend)
        return backend.read(row.pointer, count: hidden)
    }

    func makeCache(capacity: Int, backend: Backend) -> KVCache { stack.makeCache(capacity: capacity, backend: backend) }

    /// Runs the input embeddings x[rows, hidden] of `segments` (overwritten with the final-normed
    /// hidden states) and writes the codec logits of each segment's last row to logits[segment, vocab].
    func forward(_ x: UnsafeMutablePointer<Float>, segments: [Segment], logits: UnsafeMutablePointer<Float>,
                 scratch: TransformerScratch, lastRows: UnsafeMutablePointer<Float>, backend: Backend, batchInvariant: Bool,
                 observe: ((Int, UnsafePointer<Float>) -> Void)? = nil) throws {
        try stack.forward(x, segments: segments, scratch: scratch, backend: backend, batchInvariant: batchInvariant, observe: observe)
        // The head reads only each segment's last row: gather them when segments are longer than one.
        var head = UnsafePointer(x)
        if segments.contains(where: { $0.rows != 1 }) {
            var row = 0
            for (i, seg) in segments.enumerated() {
                row += seg.rows
                backend.copy(lastRows + i * hidden, x + (row - 1) * hidden, count: hidden)
            }
            head = UnsafePointer(lastRows)
        }
        backend.linear(codecHead, head, logits, rows: segments.count, batchInvariant: batchInvariant)
    }
}
