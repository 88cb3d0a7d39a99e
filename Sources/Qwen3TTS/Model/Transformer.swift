// The one transformer of the model family. Four stacks are built from it:
//   - the talker (28 layers) and the code predictor (5 layers): Qwen3 decoder layers, RMSNorm,
//     per-head q/k RMSNorm, SwiGLU (`Qwen3TTSTalkerDecoderLayer` in modeling_qwen3_tts.py);
//   - the codec decoder's pre-transformer (8 layers): RMSNorm, no q/k norm, SwiGLU, layer scales,
//     sliding-window attention (modeling_qwen3_tts_tokenizer_v2.py);
//   - the codec encoder's transformer (Mimi, 8 layers): LayerNorm with bias, GELU MLP (fc1/fc2),
//     layer scales (transformers' modeling_mimi.py).
// Per layer: x += ls1 ⊙ o(attn(rope(qnorm(q)), rope(knorm(k)), v)) over norm(x);
//            x += ls2 ⊙ mlp(norm(x)); after the stack, the final norm where the family has one.
//
// A forward pass takes any number of *segments*: consecutive rows that belong to one stream, each
// with its own KV cache and positions. Every matrix product runs once over all rows (one read of
// the weights for the whole batch); attention runs per segment over that segment's cache.

import Foundation

/// Sizes and the options that differ between the stacks built from `TransformerLayer`.
struct TransformerGeometry: Sendable {
    enum Norm: Sendable { case rms, layer }
    enum MLP: Sendable { case swiglu, gelu }

    var hidden: Int
    var intermediate: Int
    var layers: Int
    var heads: Int
    var kvHeads: Int
    var headDim: Int
    var eps: Float
    var ropeTheta: Double
    var norm = Norm.rms
    /// Per-head RMSNorm of queries and keys before RoPE (Qwen3).
    var qkNorm = true
    var mlp = MLP.swiglu
    /// Per-channel scales on both residual branches (`*_layer_scale.scale`).
    var layerScale = false
    /// Each query attends to its last `window` keys (itself included); 0 is unlimited. Caches of a
    /// windowed stack keep only the last window-1 positions.
    var window = 0
    /// `<prefix>.norm.weight` after the last layer.
    var finalNorm = true

    var qDim: Int { heads * headDim }
    var kvDim: Int { kvHeads * headDim }
}

/// Keys and values of every layer of one stack for one stream (a stream's own memory; a batch is a
/// set of caches). `position` counts every row ever appended: the RoPE position of the next row.
final class KVCache: @unchecked Sendable {
    let layers: Int
    let kvDim: Int
    /// 0: keeps every position up to `capacity`; otherwise keeps the last window-1 and grows as
    /// needed for the rows of one pass.
    let window: Int
    private(set) var capacity: Int
    private(set) var keys: [FloatBuffer]
    private(set) var values: [FloatBuffer]
    /// Rows held (the attention span of the next row, before the window applies).
    private(set) var stored = 0
    /// Absolute position of the next row.
    private(set) var position = 0

    private let backend: Backend

    init(layers: Int, kvDim: Int, capacity: Int, window: Int = 0, backend: Backend) {
        self.layers = layers
        self.kvDim = kvDim
        self.window = window
        self.capacity = capacity
        self.backend = backend
        keys = (0..<layers).map { _ in backend.makeBuffer(count: capacity * kvDim) }
        values = (0..<layers).map { _ in backend.makeBuffer(count: capacity * kvDim) }
    }

    /// Forgets all positions (the storage is kept for the next use).
    func reset() { stored = 0; position = 0 }

    /// Makes this cache continue exactly where `other` (same shape) stands.
    func copy(from other: KVCache) {
        precondition(other.layers == layers && other.kvDim == kvDim && other.window == window, "cache shapes differ")
        reserve(other.stored)
        for l in 0..<layers {
            backend.copy(keys[l].pointer, other.keys[l].pointer, count: other.stored * kvDim)
            backend.copy(values[l].pointer, other.values[l].pointer, count: other.stored * kvDim)
        }
        stored = other.stored
        position = other.position
    }

    /// Room for `rows` more rows: a windowed cache grows, a full-context one is full.
    fileprivate func makeRoom(_ rows: Int) throws {
        if stored + rows <= capacity { return }
        guard window > 0 else { throw GenerationError.contextOverflow(needed: position + rows, capacity: capacity) }
        reserve(stored + rows)
    }

    private func reserve(_ rows: Int) {
        guard rows > capacity else { return }
        let grown = (0..<layers).map { l -> (FloatBuffer, FloatBuffer) in
            let k = backend.makeBuffer(count: rows * kvDim), v = backend.makeBuffer(count: rows * kvDim)
            backend.copy(k.pointer, keys[l].pointer, count: stored * kvDim)
            backend.copy(v.pointer, values[l].pointer, count: stored * kvDim)
            return (k, v)
        }
        keys = grown.map(\.0)
        values = grown.map(\.1)
        capacity = rows
    }

    /// Where layer `l`'s key and value rows start.
    fileprivate func rows(_ l: Int) -> (keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>) {
        (keys[l].pointer, values[l].pointer)
    }

    /// Counts `rows` appended rows, then drops what no later query of a windowed stack can see.
    fileprivate func commit(_ rows: Int) {
        stored += rows
        position += rows
        guard window > 0 else { return }
        let keep = min(stored, max(window - 1, 0)), drop = stored - keep
        guard drop > 0 else { return }
        for l in 0..<layers {
            backend.move(keys[l].pointer, keys[l].pointer + drop * kvDim, count: keep * kvDim)
            backend.move(values[l].pointer, values[l].pointer + drop * kvDim, count: keep * kvDim)
        }
        stored = keep
    }
}

/// Consecutive rows of one stream in a batched pass.
struct Segment {
    let cache: KVCache
    let rows: Int
}

/// A normalization's parameters: RMSNorm has a weight, LayerNorm a weight and a bias.
struct NormWeights {
    let weight: [Float]
    let bias: [Float]?
}

/// Weights of one layer (`<prefix>.layers.N.*`; tensor names are the same in every family).
final class TransformerLayer: @unchecked Sendable {
    let attentionNorm: NormWeights     // input_layernorm
    let q, k, v, o: Linear             // self_attn.{q,k,v,o}_proj
    let qNorm, kNorm: [Float]?         // self_attn.{q,k}_norm [head_dim]
    let attentionScale: [Float]?       // self_attn_layer_scale.scale
    let mlpNorm: NormWeights           // post_attention_layernorm
    let gate: Linear?                  // mlp.gate_proj (SwiGLU only)
    let up: Linear                     // mlp.up_proj, or mlp.fc1
    let down: Linear                   // mlp.down_proj, or mlp.fc2
    let mlpScale: [Float]?             // mlp_layer_scale.scale

    init(_ w: SafeTensorsCheckpoint, prefix p: String, _ g: TransformerGeometry) throws {
        func vec(_ name: String, _ n: Int) throws -> [Float] {
            try w.tensor("\(p).\(name)", shape: [n], dtypes: floatWeightTypes).floats()
        }
        func lin(_ name: String, _ out: Int, _ inp: Int) throws -> Linear {
            Linear(weight: try w.tensor("\(p).\(name)", shape: [out, inp], dtypes: floatWeightTypes))
        }
        func norm(_ name: String) throws -> NormWeights {
            NormWeights(weight: try vec("\(name).weight", g.hidden), bias: g.norm == .layer ? try vec("\(name).bias", g.hidden) : nil)
        }
        attentionNorm = try norm("input_layernorm")
        q = try lin("self_attn.q_proj.weight", g.qDim, g.hidden)
        k = try lin("self_attn.k_proj.weight", g.kvDim, g.hidden)
        v = try lin("self_attn.v_proj.weight", g.kvDim, g.hidden)
        o = try lin("self_attn.o_proj.weight", g.hidden, g.qDim)
        qNorm = g.qkNorm ? try vec("self_attn.q_norm.weight", g.headDim) : nil
        kNorm = g.qkNorm ? try vec("self_attn.k_norm.weight", g.headDim) : nil
        attentionScale = g.layerScale ? try vec("self_attn_layer_scale.scale", g.hidden) : nil
        mlpNorm = try norm("post_attention_layernorm")
        switch g.mlp {
        case .swiglu:
            gate = try lin("mlp.gate_proj.weight", g.intermediate, g.hidden)
            up = try lin("mlp.up_proj.weight", g.intermediate, g.hidden)
            down = try lin("mlp.down_proj.weight", g.hidden, g.intermediate)
        case .gelu:
            gate = nil
            up = try lin("mlp.fc1.weight", g.intermediate, g.hidden)
            down = try lin("mlp.fc2.weight", g.hidden, g.intermediate)
        }
        mlpScale = g.layerScale ? try vec("mlp_layer_scale.scale", g.hidden) : nil
    }

    var linearLayers: [Linear] { [q, k, v, o] + (gate.map { [$0] } ?? []) + [up, down] }
}

/// Dtypes accepted for matrices: the released checkpoints are bf16; f32/f16 exports work too.
let floatWeightTypes: [DType] = [.bf16, .f32, .f16]

/// Activation scratch for a pass of up to `rows` rows, grown on demand and then reused. One per
/// caller of `forward` (a generator, a codec stream), never shared between threads.
final class TransformerScratch {
    private(set) var rows = 0
    var normed = FloatBuffer(count: 0), q = FloatBuffer(count: 0), k = FloatBuffer(count: 0)
    var v = FloatBuffer(count: 0), attn = FloatBuffer(count: 0), proj = FloatBuffer(count: 0)
    var gate = FloatBuffer(count: 0), up = FloatBuffer(count: 0)

    func ensure(rows r: Int, _ g: TransformerGeometry, _ b: Backend) {
        guard r > rows else { return }
        rows = r
        normed = b.makeBuffer(count: r * g.hidden)
        q = b.makeBuffer(count: r * g.qDim)
        k = b.makeBuffer(count: r * g.kvDim)
        v = b.makeBuffer(count: r * g.kvDim)
        attn = b.makeBuffer(count: r * g.qDim)
        proj = b.makeBuffer(count: r * g.hidden)
        gate = b.makeBuffer(count: r * g.intermediate)
        up = b.makeBuffer(count: r * g.intermediate)
    }
}

/// A stack of `TransformerLayer`s with its rotary embedding and optional final norm.
final class TransformerStack: @unchecked Sendable {
    let geometry: TransformerGeometry
    let layers: [TransformerLayer]
    let finalNorm: [Float]?  // <prefix>.norm.weight [hidden]
    let rotary: RotaryEmbedding

    init(_ w: SafeTensorsCheckpoint, prefix: String, geometry g: TransformerGeometry) throws {
        geometry = g
        layers = try (0..<g.layers).map { try TransformerLayer(w, prefix: "\(prefix).layers.\($0)", g) }
        finalNorm = g.finalNorm ? try w.tensor("\(prefix).norm.weight", shape: [g.hidden], dtypes: floatWeightTypes).floats() : nil
        rotary = RotaryEmbedding(headDim: g.headDim, theta: g.ropeTheta)
    }

    /// Every matrix of the stack, for `Backend.prepare`.
    var linearLayers: [Linear] { layers.flatMap(\.linearLayers) }

    /// A cache for one stream: `capacity` positions, or (windowed stacks) the window, grown on demand.
    func makeCache(capacity: Int, backend: Backend) -> KVCache {
        KVCache(layers: geometry.layers, kvDim: geometry.kvDim, capacity: capacity, window: geometry.window, backend: backend)
    }

    /// Runs x[rows, hidden] (in place, rows of all segments one after another) through every layer,
    /// each segment at its cache's next positions, appends the keys/values to the caches, and
    /// applies the final norm. `batchInvariant` asks the backend for products whose every row is
    /// computed exactly as if it were alone (set for decode steps, so a stream's codes do not depend
    /// on what it is batched with). `observe(i, x)` sees the input of layer i (i = 0 is the
    /// embeddings) and finally the output, as HF's hidden_states do.
    func forward(_ x: UnsafeMutablePointer<Float>, segments: [Segment], scratch s: TransformerScratch, backend b: Backend,
                 batchInvariant: Bool = false, observe: ((Int, UnsafePointer<Float>) -> Void)? = nil) throws {
        let g = geometry
        let rows = segments.reduce(0) { $0 + $1.rows }
        guard rows > 0 else { return }
        for seg in segments { try seg.cache.makeRoom(seg.rows) }
        s.ensure(rows: rows, g, b)
        var positions: [Int] = []
        positions.reserveCapacity(rows)
        for seg in segments { positions += seg.cache.position..<(seg.cache.position + seg.rows) }
        let table = RotaryTable(rotary, positions: positions)
        let n = rows * g.hidden
        func linear(_ layer: Linear, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
            b.linear(layer, input, output, rows: rows, batchInvariant: batchInvariant)
        }
        for (li, layer) in layers.enumerated() {
            observe?(li, x)
            // Attention block.
            b.copy(s.normed.pointer, x, count: n)
            normalize(s.normed.pointer, layer.attentionNorm, rows: rows, b)
            linear(layer.q, s.normed.pointer, s.q.pointer)
            linear(layer.k, s.normed.pointer, s.k.pointer)
            linear(layer.v, s.normed.pointer, s.v.pointer)
            if let qn = layer.qNorm, let kn = layer.kNorm {
                b.rmsNorm(s.q.pointer, weight: qn, rows: rows * g.heads, dim: g.headDim, eps: g.eps)
                b.rmsNorm(s.k.pointer, weight: kn, rows: rows * g.kvHeads, dim: g.headDim, eps: g.eps)
            }
            b.rope(s.q.pointer, heads: g.heads, table: table)
            b.rope(s.k.pointer, heads: g.kvHeads, table: table)
            var row = 0
            for seg in segments {
                let cache = seg.cache, (keys, values) = cache.rows(li)
                b.copy(keys + cache.stored * g.kvDim, s.k.pointer + row * g.kvDim, count: seg.rows * g.kvDim)
                b.copy(values + cache.stored * g.kvDim, s.v.pointer + row * g.kvDim, count: seg.rows * g.kvDim)
                b.attention(q: s.q.pointer + row * g.qDim, k: keys, v: values, out: s.attn.pointer + row * g.qDim,
                            rows: seg.rows, start: cache.stored, heads: g.heads, kvHeads: g.kvHeads, headDim: g.headDim,
                            window: g.window)
                row += seg.rows
            }
            linear(layer.o, s.attn.pointer, s.proj.pointer)
            if let scale = layer.attentionScale { b.scaleRows(s.proj.pointer, scale, rows: rows) }
            b.add(x, s.proj.pointer, count: n)
            // MLP block.
            b.copy(s.normed.pointer, x, count: n)
            normalize(s.normed.pointer, layer.mlpNorm, rows: rows, b)
            let width = rows * g.intermediate
            switch layer.gate {
            case .some(let gate):
                linear(gate, s.normed.pointer, s.gate.pointer)
                linear(layer.up, s.normed.pointer, s.up.pointer)
                b.swiglu(s.gate.pointer, s.up.pointer, count: width)
            case .none:
                linear(layer.up, s.normed.pointer, s.gate.pointer)
                b.gelu(s.gate.pointer, count: width)
            }
            linear(layer.down, s.gate.pointer, s.proj.pointer)
            if let scale = layer.mlpScale { b.scaleRows(s.proj.pointer, scale, rows: rows) }
            b.add(x, s.proj.pointer, count: n)
        }
        for seg in segments { seg.cache.commit(seg.rows) }
        if let finalNorm { b.rmsNorm(x, weight: finalNorm, rows: rows, dim: g.hidden, eps: g.eps) }
        observe?(layers.count, x)
    }

    private func normalize(_ x: UnsafeMutablePointer<Float>, _ w: NormWeights, rows: Int, _ b: Backend) {
        let g = geometry
        if let bias = w.bias {
            b.layerNorm(x, weight: w.weight, bias: bias, rows: rows, dim: g.hidden, eps: g.eps)
        } else {
            b.rmsNorm(x, weight: w.weight, rows: rows, dim: g.hidden, eps: g.eps)
        }
    }
}
