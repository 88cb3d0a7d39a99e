// The CPU backend: the C kernels (runtime-dispatched AVX-512 / AVX2 / portable) on a persistent
// thread pool, with the packed GEMM (gemm.c) for large f32 products.

import CKernels
import Foundation

public final class CPUBackend: Backend, @unchecked Sendable {
    public let pool: ThreadPool
    /// How `prepare` stores the main model's matrices (decode reads every one of them per frame).
    public let weightFormat: WeightFormat
    /// Where q8/q4 matrices packed by `prepare` are kept for the next load (nil: pack every time).
    public let packCache: PackedWeightCache?

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, weights: WeightFormat = .bf16,
                packCache: PackedWeightCache? = nil) {
        pool = ThreadPool(threadCount: threads)
        weightFormat = weights
        self.packCache = packCache
    }

    /// f16 weights are always widened (no f16 kernel); bf16/f32 ones become `weightFormat`.
    public func prepare(_ layer: Linear) {
        guard layer.prepared == nil else { return }
        let w = layer.weight
        switch weightFormat {
        case .q8, .q4:
            if let q = QuantizedMatrix(w, format: weightFormat) {
                layer.prepared = .quantized(q)
                w.releaseFilePages()
                return
            }
        case .f32:
            if w.dtype != .f32 {
                layer.prepared = .f32(widen(w))
                w.releaseFilePages()
            }
            return
        case .bf16:
            break
        }
        if w.dtype == .f16 {
            layer.prepared = .f32(widen(w))
            w.releaseFilePages()
        }
    }

    /// Packing (q4 especially) is compute-bound: one layer per thread, as many threads as the pool.
    /// With a `packCache`, quantized matrices come from its file when it checks out, and are
    /// written there after packing otherwise.
    public func prepare(_ layers: [Linear]) {
        let cached = packCache.map { _ in
            layers.filter { $0.prepared == nil && QuantizedMatrix.packedSize($0.weight, format: weightFormat) != nil }
        } ?? []
        var fromCache = false
        if let cache = packCache, !cached.isEmpty, let packed = cache.load(cached.map(\.weight), format: weightFormat) {
            for (layer, matrix) in zip(cached, packed) {
                layer.prepared = .quantized(matrix)
                layer.weight.releaseFilePages()
            }
            fromCache = true
        }
        DispatchQueue.concurrentPerform(iterations: pool.threadCount) { t in
            for i in stride(from: t, to: layers.count, by: pool.threadCount) { prepare(layers[i]) }
        }
        if let cache = packCache, !cached.isEmpty, !fromCache {
            let matrices = cached.compactMap { layer -> QuantizedMatrix? in
                if case .quantized(let q) = layer.prepared { q } else { nil }
            }
            if matrices.count == cached.count { cache.store(matrices, for: cached.map(\.weight), format: weightFormat) }
        }
    }

    private func widen(_ w: Tensor) -> FloatBuffer {
        let b = FloatBuffer(count: w.elementCount)
        convertToFloat(dtype: w.dtype, src: w.data, dst: b.pointer, count: b.count)
        return b
    }

    /// From this many rows on (prefill), a product runs on the packed GEMM (bf16 and quantized
    /// weights are widened as it packs them; f16 ones into a scratch matrix first): compute-bound
    /// work, where the weight-streaming kernels would re-read the weights every four rows.
    public static let gemmMinRows = 16

    public func linear(_ layer: Linear, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int,
                       batchInvariant: Bool) {
        let (n, k) = (layer.outFeatures, layer.inFeatures)
        layer.bias.withOptionalPointer { bias in
            // f32 weights: the decode matvec, or the few-row kernel (which itself hands m >= 128 to
            // the GEMM unless every row must come out as it would alone).
            func product(_ w: UnsafePointer<Float>) {
                if rows == 1 {
                    Kernels.matvec(weight: w, input: x, bias: bias, output: y, rows: n, cols: k, pool: pool)
                } else {
                    Kernels.matmul(weight: w, input: x, bias: bias, output: y, m: rows, rows: n, cols: k,
                                   allowGEMM: !batchInvariant, pool: pool)
                }
            }
            // Batch-invariant rows stay on the weight-streaming kernels, whose per-row sums do not
            // depend on how many rows share a pass.
            if !batchInvariant, rows >= Self.gemmMinRows, layer.weight.dtype != .f32 || layer.prepared != nil {
                switch (layer.prepared, layer.weight.dtype) {
                case (.f32(let w), _):
                    return product(w.pointer)
                case (.quantized(let q), _):
                    GEMM.sgemmQuantizedWeights(m: rows, a: x, lda: k, w: q, c: y, ldc: n, pool: pool)
                case (nil, .bf16):
                    let w = layer.weight.data.assumingMemoryBound(to: UInt16.self)
                    GEMM.sgemmBF16Weights(m: rows, n: n, k: k, a: x, lda: k, w: w, ldw: k, c: y, ldc: n, pool: pool)
                default:
                    withWidened(layer) { w in
                        GEMM.sgemm(transB: true, m: rows, n: n, k: k, a: x, lda: k, b: w, ldb: k, c: y, ldc: n, pool: pool)
                    }
                }
                if let bias { for r in 0..<rows { Kernels.add(y + r * n, bias, output: y + r * n, count: n) } }
                return
            }
            switch (layer.prepared, layer.weight.dtype) {
            case (.quantized(let q), _):
                Kernels.matmulQuant(q, input: x, bias: bias, output: y, m: rows, pool: pool)
            case (.f32(let w), _):
                product(w.pointer)
            case (nil, .bf16):
                let w = layer.weight.data.assumingMemoryBound(to: UInt16.self)
                if rows == 1 {
                    Kernels.matvecBF16(weight: w, input: x, bias: bias, output: y, rows: n, cols: k, pool: pool)
                } else {
                    Kernels.matmulBF16(weight: w, input: x, bias: bias, output: y, m: rows, rows: n, cols: k, pool: pool)
                }
            case (nil, .f32):
                product(layer.weight.data.assumingMemoryBound(to: Float.self))
            case (nil, _):
                // An f16 layer outside the main model (never prepared): widened per call.
                withWidened(layer) { product($0) }
            }
        }
    }

    /// Runs `body` on the (unprepared, f16) layer's weights widened into the shared scratch.
    private func withWidened(_ layer: Linear, _ body: (UnsafePointer<Float>) -> Void) {
        let count = layer.weight.elementCount
        widenLock.lock()
        defer { widenLock.unlock() }
        if widenScratch.count < count { widenScratch = FloatBuffer(count: count) }
        let w = widenScratch.pointer
        convertToFloat(dtype: layer.weight.dtype, src: layer.weight.data, dst: w, count: count)
        body(w)
    }

    /// Widened f16 weights; one layer at a time per backend.
    private var widenScratch = FloatBuffer(count: 0)
    private let widenLock = NSLock()

    public func rmsNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, rows: Int, dim: Int, eps: Float) {
        Kernels.rmsNorm(x, weight: weight, output: x, rows: rows, dim: dim, eps: eps)
    }

    public func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, table: RotaryTable) {
        Kernels.rope(x, cos: table.cos.pointer, sin: table.sin.pointer, positions: table.rows, heads: heads, headDim: table.headDim)
    }

    public func attention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                          rows: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int, window: Int) {
        Kernels.attention(q: q, k: k, v: v, output: out, queries: rows, position0: start, heads: heads, kvHeads: kvHeads,
                          headDim: headDim, window: window, scale: 1 / Float(headDim).squareRoot(), pool: pool)
    }

    public func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        Kernels.swiglu(gate: gate, up: up, output: gate, count: count)
    }

    public func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Kernels.silu(x, output: x, count: count)
    }

    public func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        Kernels.add(y, x, output: y, count: count)
    }

    /// Convolution scratch (im2col tiles, padded inputs, phases), grown on demand; convolutions of one backend run one at a time.
    private var workspace = FloatBuffer(count: 0)
    private let convLock = NSLock()

    private func workspace(_ count: Int) -> UnsafeMutablePointer<Float> {
        if workspace.count < count { workspace = FloatBuffer(count: count) }
        return workspace.pointer
    }

    public func conv1d(_ l: Conv1dLayer, _ x: UnsafePointer<Float>, length: Int, padLeft: Int, padRight: Int,
                       _ y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        convLock.lock()
        defer { convLock.unlock() }
        let need = Kernels.conv1dWorkspaceCount(inChannels: l.inChannels, outChannels: l.outChannels, length: length,
                                                kernelSize: l.kernelSize, stride: l.stride, dilation: l.dilation,
                                                padLeft: padLeft, padRight: padRight, groups: l.groups)
        let ws = workspace(need)
        l.bias.withOptionalPointer { bias in
            Kernels.conv1d(input: x, weight: l.weight.pointer, bias: bias, output: y, inChannels: l.inChannels,
                           outChannels: l.outChannels, length: length, kernelSize: l.kernelSize, stride: l.stride,
                           dilation: l.dilation, padLeft: padLeft, padRight: padRight, groups: l.groups,
                           accumulate: accumulate, workspace: ws, pool: pool)
        }
    }

    public func convTranspose1d(_ l: ConvTranspose1dLayer, _ x: UnsafePointer<Float>, length: Int, _ y: UnsafeMutablePointer<Float>) {
        convLock.lock()
        defer { convLock.unlock() }
        let ws = workspace(Kernels.convTranspose1dWorkspaceCount(inChannels: l.inChannels, outChannels: l.outChannels, length: length,
                                                                 kernelSize: l.kernelSize, stride: l.stride))
        l.bias.withOptionalPointer { bias in
            Kernels.convTranspose1d(input: x, weight: l.weight.pointer, bias: bias, output: y, inChannels: l.inChannels,
                                    outChannels: l.outChannels, length: length, kernelSize: l.kernelSize, stride: l.stride,
                                    workspace: ws, pool: pool)
        }
    }

    public func addChannelBias(_ x: UnsafeMutablePointer<Float>, _ bias: [Float], channels: Int, length: Int) {
        ck_bias_add(x, bias, Int32(channels), Int32(length))
    }

    public func snakeBeta(_ x: UnsafePointer<Float>, xStride: Int, into y: UnsafeMutablePointer<Float>, yStride: Int,
                          logAlpha: UnsafePointer<Float>, logBeta: UnsafePointer<Float>, channels: Int, length: Int) {
        ck_snakebeta_strided(pool.handle, x, xStride, logAlpha, logBeta, y, yStride, Int32(channels), Int32(length))
    }

    public func layerNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                          rows: Int, dim: Int, eps: Float) {
        Kernels.layerNorm(x, weight: weight, bias: bias, output: x, rows: rows, dim: dim, eps: eps)
    }

    public func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { Kernels.gelu(x, output: x, count: count) }

    public func elu(_ x: UnsafeMutablePointer<Float>, count: Int) { Kernels.elu(x, output: x, count: count) }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's storage, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
