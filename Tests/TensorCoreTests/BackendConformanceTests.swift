// Backend conformance: every operation of the Backend protocol, on every backend configuration
// (ReferenceBackend itself; CPUBackend with 1 and 2 threads, weight formats f32/bf16/q8/q4, at
// every instruction-set level this CPU has), against ReferenceBackend. Linear layers are also
// checked for batch invariance: with `batchInvariant: true` each row of a multi-row call must be
// bit-identical to that row computed alone, which batched generation relies on.

import Foundation
import Testing
@testable import TensorCore

// MARK: - Configurations

/// One backend configuration under test: ReferenceBackend (`threads == nil`) or a CPUBackend.
struct BackendConfiguration: CustomStringConvertible, Sendable {
    var threads: Int?
    var weights = WeightFormat.bf16
    var isa = 0

    var description: String {
        guard let threads else { return "reference" }
        return "CPU \(threads) thread\(threads > 1 ? "s" : "") \(weights) \(["portable", "AVX2", "AVX-512"][isa])"
    }

    /// The reference, then CPUBackend at every level this machine supports, best first.
    static let all: [BackendConfiguration] = {
        isaLock.lock()
        defer { isaLock.unlock() }
        let best = Kernels.setISALevel(-1)
        return [BackendConfiguration()] + (0...best).reversed().flatMap { isa in
            [1, 2].flatMap { t in WeightFormat.allCases.map { BackendConfiguration(threads: t, weights: $0, isa: isa) } }
        }
    }()

    /// `body` on a fresh backend of this configuration. CPU kernels run capped at `isa` for the whole
    /// call (holding the lock the ISA-sweeping kernel tests hold, so no one switches it meanwhile).
    func run<R>(_ body: (Backend) -> R) -> R {
        guard let threads else { return body(ReferenceBackend()) }
        isaLock.lock()
        defer { Kernels.setISALevel(-1); isaLock.unlock() }
        Kernels.setISALevel(isa)
        #expect(Kernels.isaLevel == isa, "\(self): level not available")
        return body(CPUBackend(threads: threads, weights: weights))
    }
}

// MARK: - Helpers

/// Values computed once per process and shared by every configuration: inputs (the test RNG) and
/// the reference's results, both slow in debug builds, and there are two dozen configurations.
private final class Shared: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: [[Float]]] = [:]
    func callAsFunction(_ key: String, _ compute: () -> [[Float]]) -> [[Float]] {
        lock.lock()
        defer { lock.unlock() }
        if let v = values[key] { return v }
        let v = compute()
        values[key] = v
        return v
    }
}

private let once = Shared()

private typealias Op = (Backend, [UnsafeMutablePointer<Float>]) -> Void

/// Runs `op` on fresh copies of `arrays` and returns the arrays as it left them.
private func apply(_ backend: Backend, _ arrays: [[Float]], _ op: Op) -> [[Float]] {
    let buffers = arrays.map { FloatBuffer($0) }
    op(backend, buffers.map(\.pointer))
    return buffers.map { $0.array() }
}

/// `op` on the reference (once per `key`) and on `config`'s backend: (got, want).
private func compare(_ config: BackendConfiguration, _ key: String, _ arrays: [[Float]], _ op: Op) -> ([[Float]], [[Float]]) {
    let want = once(key) { apply(ReferenceBackend(), arrays, op) }
    return (config.run { apply($0, arrays, op) }, want)
}

/// Output buffers start as NaN, so an element an operation leaves unwritten fails the comparison.
private func unwritten(_ n: Int) -> [Float] { [Float](repeating: .nan, count: n) }

// The comparisons check `got` against the leading got.count elements of `want` (and `bound`), which
// may hold more: a linear layer's reference is computed once for the most rows any call uses.

/// |got[i] - want[i]| <= bound[i] for every element (NaN fails).
private func expectClose(_ got: [Float], _ want: [Float], bound: [Float], _ what: @autoclosure () -> String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    guard want.count >= got.count, bound.count >= got.count else {
        Issue.record("\(what()): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
        return
    }
    var worst: Float = 0, at = 0
    got.withUnsafeBufferPointer { g in
        want.withUnsafeBufferPointer { w in
            bound.withUnsafeBufferPointer { b in
                for i in 0..<g.count {
                    let ratio = abs(g[i] - w[i]) / (b[i] + .leastNormalMagnitude)
                    if !(ratio <= worst) { (worst, at) = (ratio.isNaN ? .infinity : ratio, i) }
                }
            }
        }
    }
    #expect(worst <= 1, "\(what()): [\(at)] \(got.isEmpty ? 0 : got[at]) vs \(want.isEmpty ? 0 : want[at]), \(worst)x the bound",
            sourceLocation: sourceLocation)
}

/// |got[i] - want[i]| <= tolerance * max|want| for every element.
private func expectClose(_ got: [Float], _ want: [Float], relative tolerance: Float, _ what: @autoclosure () -> String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    let largest = want.prefix(got.count).reduce(0) { max($0, abs($1)) }
    expectClose(got, want, bound: [Float](repeating: tolerance * largest, count: got.count), what(), sourceLocation: sourceLocation)
}

/// Bit-identical, and not NaN (operations with one correctly rounded answer, and batch invariance).
private func expectIdentical(_ got: [Float], _ want: [Float], _ what: @autoclosure () -> String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
    guard want.count >= got.count else {
        Issue.record("\(what()): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
        return
    }
    var differing = 0, first = -1, largest: Float = 0
    for i in got.indices where got[i].bitPattern != want[i].bitPattern || got[i].isNaN {
        differing += 1
        if first < 0 { first = i }
        largest = max(largest, abs(got[i] - want[i]))
    }
    #expect(differing == 0, "\(what()): \(differing) of \(got.count) values differ, first [\(first)], by up to \(largest)",
            sourceLocation: sourceLocation)
}

/// f16 bits of `v`, truncated (|v| below f16's normal range becomes ±0). Portable where Float16 is not.
private func f16Bits(_ v: Float) -> UInt16 {
    let b = v.bitPattern, sign = UInt16(b >> 16 & 0x8000), e = Int(b >> 23 & 0xFF) - 112
    return e <= 0 ? sign : sign | UInt16(e) << 10 | UInt16(b >> 13 & 0x3FF)
}

/// `values` stored as a tensor of `dtype` (f32, bf16 or f16) over its own storage.
private func tensor(_ values: [Float], _ shape: [Int], as dtype: DType) -> Tensor {
    guard dtype != .f32 else { return tensor(values, shape) }
    var bits = dtype == .f16 ? values.map(f16Bits) : [UInt16](repeating: 0, count: values.count)
    if dtype == .bf16 { Kernels.f32ToBF16(values, &bits, count: values.count) }
    let storage = FloatBuffer(count: (values.count + 1) / 2)
    bits.withUnsafeBytes { UnsafeMutableRawPointer(storage.pointer).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    return Tensor(dtype: dtype, shape: shape, data: UnsafeRawPointer(storage.pointer), owner: storage)
}

// MARK: - Tests

@Suite struct BackendConformanceTests {
    typealias Config = BackendConfiguration

    /// A Linear layer's weights [out, in] stored as f32, bf16 and f16, a bias, and inputs for the
    /// most rows of `rowCounts`: 1 is the decode matvec, 2-5 the few-row kernels, 16 and 17
    /// CPUBackend.gemmMinRows (bf16 and quantized weights widened onto the GEMM when not batch
    /// invariant), 130 Kernels.sgemmMinRows (f32 weights onto the GEMM).
    struct LinearFixture: Sendable {
        let inputs, outputs: Int
        let rowCounts: [Int]
        let weights: [DType: Tensor]
        let bias: Tensor
        let x: [Float]
        var maxRows: Int { rowCounts.last! }

        init(_ inputs: Int, _ outputs: Int, rows: [Int] = [1, 2, 3, 5, 16, 17, 40]) {
            (self.inputs, self.outputs, rowCounts) = (inputs, outputs, rows)
            var rng = Rng(state: UInt64(inputs * 1000 + outputs))
            let w = rng.floats(outputs * inputs, 0.5)
            weights = Dictionary(uniqueKeysWithValues: [DType.f32, .bf16, .f16].map { ($0, tensor(w, [outputs, inputs], as: $0)) })
            bias = tensor(rng.floats(outputs, 0.1), [outputs])
            x = rng.floats(rows.last! * inputs)
        }
    }

    /// Odd sizes; in % 32 == 0 (64, 96, 160) quantize; 160x205 is past the 32K weights from which
    /// the kernels split rows across threads (and 205 rows leave a partial group of 4).
    static let linearFixtures = [LinearFixture(33, 70, rows: [1, 2, 3, 5, 16, 17, 40, 130]), LinearFixture(64, 64),
                                 LinearFixture(129, 31), LinearFixture(96, 37), LinearFixture(160, 205, rows: [1, 2, 5, 17])]

    /// Every weight dtype, with and without bias, prepared as the model's matrices are at load (f16
    /// also unprepared, as layers outside the main model: widened per call), both batchInvariant
    /// settings, every row count. Each element is within 1e-5 * (sum |w||x| + |b|) of the reference
    /// on the weights the layer really holds (the dequantized matrix for q8/q4): float32 rounding of
    /// a sum of `in` <= 160 products, in any order, stays below in * 2^-24 of that sum. With
    /// batchInvariant every row of a multi-row call must equal, bit for bit, that row alone.
    @Test(arguments: Config.all)
    func linear(_ config: Config) {
        for (f, fixture) in Self.linearFixtures.enumerated() {
            let (k, n, x) = (fixture.inputs, fixture.outputs, FloatBuffer(fixture.x))
            config.run { backend in
                var layers: [(layer: Linear, name: String)] = [], toPrepare: [Linear] = []
                for dtype in [DType.f32, .bf16, .f16] {
                    for withBias in [false, true] {
                        for prepared in dtype == .f16 ? [true, false] : [true] {
                            let layer = Linear(weight: fixture.weights[dtype]!, bias: withBias ? fixture.bias : nil)
                            layers.append((layer, "\(k)x\(n) \(dtype) bias \(withBias)\(prepared ? "" : " unprepared")"))
                            if prepared { toPrepare.append(layer) }
                        }
                    }
                }
                backend.prepare(toPrepare)  // together, as at load
                for (layer, name) in layers {
                    // What the layer holds: for q8/q4 the dequantized matrix, else the stored tensor.
                    var held = layer.weight, heldKey = "\(layer.weight.dtype)"
                    if case .quantized(let q) = layer.prepared {
                        let b = FloatBuffer(count: n * k)
                        q.dequantize(into: b.pointer)
                        held = Tensor(dtype: .f32, shape: [n, k], data: UnsafeRawPointer(b.pointer), owner: b)
                        heldKey = "\(q.format) \(b.array().hashValue)"  // (packing runs ISA-specific code)
                    }
                    let biased = layer.bias != nil
                    let reference = once("linear \(f) \(heldKey) \(biased)") {
                        let want = FloatBuffer(unwritten(fixture.maxRows * n))
                        ReferenceBackend().linear(Linear(weight: held, bias: biased ? fixture.bias : nil), x.pointer, want.pointer,
                                                  rows: fixture.maxRows, batchInvariant: false)
                        // 1e-5 * (sum_i |x_i| |w_oi| + |b_o|): each output's bound.
                        var bound = [Float](repeating: 0, count: fixture.maxRows * n)
                        let b = biased ? fixture.bias.floats().map { 1e-5 * abs($0) } : [Float](repeating: 0, count: n)
                        GEMM.sgemmReference(transB: true, m: fixture.maxRows, n: n, k: k, alpha: 1e-5, a: fixture.x.map(abs), lda: k,
                                            b: held.floats().map(abs), ldb: k, c: &bound, ldc: n)
                        for r in 0..<fixture.maxRows { for o in 0..<n { bound[r * n + o] += b[o] } }
                        return [want.array(), bound]
                    }
                    for batchInvariant in [false, true] {
                        let alone = FloatBuffer(unwritten(fixture.maxRows * n))
                        if batchInvariant {
                            for r in 0..<fixture.maxRows {
                                backend.linear(layer, x.pointer + r * k, alone.pointer + r * n, rows: 1, batchInvariant: true)
                            }
                        }
                        for rows in fixture.rowCounts {
                            let y = FloatBuffer(unwritten(rows * n))
                            backend.linear(layer, x.pointer, y.pointer, rows: rows, batchInvariant: batchInvariant)
                            let (got, what) = (y.array(), "\(config) \(name) rows \(rows) batchInvariant \(batchInvariant)")
                            expectClose(got, reference[0], bound: reference[1], what)
                            guard batchInvariant && rows > 1 else { continue }
                            expectIdentical(got, alone.array(), "\(what): rows differ from rows alone")
                        }
                    }
                }
            }
        }
    }

    /// Rows of f32, bf16 and f16 tables (repeated ids included), widened exactly.
    @Test(arguments: Config.all)
    func embedding(_ config: Config) {
        var rng = Rng(state: 5)
        let values = rng.floats(11 * 37)
        for dtype in [DType.f32, .bf16, .f16] {
            let table = tensor(values, [11, 37], as: dtype), ids = [3, 0, 10, 3, 7]
            let (got, want) = compare(config, "embedding \(dtype)", [unwritten(ids.count * 37)]) { backend, p in
                backend.embedding(table, ids: ids, into: p[0])
            }
            expectIdentical(got[0], want[0], "\(config) embedding \(dtype)")
            let row = config.run { backend in apply(backend, [unwritten(37)]) { $0.embedding(table, row: 10, into: $1[0]) } }
            expectIdentical(row[0], Array(want[0][(2 * 37)..<(3 * 37)]), "\(config) embedding \(dtype) row 10")
        }
    }

    /// copy, transpose, scaleRows, addChannelBias, clamp and add: each output is a copy or one
    /// correctly rounded operation, so exactly the reference's.
    @Test(arguments: Config.all)
    func exactOperations(_ config: Config) {
        var rng = Rng(state: 7)
        let x = rng.floats(65 * 33, 3), y = rng.floats(65 * 33), scale = rng.floats(33), bias = rng.floats(65)
        let cases: [(String, [[Float]], Op)] = [
            ("copy", [x, unwritten(x.count)], { $0.copy($1[1], $1[0], count: x.count) }),
            ("transpose 65x33", [x, unwritten(x.count)], { $0.transpose($1[0], rows: 65, cols: 33, into: $1[1]) }),
            ("transpose 1x7", [x, unwritten(7)], { $0.transpose($1[0], rows: 1, cols: 7, into: $1[1]) }),
            ("transpose 3x17", [x, unwritten(51)], { $0.transpose($1[0], rows: 3, cols: 17, into: $1[1]) }),
            ("scaleRows", [x], { $0.scaleRows($1[0], scale, rows: 65) }),
            ("addChannelBias", [x], { $0.addChannelBias($1[0], bias, channels: 65, length: 33) }),
            ("clamp", [x], { $0.clamp($1[0], count: x.count, lo: -0.5, hi: 0.75) }),
            ("add", [y, x], { $0.add($1[0], $1[1], count: x.count) }),
            ("add 17", [y, x], { $0.add($1[0], $1[1], count: 17) }),
        ]
        for (name, arrays, op) in cases {
            let (got, want) = compare(config, "exact \(name)", arrays, op)
            for i in got.indices { expectIdentical(got[i], want[i], "\(config) \(name) buffer \(i)") }
        }
    }

    /// rmsNorm and layerNorm (non-zero mean, so the variance must be about the mean): float32
    /// statistics over <= 1031 values, a few ulps of each output; 1e-5 of the largest.
    @Test(arguments: Config.all)
    func normalization(_ config: Config) {
        for (rows, dim) in [(1, 1), (3, 17), (5, 128), (2, 1031)] {
            var rng = Rng(state: UInt64(rows * 10_000 + dim))
            let x = rng.floats(rows * dim, 2, offset: 1), weight = rng.floats(dim, 0.2, offset: 1), bias = rng.floats(dim, 0.1)
            let (rms, rmsWant) = compare(config, "rmsNorm \(rows) \(dim)", [x, weight]) { backend, p in
                backend.rmsNorm(p[0], weight: p[1], rows: rows, dim: dim, eps: 1e-6)
            }
            expectClose(rms[0], rmsWant[0], relative: 1e-5, "\(config) rmsNorm \(rows)x\(dim)")
            let (ln, lnWant) = compare(config, "layerNorm \(rows) \(dim)", [x, weight, bias]) { backend, p in
                backend.layerNorm(p[0], weight: p[1], bias: p[2], rows: rows, dim: dim, eps: 1e-6)
            }
            expectClose(ln[0], lnWant[0], relative: 1e-5, "\(config) layerNorm \(rows)x\(dim)")
        }
    }

    /// RoPE with one arbitrary position per row (rows of a batch belong to different streams):
    /// two products and a sum per output, a few ulps of |x|; 1e-5 of the largest.
    @Test(arguments: Config.all)
    func rope(_ config: Config) {
        let positions = [7, 0, 1000, 3, 3, 65_000]
        for (heads, headDim) in [(3, 8), (2, 128), (1, 2)] {
            let table = RotaryTable(RotaryEmbedding(headDim: headDim, theta: 1e6), positions: positions)
            var rng = Rng(state: UInt64(heads * headDim))
            let (got, want) = compare(config, "rope \(heads) \(headDim)", [rng.floats(positions.count * heads * headDim, 2)]) {
                $0.rope($1[0], heads: heads, table: table)
            }
            expectClose(got[0], want[0], relative: 1e-5, "\(config) rope heads \(heads) headDim \(headDim)")
        }
    }

    /// Causal GQA attention over a KV cache: several rows, start > 0, a context past the kernel's
    /// 256-key softmax block, window 0 and > 0. Cache rows past start + rows are unfilled (NaN) and
    /// must not reach the output. Each output is a convex combination of v rows whose weights are
    /// off by a few ulps, so the error is bounded by 1e-5 * max|v|.
    @Test(arguments: Config.all)
    func attention(_ config: Config) {
        // (rows, start, heads, kvHeads, headDim, window)
        let shapes = [(1, 0, 4, 2, 16, 0), (3, 5, 4, 1, 24, 0), (5, 300, 8, 2, 32, 0), (4, 40, 2, 2, 17, 8),
                      (17, 10, 6, 3, 8, 5), (2, 600, 4, 4, 64, 300), (6, 0, 2, 1, 4, 3)]
        for s in shapes {
            let (rows, start, heads, kvHeads, headDim, window) = s
            let filled = (start + rows) * kvHeads * headDim, unfilled = 3 * kvHeads * headDim
            let inputs = once("attention inputs \(s)") {
                var rng = Rng(state: UInt64(rows * 1000 + start))
                return [rng.floats(rows * heads * headDim, 2), rng.floats(filled, 2) + unwritten(unfilled),
                        rng.floats(filled) + unwritten(unfilled), unwritten(rows * heads * headDim)]
            }
            let (got, want) = compare(config, "attention \(s)", inputs) { backend, p in
                backend.attention(q: p[0], k: p[1], v: p[2], out: p[3], rows: rows, start: start, heads: heads, kvHeads: kvHeads,
                                  headDim: headDim, window: window)
            }
            let vMax = inputs[2].prefix(filled).reduce(0) { max($0, abs($1)) }
            expectClose(got[3], want[3], bound: [Float](repeating: 1e-5 * vMax, count: want[3].count), "\(config) attention \(s)")
        }
    }

    /// swiglu, silu, gelu, elu and snakeBeta: polynomial or libm approximations of exp, erf and
    /// sin, within a few ulps; 1e-5 of the largest output.
    @Test(arguments: Config.all)
    func activations(_ config: Config) {
        for count in [1, 17, 1000] {
            var rng = Rng(state: UInt64(count))
            let x = rng.floats(count, 6), up = rng.floats(count, 2)
            let cases: [(String, [[Float]], Op)] = [
                ("swiglu", [x, up], { $0.swiglu($1[0], $1[1], count: count) }),
                ("silu", [x], { $0.silu($1[0], count: count) }),
                ("gelu", [x], { $0.gelu($1[0], count: count) }),
                ("elu", [x], { $0.elu($1[0], count: count) }),
            ]
            for (name, arrays, op) in cases {
                let (got, want) = compare(config, "\(name) \(count)", arrays, op)
                expectClose(got[0], want[0], relative: 1e-5, "\(config) \(name) \(count)")
            }
        }
        for (channels, length) in [(1, 1), (3, 17), (7, 63), (16, 200)] {
            var rng = Rng(state: UInt64(channels * 1000 + length))
            let arrays = [rng.floats(channels * length, 4), rng.floats(channels), rng.floats(channels)]
            let (got, want) = compare(config, "snakeBeta \(channels) \(length)", arrays) { backend, p in
                backend.snakeBeta(p[0], logAlpha: p[1], logBeta: p[2], channels: channels, length: length)
            }
            expectClose(got[0], want[0], relative: 1e-5, "\(config) snakeBeta \(channels)x\(length)")
        }
        // Out of place between row strides (into a wider buffer, as the codec feeds a conv's input),
        // and large enough to be split over threads; the padding between rows stays untouched.
        for (channels, length) in [(3, 17), (64, 2000)] {
            var rng = Rng(state: UInt64(channels * 7 + length))
            let (xs, ys) = (length + 3, length + 5)
            let arrays = [rng.floats(channels * xs, 4), rng.floats(channels), rng.floats(channels), rng.floats(channels * ys, 1)]
            let (got, want) = compare(config, "snakeBeta strided \(channels) \(length)", arrays) { backend, p in
                backend.snakeBeta(p[0], xStride: xs, into: p[3], yStride: ys, logAlpha: p[1], logBeta: p[2],
                                  channels: channels, length: length)
            }
            expectClose(got[3], want[3], relative: 1e-5, "\(config) snakeBeta strided \(channels)x\(length)")
            #expect(got[0] == arrays[0], "\(config) snakeBeta strided: input changed")
            for c in 0..<channels {
                #expect(Array(got[3][(c * ys + length)..<(c * ys + ys)]) == Array(arrays[3][(c * ys + length)..<(c * ys + ys)]),
                        "\(config) snakeBeta strided: padding written")
            }
        }
    }

    // (in, out, kernel, stride, dilation, groups, padLeft, padRight, length)
    static let convShapes = [
        [7, 5, 7, 1, 1, 1, 6, 0, 33],       // causal
        [13, 11, 7, 1, 3, 1, 18, 0, 40],    // causal, dilated
        [6, 10, 4, 2, 1, 1, 2, 1, 63],      // strided, padded both sides
        [5, 4, 3, 1, 1, 1, 0, 2, 10],       // right padding only
        [6, 9, 3, 1, 1, 3, 2, 0, 31],       // grouped
        [8, 4, 5, 2, 2, 2, 4, 3, 27],       // grouped, strided, dilated
        [64, 64, 7, 1, 1, 64, 6, 0, 200],   // depthwise (threaded)
        [5, 5, 3, 2, 3, 5, 3, 3, 19],       // depthwise, strided, dilated
        [24, 12, 1, 1, 1, 1, 0, 0, 27],     // pointwise (plain GEMM)
        [3, 5, 1, 2, 1, 1, 1, 0, 8],        // pointwise with stride and padding
        [3, 2, 7, 1, 1, 1, 6, 0, 1],        // one input sample
        [32, 32, 5, 1, 2, 1, 4, 4, 256],    // im2col + threaded GEMM
    ]
    // (in, out, kernel, stride, length)
    static let convTransposeShapes = [[5, 3, 4, 2, 7], [16, 8, 16, 8, 5], [3, 7, 2, 2, 33], [1, 1, 6, 3, 1], [64, 32, 8, 4, 130]]

    /// conv1d (stride, dilation, groups, padding) and convTranspose1d, with and without bias: each
    /// output within 1e-5 * (sum |w||x| + |b|), the reference run on absolute values (rounding of a
    /// sum of <= 160 products in any order, as for linear).
    @Test(arguments: Config.all)
    func convolutions(_ config: Config) {
        for (index, c) in (Self.convShapes + Self.convTransposeShapes).enumerated() {
            let transposed = c.count == 5
            let (cin, cout, kernel, length) = (c[0], c[1], c[2], c.last!)
            let inputs = once("conv inputs \(index)") {
                var rng = Rng(state: UInt64(c.reduce(7) { $0 &* 31 &+ $1 }))
                return [rng.floats(transposed ? cin * cout * kernel : cout * cin / c[5] * kernel, 0.5), rng.floats(cout, 0.1),
                        rng.floats(cin * length)]
            }
            let (w, b, x) = (inputs[0], inputs[1], inputs[2])
            for withBias in [true, false] {
                func layer(_ w: [Float], _ b: [Float]) -> (op: Op, outCount: Int) {
                    let bias = withBias ? tensor(b, [cout]) : nil
                    if transposed {
                        let l = ConvTranspose1dLayer(weight: tensor(w, [cin, cout, kernel]), bias: bias, stride: c[3])
                        return ({ $0.convTranspose1d(l, $1[0], length: length, $1[1]) }, cout * l.outputLength(length))
                    }
                    let l = Conv1dLayer(weight: tensor(w, [cout, cin / c[5], kernel]), bias: bias, stride: c[3], dilation: c[4],
                                        groups: c[5])
                    let out = cout * l.outputLength(length, padLeft: c[6], padRight: c[7])
                    return ({ $0.conv1d(l, $1[0], length: length, padLeft: c[6], padRight: c[7], $1[1]) }, out)
                }
                let (op, outCount) = layer(w, b), what = "\(config) \(transposed ? "convTranspose1d" : "conv1d") \(c) bias \(withBias)"
                #expect(outCount > 0, "\(what): empty output")
                let (got, want) = compare(config, "conv \(index) \(withBias)", [x, unwritten(outCount)], op)
                let bound = once("conv bound \(index) \(withBias)") {
                    [apply(ReferenceBackend(), [x.map(abs), unwritten(outCount)], layer(w.map(abs), b.map(abs)).op)[1].map { 1e-5 * $0 }]
                }[0]
                expectClose(got[1], want[1], bound: bound, what)
            }
        }
    }

    /// conv1d with `accumulate` (y += conv(x)) on every dense shape: the same bound as above plus
    /// the rounding of adding to y.
    @Test(arguments: Config.all)
    func accumulatingConvolutions(_ config: Config) {
        for (index, c) in Self.convShapes.enumerated() where !(c[5] > 1 && c[5] == c[0] && c[0] == c[1]) {
            let (cin, cout, kernel, length) = (c[0], c[1], c[2], c[8])
            var rng = Rng(state: UInt64(c.reduce(11) { $0 &* 31 &+ $1 }))
            let w = rng.floats(cout * cin / c[5] * kernel, 0.5), b = rng.floats(cout, 0.1), x = rng.floats(cin * length)
            func layer(_ w: [Float], _ b: [Float]) -> Conv1dLayer {
                Conv1dLayer(weight: tensor(w, [cout, cin / c[5], kernel]), bias: tensor(b, [cout]), stride: c[3], dilation: c[4],
                            groups: c[5])
            }
            let l = layer(w, b), absolute = layer(w.map(abs), b.map(abs))
            let outCount = cout * l.outputLength(length, padLeft: c[6], padRight: c[7])
            let y0 = rng.floats(outCount, 2)
            let (got, want) = compare(config, "conv accumulate \(index)", [x, y0]) {
                $0.conv1d(l, $1[0], length: length, padLeft: c[6], padRight: c[7], $1[1], accumulate: true)
            }
            let magnitude = apply(ReferenceBackend(), [x.map(abs), y0.map(abs)]) {
                $0.conv1d(absolute, $1[0], length: length, padLeft: c[6], padRight: c[7], $1[1], accumulate: true)
            }[1]
            expectClose(got[1], want[1], bound: magnitude.map { 1e-5 * $0 }, "\(config) conv1d accumulate \(c)")
        }
    }
}
