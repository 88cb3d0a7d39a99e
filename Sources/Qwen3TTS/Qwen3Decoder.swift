// A stack of Qwen3 decoder layers, shared by the talker (28 layers) and the code predictor
// (5 layers). Upstream: `Qwen3TTSTalkerDecoderLayer` / `Qwen3TTSDecoderLayer` and
// `Qwen3TTSTalkerModel` / `Qwen3TTSTalkerCodePredictorModel` in modeling_qwen3_tts.py.
// Per layer: x += o(attn(rope(qnorm(q)), rope(knorm(k)), v)) over RMSNorm(x); x += down(silu(gate)·up)
// over RMSNorm(x). After the stack, the final RMSNorm.

import Foundation

/// Sizes of one decoder stack.
struct DecoderGeometry: Sendable {
    var hidden: Int
    var intermediate: Int
    var layers: Int
    var heads: Int
    var kvHeads: Int
    var headDim: Int
    var eps: Float
    var ropeTheta: Double

    var qDim: Int { heads * headDim }
    var kvDim: Int { kvHeads * headDim }
}

/// Keys and values of every layer for one stream, allocated once for `capacity` positions.
/// A batch of streams is a set of caches.
public final class KVCache: @unchecked Sendable {
    let capacity: Int
    let kvDim: Int
    let keys: [FloatBuffer]
    let values: [FloatBuffer]
    /// Number of positions filled.
    public internal(set) var length = 0

    init(layers: Int, capacity: Int, kvDim: Int) {
        self.capacity = capacity
        self.kvDim = kvDim
        keys = (0..<layers).map { _ in FloatBuffer(count: capacity * kvDim) }
        values = (0..<layers).map { _ in FloatBuffer(count: capacity * kvDim) }
    }

    /// Forgets all positions (the storage is kept for the next use).
    public func reset() { length = 0 }
}

/// Weights of one decoder layer (`<prefix>.layers.N.*`).
final class DecoderLayer: @unchecked Sendable {
    let inputNorm: [Float]      // input_layernorm.weight [hidden]
    let q, k, v, o: Linear      // self_attn.{q,k,v,o}_proj.weight
    let qNorm, kNorm: [Float]   // self_attn.{q,k}_norm.weight [head_dim]
    let postNorm: [Float]       // post_attention_layernorm.weight [hidden]
    let gate, up, down: Linear  // mlp.{gate,up,down}_proj.weight

    init(_ w: SafeTensorsCheckpoint, prefix p: String, _ g: DecoderGeometry) throws {
        func vec(_ name: String, _ n: Int) throws -> [Float] { try w.tensor("\(p).\(name)", shape: [n]).floats() }
        func lin(_ name: String, _ out: Int, _ inp: Int) throws -> Linear {
            Linear(weight: try w.tensor("\(p).\(name)", shape: [out, inp], dtypes: floatWeightTypes))
        }
        inputNorm = try vec("input_layernorm.weight", g.hidden)
        q = try lin("self_attn.q_proj.weight", g.qDim, g.hidden)
        k = try lin("self_attn.k_proj.weight", g.kvDim, g.hidden)
        v = try lin("self_attn.v_proj.weight", g.kvDim, g.hidden)
        o = try lin("self_attn.o_proj.weight", g.hidden, g.qDim)
        qNorm = try vec("self_attn.q_norm.weight", g.headDim)
        kNorm = try vec("self_attn.k_norm.weight", g.headDim)
        postNorm = try vec("post_attention_layernorm.weight", g.hidden)
        gate = try lin("mlp.gate_proj.weight", g.intermediate, g.hidden)
        up = try lin("mlp.up_proj.weight", g.intermediate, g.hidden)
        down = try lin("mlp.down_proj.weight", g.hidden, g.intermediate)
    }
}

/// Dtypes accepted for matrices: the released checkpoints are bf16; f32/f16 exports work too.
let floatWeightTypes: [DType] = [.bf16, .f32, .f16]

/// Activation scratch for `rows` positions, grown on demand and then reused.
final class DecoderScratch {
    private(set) var rows = 0
    var normed = FloatBuffer(count: 0), q = FloatBuffer(count: 0), k = FloatBuffer(count: 0)
    var v = FloatBuffer(count: 0), attn = FloatBuffer(count: 0), proj = FloatBuffer(count: 0)
    var gate = FloatBuffer(count: 0), up = FloatBuffer(count: 0)

    func ensure(rows r: Int, _ g: DecoderGeometry) {
        guard r > rows else { return }
        rows = r
        normed = FloatBuffer(count: r * g.hidden)
        q = FloatBuffer(count: r * g.qDim)
        k = FloatBuffer(count: r * g.kvDim)
        v = FloatBuffer(count: r * g.kvDim)
        attn = FloatBuffer(count: r * g.qDim)
        proj = FloatBuffer(count: r * g.hidden)
        gate = FloatBuffer(count: r * g.intermediate)
        up = FloatBuffer(count: r * g.intermediate)
    }
}

final class Qwen3Decoder: @unchecked Sendable {
    let geometry: DecoderGeometry
    let layers: [DecoderLayer]
    let finalNorm: [Float]  // <prefix>.norm.weight [hidden]
    let rotary: RotaryEmbedding

    init(_ w: SafeTensorsCheckpoint, prefix: String, geometry g: DecoderGeometry) throws {
        geometry = g
        layers = try (0..<g.layers).map { try DecoderLayer(w, prefix: "\(prefix).layers.\($0)", g) }
        finalNorm = try w.tensor("\(prefix).norm.weight", shape: [g.hidden]).floats()
        rotary = RotaryEmbedding(headDim: g.headDim, theta: g.ropeTheta)
    }

    /// Every matrix of the stack, for `Backend.prepare`.
    var linearLayers: [Linear] { layers.flatMap { [$0.q, $0.k, $0.v, $0.o, $0.gate, $0.up, $0.down] } }

    func makeCache(capacity: Int) -> KVCache {
        KVCache(layers: geometry.layers, capacity: capacity, kvDim: geometry.kvDim)
    }

    /// Runs x[rows, hidden] (in place) through every layer at positions cache.length..<+rows,
    /// appends their keys/values to the cache, and applies the final norm.
    /// `observe(i, x)` sees the input of layer i (i = 0 is the embeddings), as HF's hidden_states do.
    func forward(_ x: UnsafeMutablePointer<Float>, rows: Int, cache: KVCache, scratch s: DecoderScratch,
                 backend: Backend, observe: ((Int, UnsafePointer<Float>) -> Void)? = nil) throws {
        let g = geometry
        let start = cache.length
        guard start + rows <= cache.capacity else {
            throw GenerationError.contextOverflow(needed: start + rows, capacity: cache.capacity)
        }
        s.ensure(rows: rows, g)
        let n = rows * g.hidden
        let table = RotaryTable(rotary, start: start, rows: rows)
        for (li, layer) in layers.enumerated() {
            observe?(li, x)
            // Attention block.
            s.normed.pointer.update(from: x, count: n)
            backend.rmsNorm(s.normed.pointer, weight: layer.inputNorm, rows: rows, dim: g.hidden, eps: g.eps)
            backend.linear(layer.q, s.normed.pointer, s.q.pointer, rows: rows)
            backend.linear(layer.k, s.normed.pointer, s.k.pointer, rows: rows)
            backend.linear(layer.v, s.normed.pointer, s.v.pointer, rows: rows)
            backend.rmsNorm(s.q.pointer, weight: layer.qNorm, rows: rows * g.heads, dim: g.headDim, eps: g.eps)
            backend.rmsNorm(s.k.pointer, weight: layer.kNorm, rows: rows * g.kvHeads, dim: g.headDim, eps: g.eps)
            backend.rope(s.q.pointer, heads: g.heads, table: table)
            backend.rope(s.k.pointer, heads: g.kvHeads, table: table)
            (cache.keys[li].pointer + start * g.kvDim).update(from: s.k.pointer, count: rows * g.kvDim)
            (cache.values[li].pointer + start * g.kvDim).update(from: s.v.pointer, count: rows * g.kvDim)
            backend.attention(q: s.q.pointer, k: cache.keys[li].pointer, v: cache.values[li].pointer, out: s.attn.pointer,
                              rows: rows, start: start, heads: g.heads, kvHeads: g.kvHeads, headDim: g.headDim, window: 0)
            backend.linear(layer.o, s.attn.pointer, s.proj.pointer, rows: rows)
            backend.add(x, s.proj.pointer, count: n)
            // MLP block.
            s.normed.pointer.update(from: x, count: n)
            backend.rmsNorm(s.normed.pointer, weight: layer.postNorm, rows: rows, dim: g.hidden, eps: g.eps)
            backend.linear(layer.gate, s.normed.pointer, s.gate.pointer, rows: rows)
            backend.linear(layer.up, s.normed.pointer, s.up.pointer, rows: rows)
            backend.swiglu(s.gate.pointer, s.up.pointer, count: rows * g.intermediate)
            backend.linear(layer.down, s.gate.pointer, s.proj.pointer, rows: rows)
            backend.add(x, s.proj.pointer, count: n)
        }
        cache.length = start + rows
        backend.rmsNorm(x, weight: finalNorm, rows: rows, dim: g.hidden, eps: g.eps)
        observe?(layers.count, x)
    }
}
