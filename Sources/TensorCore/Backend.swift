// The compute interface model code talks to. Model files describe *what* to compute (which
// weights, which activations); a Backend decides *how* (naive loops, C kernels with threads, later
// CUDA). Activations are row-major Float32 in host memory; weights stay in their stored dtype.

import Foundation

/// A fixed-size, 64-byte aligned Float32 scratch buffer (activations, caches). Allocated once and
/// reused, so the decode loop does not allocate.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// A copy of `count` values starting at `offset`.
    public func array(offset: Int = 0, count n: Int? = nil) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer + offset, count: n ?? (count - offset)))
    }
}

/// A linear layer y = x·Wᵀ (+ b) with W in PyTorch layout [out, in], kept in its stored dtype.
public final class Linear: @unchecked Sendable {
    public let weight: Tensor
    public let bias: [Float]?
    /// The backend's own form of `weight` (f32 widened, or quantized), set once by
    /// `Backend.prepare` while the model loads, before any use; nil means "use `weight` as stored".
    public internal(set) var prepared: PreparedWeight?
    public var outFeatures: Int { weight.shape[0] }
    public var inFeatures: Int { weight.shape[1] }

    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.shape.count == 2, "Linear weight must be 2-D")
        self.weight = weight
        self.bias = bias?.floats()
    }
}

/// A Conv1d layer with float32 weights, loaded from PyTorch's `[out, in/groups, kernel]` and kept
/// tap-major, `[out, kernel, in/groups]` (see `Kernels.conv1d`). Padding is chosen per call (causal,
/// "same", or explicit), so one layer serves every use.
public final class Conv1dLayer: @unchecked Sendable {
    public let weight: FloatBuffer
    public let bias: [Float]?
    public let inChannels, outChannels, kernelSize, stride, dilation, groups: Int

    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, dilation: Int = 1, groups: Int = 1) {
        precondition(weight.shape.count == 3, "Conv1d weight must be 3-D")
        let reordered = FloatBuffer(count: weight.elementCount)
        withFloats(weight) { source in
            Kernels.tapMajor(source, into: reordered.pointer, outChannels: weight.shape[0],
                             inPerGroup: weight.shape[1], kernelSize: weight.shape[2])
        }
        weight.releaseFilePages()  // the reordered copy is what runs
        self.weight = reordered
        self.bias = bias?.floats()
        outChannels = weight.shape[0]
        inChannels = weight.shape[1] * groups
        kernelSize = weight.shape[2]
        self.stride = stride
        self.dilation = dilation
        self.groups = groups
    }

    /// Output length for an input of `length` samples with the given zero padding.
    public func outputLength(_ length: Int, padLeft: Int, padRight: Int) -> Int {
        let span = dilation * (kernelSize - 1) + 1
        let padded = length + padLeft + padRight
        return padded < span ? 0 : (padded - span) / stride + 1
    }
}

/// `tensor`'s values as float32: in place when stored so (the codec's checkpoint is), else a
/// temporary widened copy.
private func withFloats(_ tensor: Tensor, _ body: (UnsafePointer<Float>) -> Void) {
    if tensor.dtype == .f32 {
        body(tensor.data.assumingMemoryBound(to: Float.self))
        return
    }
    let widened = FloatBuffer(count: tensor.elementCount)
    convertToFloat(dtype: tensor.dtype, src: tensor.data, dst: widened.pointer, count: tensor.elementCount)
    body(widened.pointer)
}

/// A ConvTranspose1d layer (groups 1) with float32 weights, loaded from PyTorch's `[in, out, kernel]`
/// and kept in the polyphase layout of `Kernels.polyphase` (`weight(in:out:tap:)` reads it back).
public final class ConvTranspose1dLayer: @unchecked Sendable {
    public let weight: FloatBuffer
    public let bias: [Float]?
    public let inChannels, outChannels, kernelSize, stride: Int

    public init(weight: Tensor, bias: Tensor?, stride: Int) {
        precondition(weight.shape.count == 3, "ConvTranspose1d weight must be 3-D")
        precondition(stride > 0, "ConvTranspose1d stride must be positive")
        self.bias = bias?.floats()
        inChannels = weight.shape[0]
        outChannels = weight.shape[1]
        kernelSize = weight.shape[2]
        self.stride = stride
        let taps = Kernels.convTranspose1dTaps(kernelSize: kernelSize, stride: stride)
        let (cin, cout, k) = (inChannels, outChannels, kernelSize)
        let reordered = FloatBuffer(count: stride * cout * taps * cin)
        withFloats(weight) { source in
            Kernels.polyphase(source, into: reordered.pointer, inChannels: cin, outChannels: cout, kernelSize: k, stride: stride)
        }
        self.weight = reordered
        weight.releaseFilePages()  // the reordered copy is what runs
    }

    /// PyTorch's `weight[input, output, k]`.
    public func weight(in c: Int, out o: Int, tap k: Int) -> Float {
        let taps = Kernels.convTranspose1dTaps(kernelSize: kernelSize, stride: stride)
        let p = k % stride, t = taps - 1 - k / stride
        return weight[(p * outChannels + o) * taps * inChannels + t * inChannels + c]
    }

    /// The untrimmed output length: (length - 1) * stride + kernel.
    public func outputLength(_ length: Int) -> Int { length > 0 ? (length - 1) * stride + kernelSize : 0 }
}

/// Rotary position embedding frequencies, computed exactly as Hugging Face does in float32:
/// inv_freq[i] = 1 / theta^(2i/d), angle = float32(position) * inv_freq[i].
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    public let invFreq: [Float]

    public init(headDim: Int, theta: Double) {
        self.headDim = headDim
        let base = Float(theta)
        invFreq = (0..<(headDim / 2)).map { i in
            let exponent = Float(2 * i) / Float(headDim)
            return 1 / powf(base, exponent)
        }
    }

    /// Fills cos/sin (each headDim/2 long) for one position.
    public func fill(position: Int, cos c: UnsafeMutablePointer<Float>, sin s: UnsafeMutablePointer<Float>) {
        let p = Float(position)
        for i in 0..<invFreq.count {
            let angle = p * invFreq[i]
            c[i] = Float(Foundation.cos(Double(angle)))
            s[i] = Float(Foundation.sin(Double(angle)))
        }
    }
}

/// cos/sin of one position per row (each [rows, headDim/2]), computed once per forward pass and
/// shared by every layer and by both queries and keys. Rows of a batch may belong to different
/// streams, each at its own position.
public final class RotaryTable: @unchecked Sendable {
    public let rows: Int
    public let headDim: Int
    public let cos: FloatBuffer
    public let sin: FloatBuffer

    public init(_ rotary: RotaryEmbedding, positions: [Int]) {
        rows = positions.count
        headDim = rotary.headDim
        let half = rotary.headDim / 2
        cos = FloatBuffer(count: rows * half)
        sin = FloatBuffer(count: rows * half)
        for (r, p) in positions.enumerated() { rotary.fill(position: p, cos: cos.pointer + r * half, sin: sin.pointer + r * half) }
    }

    /// `rows` consecutive positions from `start`.
    public convenience init(_ rotary: RotaryEmbedding, start: Int, rows: Int) {
        self.init(rotary, positions: Array(start..<(start + rows)))
    }
}

/// The operations the models need. Model code says what to compute; every piece of arithmetic on
/// activations goes through here, so a backend can run it where its memory lives. Pointers are
/// the backend's buffers (host memory for the CPU backends); `rows` is the number of positions
/// processed at once (1 per stream when decoding, the prompt length when prefilling).
public protocol Backend: AnyObject, Sendable {
    /// A buffer of `count` floats in this backend's memory (activations, caches), zeroed.
    func makeBuffer(count: Int) -> FloatBuffer
    /// Copies `count` values of a backend buffer to host memory: the one way results reach the
    /// host (per frame: the logits sampling needs; per chunk: the audio).
    func read(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutablePointer<Float>)
    /// Converts `layer`'s weight into this backend's storage format once, at load (the main
    /// model's matrices only). Backends that compute on the stored weights do nothing.
    func prepare(_ layer: Linear)
    /// `prepare` for many layers (a backend may convert them in parallel).
    func prepare(_ layers: [Linear])
    /// y[rows, out] = x[rows, in] · Wᵀ (+ bias). `batchInvariant`: each row must come out exactly
    /// as it would alone (rows = 1), whatever the other rows are (batched decode steps of several
    /// streams); otherwise the backend may pick any algorithm for the row count (prefill).
    func linear(_ layer: Linear, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, batchInvariant: Bool)
    /// Copies row `ids[i]` of an embedding table [rows, dim] (any float dtype) to out[i] as Float32.
    func embedding(_ table: Tensor, ids: [Int], into out: UnsafeMutablePointer<Float>)
    /// dst = src, `count` values (the ranges do not overlap).
    func copy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int)
    /// x = value, `count` values.
    func fill(_ x: UnsafeMutablePointer<Float>, _ value: Float, count: Int)
    /// dst = src where the ranges may overlap (memmove).
    func move(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int)
    /// y[cols, rows] = transpose(x[rows, cols]) (channels-first <-> rows-first).
    func transpose(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into y: UnsafeMutablePointer<Float>)
    /// In place, per row of `scale.count`: x ⊙= scale (layer scales).
    func scaleRows(_ x: UnsafeMutablePointer<Float>, _ scale: [Float], rows: Int)
    /// In place on x[channels, length]: row c += bias[c] (a channels-first bias).
    func addChannelBias(_ x: UnsafeMutablePointer<Float>, _ bias: [Float], channels: Int, length: Int)
    /// x = min(max(x, lo), hi), elementwise.
    func clamp(_ x: UnsafeMutablePointer<Float>, count: Int, lo: Float, hi: Float)
    /// In place, per row of `dim`: x = x · rsqrt(mean(x²) + eps) · weight (statistics in float32).
    func rmsNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, rows: Int, dim: Int, eps: Float)
    /// In place, rotate-half RoPE on x[table.rows, heads, headDim] at the table's positions.
    func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, table: RotaryTable)
    /// Causal grouped-query attention. q/out: [rows, heads, headDim] at positions start..<start+rows;
    /// k/v: caches [capacity, kvHeads, headDim] filled for positions 0..<start+rows. `window` > 0 limits
    /// each query to its last `window` keys (itself included).
    func attention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                   rows: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int, window: Int)
    /// gate = silu(gate) · up, elementwise over `count` values.
    func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int)
    /// x = silu(x), elementwise.
    func silu(_ x: UnsafeMutablePointer<Float>, count: Int)
    /// y += x, elementwise.
    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int)

    // Convolutional parts (codec, speaker encoder). Activations are channels-first [C, T].
    /// y[out, T'] = conv(x[in, length]) with zero padding `padLeft`/`padRight` (T' = layer.outputLength),
    /// or with `accumulate`, y += conv(x) (a residual connection without a separate add).
    func conv1d(_ layer: Conv1dLayer, _ x: UnsafePointer<Float>, length: Int, padLeft: Int, padRight: Int,
                _ y: UnsafeMutablePointer<Float>, accumulate: Bool)
    /// y[out, (length-1)*stride + kernel] = convTranspose(x[in, length]), untrimmed.
    func convTranspose1d(_ layer: ConvTranspose1dLayer, _ x: UnsafePointer<Float>, length: Int, _ y: UnsafeMutablePointer<Float>)
    /// y = x + 1/(exp(logBeta)+1e-9) · sin²(exp(logAlpha) · x) per channel, for x[channels, length]
    /// with row strides `xStride` and `yStride` (y may be x: in place).
    func snakeBeta(_ x: UnsafePointer<Float>, xStride: Int, into y: UnsafeMutablePointer<Float>, yStride: Int,
                   logAlpha: UnsafePointer<Float>, logBeta: UnsafePointer<Float>, channels: Int, length: Int)
    /// In place, per row of `dim`: (x - mean) / sqrt(var + eps) · weight + bias.
    func layerNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                   rows: Int, dim: Int, eps: Float)
    /// x = gelu(x) (exact erf form), elementwise.
    func gelu(_ x: UnsafeMutablePointer<Float>, count: Int)
    /// x = elu(x) (alpha 1), elementwise.
    func elu(_ x: UnsafeMutablePointer<Float>, count: Int)
}

extension Backend {
    public func makeBuffer(count: Int) -> FloatBuffer { FloatBuffer(count: count) }

    public func read(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutablePointer<Float>) {
        if count > 0 { dst.update(from: src, count: count) }
    }

    /// `read` into a new array.
    public func read(_ src: UnsafePointer<Float>, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { b, n in
            read(src, count: count, into: b.baseAddress!)
            n = count
        }
    }

    public func prepare(_ layer: Linear) {}

    /// y[out, T'] = conv(x[in, length]).
    public func conv1d(_ layer: Conv1dLayer, _ x: UnsafePointer<Float>, length: Int, padLeft: Int, padRight: Int,
                       _ y: UnsafeMutablePointer<Float>) {
        conv1d(layer, x, length: length, padLeft: padLeft, padRight: padRight, y, accumulate: false)
    }

    /// SnakeBeta in place on x[channels, length].
    public func snakeBeta(_ x: UnsafeMutablePointer<Float>, logAlpha: UnsafePointer<Float>, logBeta: UnsafePointer<Float>,
                          channels: Int, length: Int) {
        snakeBeta(x, xStride: length, into: x, yStride: length, logAlpha: logAlpha, logBeta: logBeta,
                  channels: channels, length: length)
    }

    public func prepare(_ layers: [Linear]) { for layer in layers { prepare(layer) } }

    /// `linear` where any algorithm will do (one stream, or work that is not a decode step).
    public func linear(_ layer: Linear, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int) {
        linear(layer, x, y, rows: rows, batchInvariant: false)
    }

    /// One row of an embedding table.
    public func embedding(_ table: Tensor, row: Int, into out: UnsafeMutablePointer<Float>) {
        embedding(table, ids: [row], into: out)
    }

    public func embedding(_ table: Tensor, ids: [Int], into out: UnsafeMutablePointer<Float>) {
        let dim = table.shape[1]
        for (i, id) in ids.enumerated() {
            convertToFloat(dtype: table.dtype, src: table.data + id * dim * table.dtype.byteSize, dst: out + i * dim, count: dim)
        }
    }

    public func copy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        if count > 0 && UnsafePointer(dst) != src { dst.update(from: src, count: count) }
    }

    public func fill(_ x: UnsafeMutablePointer<Float>, _ value: Float, count: Int) {
        if count > 0 { x.update(repeating: value, count: count) }
    }

    public func move(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        if count > 0 { memmove(dst, src, count * MemoryLayout<Float>.stride) }
    }

    public func transpose(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            for c in 0..<cols { y[c * rows + r] = x[r * cols + c] }
        }
    }

    public func scaleRows(_ x: UnsafeMutablePointer<Float>, _ scale: [Float], rows: Int) {
        let d = scale.count
        scale.withUnsafeBufferPointer { s in
            for r in 0..<rows {
                for i in 0..<d { x[r * d + i] *= s[i] }
            }
        }
    }

    public func addChannelBias(_ x: UnsafeMutablePointer<Float>, _ bias: [Float], channels: Int, length: Int) {
        for c in 0..<channels {
            let b = bias[c], row = x + c * length
            for t in 0..<length { row[t] += b }
        }
    }

    public func clamp(_ x: UnsafeMutablePointer<Float>, count: Int, lo: Float, hi: Float) {
        for i in 0..<count { x[i] = min(max(x[i], lo), hi) }
    }
}

/// Straightforward loops, no threads: the numerical reference other backends are tested against.
public final class ReferenceBackend: Backend {
    public init() {}

    public func linear(_ layer: Linear, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int,
                       batchInvariant: Bool) {
        let (n, k) = (layer.outFeatures, layer.inFeatures)
        let w = FloatBuffer(count: n * k)
        convertToFloat(dtype: layer.weight.dtype, src: layer.weight.data, dst: w.pointer, count: n * k)
        for r in 0..<rows {
            for o in 0..<n {
                var acc: Float = 0
                for i in 0..<k { acc += w[o * k + i] * x[r * k + i] }
                y[r * n + o] = acc + (layer.bias?[o] ?? 0)
            }
        }
    }

    public func rmsNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, rows: Int, dim: Int, eps: Float) {
        for r in 0..<rows {
            let p = x + r * dim
            var ss: Float = 0
            for i in 0..<dim { ss += p[i] * p[i] }
            let scale = 1 / (ss / Float(dim) + eps).squareRoot()
            for i in 0..<dim { p[i] = weight[i] * (p[i] * scale) }
        }
    }

    public func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, table: RotaryTable) {
        let d = table.headDim, half = d / 2
        for r in 0..<table.rows {
            let c = table.cos.pointer + r * half, s = table.sin.pointer + r * half
            for h in 0..<heads {
                let p = x + (r * heads + h) * d
                for i in 0..<half {
                    let a = p[i], b = p[i + half]
                    p[i] = a * c[i] - b * s[i]
                    p[i + half] = b * c[i] + a * s[i]
                }
            }
        }
    }

    public func attention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                          rows: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int, window: Int) {
        let group = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        for r in 0..<rows {
            let pos = start + r
            let first = window > 0 ? max(0, pos - window + 1) : 0
            for h in 0..<heads {
                let qh = q + (r * heads + h) * headDim
                let kvh = h / group
                var scores = [Float](repeating: 0, count: pos - first + 1)
                for t in first...pos {
                    let kt = k + (t * kvHeads + kvh) * headDim
                    var dot: Float = 0
                    for i in 0..<headDim { dot += qh[i] * kt[i] }
                    scores[t - first] = dot * scale
                }
                let m = scores.max()!
                var sum: Float = 0
                for j in scores.indices { scores[j] = expf(scores[j] - m); sum += scores[j] }
                let o = out + (r * heads + h) * headDim
                for i in 0..<headDim { o[i] = 0 }
                for t in first...pos {
                    let vt = v + (t * kvHeads + kvh) * headDim
                    let w = scores[t - first] / sum
                    for i in 0..<headDim { o[i] += w * vt[i] }
                }
            }
        }
    }

    public func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i] }
    }

    public func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = x[i] / (1 + expf(-x[i])) }
    }

    public func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    public func conv1d(_ l: Conv1dLayer, _ x: UnsafePointer<Float>, length: Int, padLeft: Int, padRight: Int,
                       _ y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let tOut = l.outputLength(length, padLeft: padLeft, padRight: padRight)
        let cig = l.inChannels / l.groups, cog = l.outChannels / l.groups
        for o in 0..<l.outChannels {
            let g = o / cog
            for t in 0..<tOut {
                var acc = l.bias?[o] ?? 0
                for ci in 0..<cig {
                    for k in 0..<l.kernelSize {
                        let src = t * l.stride + k * l.dilation - padLeft
                        if src >= 0 && src < length {
                            acc += l.weight[(o * l.kernelSize + k) * cig + ci] * x[(g * cig + ci) * length + src]
                        }
                    }
                }
                y[o * tOut + t] = accumulate ? y[o * tOut + t] + acc : acc
            }
        }
    }

    public func convTranspose1d(_ l: ConvTranspose1dLayer, _ x: UnsafePointer<Float>, length: Int, _ y: UnsafeMutablePointer<Float>) {
        let tOut = l.outputLength(length)
        for o in 0..<l.outChannels { for t in 0..<tOut { y[o * tOut + t] = l.bias?[o] ?? 0 } }
        for i in 0..<l.inChannels {
            for t in 0..<length {
                let v = x[i * length + t]
                for o in 0..<l.outChannels {
                    for k in 0..<l.kernelSize { y[o * tOut + t * l.stride + k] += v * l.weight(in: i, out: o, tap: k) }
                }
            }
        }
    }

    public func snakeBeta(_ x: UnsafePointer<Float>, xStride: Int, into y: UnsafeMutablePointer<Float>, yStride: Int,
                          logAlpha: UnsafePointer<Float>, logBeta: UnsafePointer<Float>, channels: Int, length: Int) {
        for c in 0..<channels {
            let a = expf(logAlpha[c]), b = 1 / (expf(logBeta[c]) + 1e-9)
            for t in 0..<length {
                let v = x[c * xStride + t], s = sinf(a * v)
                y[c * yStride + t] = v + b * s * s
            }
        }
    }

    public func layerNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                          rows: Int, dim: Int, eps: Float) {
        for r in 0..<rows {
            let p = x + r * dim
            var mean: Float = 0
            for i in 0..<dim { mean += p[i] }
            mean /= Float(dim)
            var variance: Float = 0
            for i in 0..<dim { variance += (p[i] - mean) * (p[i] - mean) }
            let inv = 1 / (variance / Float(dim) + eps).squareRoot()
            for i in 0..<dim { p[i] = (p[i] - mean) * inv * weight[i] + bias[i] }
        }
    }

    public func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)) }
    }

    public func elu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where x[i] < 0 { x[i] = expf(x[i]) - 1 }
    }
}
