// Kernel tests: every optimized kernel against its naive reference over swept shapes (odd sizes
// included, on every instruction-set level), the references against hand-computed values, and
// the thread pool. A by-hand bandwidth benchmark runs with QWEN3TTS_KERNEL_BENCH=1.

import CKernels
import Foundation
import Testing
@testable import TensorCore

// MARK: - Helpers

/// Deterministic random numbers (SplitMix64) so failures reproduce.
private struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-scale, scale).
    mutating func float(_ scale: Float = 1) -> Float {
        (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale
    }
    mutating func floats(_ n: Int, _ scale: Float = 1) -> [Float] { (0..<n).map { _ in float(scale) } }
}

/// A heap buffer with a stable pointer for passing to kernels.
private final class Buf<T> {
    let p: UnsafeMutablePointer<T>
    let count: Int
    init(_ values: [T]) {
        count = values.count
        p = .allocate(capacity: max(count, 1))
        if count > 0 { p.initialize(from: values, count: count) }
    }
    init(repeating v: T, _ n: Int) {
        count = n
        p = .allocate(capacity: max(n, 1))
        p.initialize(repeating: v, count: max(n, 1))
    }
    var array: [T] { Array(UnsafeBufferPointer(start: p, count: count)) }
    deinit { p.deallocate() }
}

private func bf16Bits(_ values: [Float]) -> [UInt16] {
    var out = [UInt16](repeating: 0, count: values.count)
    values.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { ck_f32_to_bf16(src.baseAddress, $0.baseAddress, values.count) }
    }
    return out
}

/// ||a - b|| / ||b|| (absolute when b is zero).
private func relError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var num = 0.0, den = 0.0
    for i in 0..<a.count {
        let d = Double(a[i]) - Double(b[i])
        num += d * d
        den += Double(b[i]) * Double(b[i])
    }
    return den > 0 ? (num / den).squareRoot() : num.squareRoot()
}

private func expectClose(
    _ a: [Float], _ b: [Float], tol: Double = 1e-5, _ what: @autoclosure () -> String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let label = what()
    #expect(a.count == b.count, "\(label): count", sourceLocation: sourceLocation)
    guard a.count == b.count else { return }
    let finite = a.allSatisfy { $0.isFinite }
    #expect(finite, "\(label): non-finite output", sourceLocation: sourceLocation)
    let e = relError(a, b)
    #expect(e <= tol, "\(label): relative error \(e) > \(tol)", sourceLocation: sourceLocation)
}

private func expectApprox(
    _ a: Float, _ b: Double, tol: Double = 1e-6, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(abs(Double(a) - b) <= tol * max(1, abs(b)), "\(what): \(a) vs \(b)", sourceLocation: sourceLocation)
}

private let oddSizes = [1, 3, 17, 63, 65, 127, 129, 1000]

// Some tests switch the instruction-set level; they restore it before returning, and every
// level is correct, so tests running at the same time stay valid either way. Tests that need one
// level for their whole run (BackendConformanceTests) hold this lock too.
let isaLock = NSLock()

private func forEachISALevel(_ body: (Int) -> Void) {
    isaLock.lock()
    defer { Kernels.setISALevel(-1); isaLock.unlock() }
    let best = Kernels.setISALevel(-1)
    for level in 0...best {
        Kernels.setISALevel(level)
        body(level)
    }
}

/// The largest |c - expected| / (1e-5 · magnitude) over C[m, n] (row stride `ldc`; `expected` and
/// `magnitude` with row stride `ldm`, default `ldc`): a GEMM passes when it is at most 1. NaN counts
/// as infinitely far.
private func worstOverBound(_ c: UnsafePointer<Float>, _ expected: UnsafePointer<Float>, _ magnitude: UnsafePointer<Float>,
                            m: Int, n: Int, ldc: Int, ldm: Int? = nil) -> Double {
    let ldm = ldm ?? ldc
    var worst = 0.0
    for i in 0..<m {
        for j in 0..<n {
            let bound = 1e-5 * Double(magnitude[i * ldm + j]) + 1e-30
            let err = abs(Double(c[i * ldc + j]) - Double(expected[i * ldm + j]))
            worst = max(worst, err.isNaN ? .infinity : err / bound)
        }
    }
    return worst
}

// MARK: - References against hand-computed values

@Suite struct KernelReferenceTests {
    @Test func matvecAndConversions() {
        // W = [[1, 2, 3], [4, 5, 6]], x = [1, 0, -1], bias [0.5, -0.5] -> [-1.5, -2.5]
        let w = Buf<Float>([1, 2, 3, 4, 5, 6]), x = Buf<Float>([1, 0, -1]), b = Buf<Float>([0.5, -0.5])
        let y = Buf<Float>(repeating: 0, 2)
        ck_matvec_f32_ref(nil, w.p, x.p, b.p, y.p, 2, 3)
        #expect(y.array == [-1.5, -2.5])
        let wb = Buf<UInt16>(bf16Bits([1, 2, 3, 4, 5, 6]))
        ck_matvec_bf16_ref(nil, wb.p, x.p, nil, y.p, 2, 3)
        #expect(y.array == [-2, -2])
        // y[m, rows] for two inputs
        let x2 = Buf<Float>([1, 0, -1, 0, 1, 0]), y2 = Buf<Float>(repeating: 0, 4)
        ck_matmul_f32_ref(nil, w.p, x2.p, nil, y2.p, 2, 2, 3)
        #expect(y2.array == [-2, -2, 2, 5])

        let bits: [UInt16] = [0x3F80, 0xC000, 0x0000, 0x7F80]
        let out = Buf<Float>(repeating: 0, 4)
        ck_bf16_to_f32_ref(bits, out.p, 4)
        #expect(out.array == [1, -2, 0, .infinity])
        let halves: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3555]
        let outh = Buf<Float>(repeating: 0, 5)
        ck_f16_to_f32_ref(halves, outh.p, 5)
        #expect(outh.array == [1, -2, 65504, Float(pow(2.0, -24.0)), 0.333251953125])
        // Ties round to even: 1 + 2^-8 -> 1, 1 + 3*2^-8 -> 1 + 2^-6
        #expect(bf16Bits([1, 1 + 1.0 / 256, 1 + 3.0 / 256, -0.0]) == [0x3F80, 0x3F80, 0x3F82, 0x8000])
        #expect(bf16Bits([.nan]).map { $0 & 0x7FC0 } == [0x7FC0])
    }

    @Test func normsRopeSoftmax() {
        // rms([3, 4]) = sqrt(12.5)
        let y = Buf<Float>(repeating: 0, 2)
        ck_rmsnorm_ref([3, 4], [1, 2], y.p, 1, 2, 0)
        expectApprox(y.array[0], 3 / 12.5.squareRoot(), "rmsnorm[0]")
        expectApprox(y.array[1], 8 / 12.5.squareRoot(), "rmsnorm[1]")
        // LayerNorm([1, 2, 3]) = [-sqrt(1.5), 0, sqrt(1.5)], then * w + b
        let ln = Buf<Float>(repeating: 0, 3)
        ck_layernorm_ref([1, 2, 3], [1, 1, 2], [0, 1, 0], ln.p, 1, 3, 0)
        expectApprox(ln.array[0], -1.5.squareRoot(), "layernorm[0]")
        expectApprox(ln.array[1], 1, "layernorm[1]")
        expectApprox(ln.array[2], 2 * 1.5.squareRoot(), "layernorm[2]")
        // A quarter turn: (a, b) -> (-b, a) for every pair (i, i + 2).
        let r = Buf<Float>([1, 2, 3, 4])
        ck_rope_ref(r.p, [0, 0], [1, 1], 1, 1, 4)
        #expect(r.array == [-3, -4, 1, 2])
        // softmax([0, ln 3]) = [1/4, 3/4]
        let s = Buf<Float>([0, Float(log(3.0))])
        ck_softmax_ref(s.p, 2)
        expectApprox(s.array[0], 0.25, "softmax[0]")
        expectApprox(s.array[1], 0.75, "softmax[1]")
    }

    @Test func activations() {
        let x = Buf<Float>([0, 1, -1, 30]), y = Buf<Float>(repeating: 0, 4)
        ck_silu_ref(x.p, y.p, 4)
        expectApprox(y.array[1], 1 / (1 + exp(-1.0)), "silu(1)")
        #expect(y.array[0] == 0 && y.array[3] == 30)
        ck_swiglu_ref(x.p, [5, 2, 2, 2], y.p, 4)
        expectApprox(y.array[1], 2 / (1 + exp(-1.0)), "swiglu")
        ck_gelu_ref(x.p, y.p, 4)
        expectApprox(y.array[1], 0.8413447460685429, "gelu(1)")
        expectApprox(y.array[2], -0.15865525393145707, "gelu(-1)")
        ck_elu_ref(x.p, y.p, 4)
        expectApprox(y.array[2], exp(-1.0) - 1, "elu(-1)")
        #expect(y.array[1] == 1)
        // alpha = beta = exp(0) = 1: y = x + sin(x)² / (1 + 1e-9)
        let sx = Buf<Float>([Float.pi / 2, 0]), sy = Buf<Float>(repeating: 0, 2)
        ck_snakebeta_ref(sx.p, [0], [0], sy.p, 1, 2)
        expectApprox(sy.array[0], Double(Float.pi / 2) + 1, "snake(pi/2)")
        #expect(sy.array[1] == 0)
    }

    @Test func attention() {
        // One head, hd 2. Keys 0 and 1 score equally -> output is the mean of v0, v1; a window
        // of 1 sees only the query's own position.
        let q = Buf<Float>([1, 0]), k = Buf<Float>([2, 5, 2, -5]), v = Buf<Float>([1, 2, 3, 6])
        let out = Buf<Float>(repeating: 0, 2)
        ck_attention_ref(nil, q.p, k.p, v.p, out.p, 1, 1, 1, 1, 2, 0, 0.5)
        #expect(out.array == [2, 4])
        ck_attention_ref(nil, q.p, k.p, v.p, out.p, 1, 1, 1, 1, 2, 1, 0.5)
        #expect(out.array == [3, 6])
        // Scores 0 and ln 3 -> weights 1/4, 3/4.
        let k2 = Buf<Float>([0, 0, Float(log(3.0)), 0])
        ck_attention_ref(nil, q.p, k2.p, v.p, out.p, 1, 1, 1, 1, 2, 0, 1)
        expectApprox(out.array[0], 0.25 * 1 + 0.75 * 3, "attention[0]")
    }

    @Test func convolutions() {
        // x = [1, 2, 3], w = [1, 10] causal (pad left 1): y[t] = 10 x[t] + x[t-1]
        let x = Buf<Float>([1, 2, 3]), y = Buf<Float>(repeating: 0, 3)
        ck_conv1d_ref(x.p, [1, 10], nil, y.p, 1, 1, 3, 2, 1, 1, 1, 0, 1)
        #expect(y.array == [10, 21, 32])
        // stride 2, dilation 2, pad 2 both sides, bias 1: taps at t*2-2, t*2 -> [1+x0, 1+x0+x2, 1+x2]
        #expect(ck_conv1d_out_len(3, 2, 2, 2, 2, 2) == 3)
        ck_conv1d_ref(x.p, [1, 1], [1], y.p, 1, 1, 3, 2, 2, 2, 2, 2, 1)
        #expect(y.array == [2, 5, 4])
        // Two groups of one channel each: y0 = 2 x0, y1 = 3 x1
        let xg = Buf<Float>([1, 2, 5, 7]), yg = Buf<Float>(repeating: 0, 4)
        ck_conv1d_ref(xg.p, [2, 3], nil, yg.p, 2, 2, 2, 1, 1, 1, 0, 0, 2)
        #expect(yg.array == [2, 4, 15, 21])
        // Transposed, stride 2, k 3: x = [1, 2], w = [1, 10, 100] -> [1, 10, 102, 20, 200]
        let yt = Buf<Float>(repeating: 0, 5)
        ck_conv_transpose1d_ref([1, 2], [1, 10, 100], nil, yt.p, 1, 1, 2, 3, 2)
        #expect(yt.array == [1, 10, 102, 20, 200])
    }
}

// MARK: - Optimized against reference

@Suite struct KernelMatchTests {
    static let matvecShapes: [(Int, Int)] =
        oddSizes.map { ($0, 129) } + oddSizes.map { (65, $0) } + [(1000, 1000), (4, 16), (8, 2048), (3072, 1024)]

    @Test(arguments: matvecShapes)
    func matvec(rows: Int, cols: Int) {
        var rng = SplitMix(UInt64(rows * 7919 + cols))
        let w = rng.floats(rows * cols), x = Buf(rng.floats(cols)), bias = Buf(rng.floats(rows))
        let wf = Buf(w), wb = Buf(bf16Bits(w))
        let pool = ThreadPool(threadCount: 3)
        for b in [nil, bias.p] as [UnsafeMutablePointer<Float>?] {
            for p in [nil, pool] {
                let y = Buf<Float>(repeating: .nan, rows), r = Buf<Float>(repeating: 0, rows)
                Kernels.matvec(weight: wf.p, input: x.p, bias: b, output: y.p, rows: rows, cols: cols, pool: p)
                ck_matvec_f32_ref(nil, wf.p, x.p, b, r.p, Int32(rows), Int32(cols))
                expectClose(y.array, r.array, "matvec f32 \(rows)x\(cols)")
                Kernels.matvecBF16(weight: wb.p, input: x.p, bias: b, output: y.p, rows: rows, cols: cols, pool: p)
                ck_matvec_bf16_ref(nil, wb.p, x.p, b, r.p, Int32(rows), Int32(cols))
                expectClose(y.array, r.array, "matvec bf16 \(rows)x\(cols)")
            }
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 7, 9, 16, 33, 70, 130])
    func matmul(m: Int) {
        var rng = SplitMix(UInt64(m))
        for (rows, cols) in [(63, 65), (129, 1000), (17, 3)] {
            let w = rng.floats(rows * cols)
            let wf = Buf(w), wb = Buf(bf16Bits(w)), x = Buf(rng.floats(m * cols)), bias = Buf(rng.floats(rows))
            let pool = ThreadPool(threadCount: 2)
            let y = Buf<Float>(repeating: .nan, m * rows), r = Buf<Float>(repeating: 0, m * rows)
            Kernels.matmul(weight: wf.p, input: x.p, bias: bias.p, output: y.p, m: m, rows: rows, cols: cols, pool: pool)
            ck_matmul_f32_ref(nil, wf.p, x.p, bias.p, r.p, Int32(m), Int32(rows), Int32(cols))
            expectClose(y.array, r.array, "matmul f32 m=\(m) \(rows)x\(cols)")
            Kernels.matmulBF16(weight: wb.p, input: x.p, bias: nil, output: y.p, m: m, rows: rows, cols: cols, pool: pool)
            ck_matmul_bf16_ref(nil, wb.p, x.p, nil, r.p, Int32(m), Int32(rows), Int32(cols))
            expectClose(y.array, r.array, "matmul bf16 m=\(m) \(rows)x\(cols)")
        }
    }

    @Test func conversionsCoverEveryBitPattern() {
        let all = Buf<UInt16>((0...UInt16.max).map { $0 })
        let a = Buf<Float>(repeating: 0, all.count), b = Buf<Float>(repeating: 0, all.count)
        forEachISALevel { level in
            for (fast, ref, name) in [(ck_bf16_to_f32, ck_bf16_to_f32_ref, "bf16"), (ck_f16_to_f32, ck_f16_to_f32_ref, "f16")] {
                fast(all.p, a.p, all.count)
                ref(all.p, b.p, all.count)
                let bad = (0..<all.count).filter { a.p[$0] != b.p[$0] && !(a.p[$0].isNaN && b.p[$0].isNaN) }
                #expect(bad.isEmpty, "\(name) level \(level): \(bad.count) mismatches, first \(bad.first ?? 0)")
            }
        }
        // bf16 -> f32 -> bf16 is the identity on non-NaN values.
        let back = Buf<UInt16>(repeating: 0, all.count)
        ck_bf16_to_f32(all.p, a.p, all.count)
        ck_f32_to_bf16(a.p, back.p, all.count)
        #expect((0..<all.count).allSatisfy { a.p[$0].isNaN || back.p[$0] == all.p[$0] })
    }

    @Test(arguments: oddSizes + [128, 1024, 2048])
    func rowKernels(n: Int) {
        var rng = SplitMix(UInt64(n) + 11)
        let rows = 3
        let x = Buf(rng.floats(rows * n, 3).map { $0 + 0.5 }), w = Buf(rng.floats(n)), b = Buf(rng.floats(n))
        let y = Buf<Float>(repeating: 0, rows * n), r = Buf<Float>(repeating: 0, rows * n)
        for weight in [w.p, nil] as [UnsafeMutablePointer<Float>?] {
            Kernels.rmsNorm(x.p, weight: weight, output: y.p, rows: rows, dim: n, eps: 1e-6)
            ck_rmsnorm_ref(x.p, weight, r.p, Int32(rows), Int32(n), 1e-6)
            expectClose(y.array, r.array, "rmsnorm n=\(n)")
            Kernels.layerNorm(x.p, weight: weight, bias: b.p, output: y.p, rows: rows, dim: n, eps: 1e-6)
            ck_layernorm_ref(x.p, weight, b.p, r.p, Int32(rows), Int32(n), 1e-6)
            expectClose(y.array, r.array, "layernorm n=\(n)")
        }
        // In place gives the same answer.
        let inPlace = Buf(x.array)
        Kernels.rmsNorm(inPlace.p, weight: w.p, output: inPlace.p, rows: rows, dim: n, eps: 1e-6)
        ck_rmsnorm_ref(x.p, w.p, r.p, Int32(rows), Int32(n), 1e-6)
        expectClose(inPlace.array, r.array, "rmsnorm in place n=\(n)")

        for scale: Float in [1, 30] {
            let s = Buf(rng.floats(n, scale)), sr = Buf(s.array)
            Kernels.softmax(s.p, count: n)
            ck_softmax_ref(sr.p, Int32(n))
            expectClose(s.array, sr.array, "softmax n=\(n) scale \(scale)")
            expectApprox(s.array.reduce(0, +), 1, tol: 1e-5, "softmax sum")
        }
    }

    @Test(arguments: [(1, 16, 128), (1, 8, 64), (3, 2, 64), (5, 3, 18), (2, 1, 2), (4, 16, 128)])
    func rope(positions: Int, heads: Int, headDim: Int) {
        var rng = SplitMix(UInt64(positions * heads * headDim))
        let half = headDim / 2
        // Real tables: inv_freq[i] = theta^(-2i/d) at positions 7, 8, ...
        var cosT = [Float](), sinT = [Float]()
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Double(p + 7) * pow(1e6, -2.0 * Double(i) / Double(headDim))
                cosT.append(Float(cos(angle)))
                sinT.append(Float(sin(angle)))
            }
        }
        let x = rng.floats(positions * heads * headDim)
        let a = Buf(x), b = Buf(x), c = Buf(cosT), s = Buf(sinT)
        Kernels.rope(a.p, cos: c.p, sin: s.p, positions: positions, heads: heads, headDim: headDim)
        ck_rope_ref(b.p, c.p, s.p, Int32(positions), Int32(heads), Int32(headDim))
        expectClose(a.array, b.array, "rope \(positions)x\(heads)x\(headDim)")
    }

    @Test(arguments: oddSizes + [4096])
    func elementwise(n: Int) {
        var rng = SplitMix(UInt64(n) + 3)
        let x = Buf(rng.floats(n, 12)), u = Buf(rng.floats(n, 2))
        let y = Buf<Float>(repeating: 0, n), r = Buf<Float>(repeating: 0, n)
        let pairs: [(String, (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                     (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)] = [
            ("silu", { Kernels.silu($0, output: $1, count: $2) }, ck_silu_ref),
            ("gelu", { Kernels.gelu($0, output: $1, count: $2) }, ck_gelu_ref),
            ("elu", { Kernels.elu($0, output: $1, count: $2) }, ck_elu_ref),
        ]
        for (name, fast, ref) in pairs {
            fast(x.p, y.p, n)
            ref(x.p, r.p, n)
            expectClose(y.array, r.array, "\(name) n=\(n)")
            let inPlace = Buf(x.array)
            fast(inPlace.p, inPlace.p, n)
            expectClose(inPlace.array, r.array, "\(name) in place n=\(n)")
        }
        Kernels.swiglu(gate: x.p, up: u.p, output: y.p, count: n)
        ck_swiglu_ref(x.p, u.p, r.p, n)
        expectClose(y.array, r.array, "swiglu n=\(n)")

        Kernels.add(x.p, u.p, output: y.p, count: n)
        #expect(y.array == zip(x.array, u.array).map { $0 + $1 })
        Kernels.mul(x.p, u.p, output: y.p, count: n)
        #expect(y.array == zip(x.array, u.array).map { $0 * $1 })
        Kernels.scale(x.p, by: 0.5, output: y.p, count: n)
        #expect(y.array == x.array.map { $0 * 0.5 })
    }

    @Test func transpose() {
        for (rows, cols) in [(1, 1), (3, 17), (65, 33), (100, 1000)] {
            let x = Buf((0..<rows * cols).map { Float($0) }), y = Buf<Float>(repeating: 0, rows * cols)
            Kernels.transpose(x.p, output: y.p, rows: rows, cols: cols)
            #expect((0..<rows).allSatisfy { r in (0..<cols).allSatisfy { c in y.p[c * rows + r] == x.p[r * cols + c] } })
        }
    }

    @Test(arguments: [(1, 1), (3, 17), (17, 63), (96, 1000), (4, 4099)])
    func snakeBeta(channels: Int, length: Int) {
        var rng = SplitMix(UInt64(channels * length))
        let x = Buf(rng.floats(channels * length, 4)), la = Buf(rng.floats(channels, 1.5)), lb = Buf(rng.floats(channels, 1.5))
        let y = Buf<Float>(repeating: 0, channels * length), r = Buf<Float>(repeating: 0, channels * length)
        Kernels.snakeBeta(x.p, logAlpha: la.p, logBeta: lb.p, output: y.p, channels: channels, length: length)
        ck_snakebeta_ref(x.p, la.p, lb.p, r.p, Int32(channels), Int32(length))
        expectClose(y.array, r.array, "snake \(channels)x\(length)")
        // Arguments beyond the fast range take the libm path.
        x.p[0] = 3e4
        Kernels.snakeBeta(x.p, logAlpha: la.p, logBeta: lb.p, output: x.p, channels: channels, length: length)
        let big: Float = 3e4
        let a = exp(la.p[0]), s = sin(big * a)
        expectApprox(x.p[0], Double(big + 1 / (exp(lb.p[0]) + 1e-9) * s * s), tol: 1e-6, "snake far argument")
    }

    // (queries, position0, heads, kvHeads, headDim, window)
    static let attentionShapes: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 0, 16, 8, 128, 0), (1, 37, 16, 8, 128, 0), (1, 600, 16, 8, 128, 0), (2, 0, 16, 8, 128, 0),
        (65, 0, 16, 8, 128, 0), (17, 300, 4, 1, 64, 0), (1, 500, 16, 16, 64, 72), (129, 0, 16, 16, 64, 72),
        (3, 63, 2, 2, 17, 5), (1, 0, 1, 1, 1, 0),
    ]

    @Test(arguments: attentionShapes)
    func attention(shape: (Int, Int, Int, Int, Int, Int)) {
        let (nq, p0, heads, kv, hd, window) = shape
        var rng = SplitMix(UInt64(nq * 1000 + p0))
        let ctx = p0 + nq
        let q = Buf(rng.floats(nq * heads * hd, 2)), k = Buf(rng.floats(ctx * kv * hd, 2)), v = Buf(rng.floats(ctx * kv * hd))
        let y = Buf<Float>(repeating: .nan, nq * heads * hd), r = Buf<Float>(repeating: 0, nq * heads * hd)
        let pool = ThreadPool(threadCount: 2)
        let scale = 1 / Float(hd).squareRoot()
        Kernels.attention(q: q.p, k: k.p, v: v.p, output: y.p, queries: nq, position0: p0, heads: heads,
                          kvHeads: kv, headDim: hd, window: window, scale: scale, pool: pool)
        ck_attention_ref(nil, q.p, k.p, v.p, r.p, Int32(nq), Int32(p0), Int32(heads), Int32(kv), Int32(hd), Int32(window), scale)
        expectClose(y.array, r.array, "attention \(shape)")
    }

    // (inChannels, outChannels, length, kernel, stride, dilation, padLeft, padRight, groups)
    static let convShapes: [[Int]] = [
        [3, 5, 17, 7, 1, 1, 6, 0, 1],        // causal k7
        [17, 9, 63, 7, 1, 3, 18, 0, 1],      // causal dilation 3
        [16, 8, 65, 7, 1, 9, 54, 0, 1],      // causal dilation 9
        [96, 1, 1000, 7, 1, 1, 6, 0, 1],     // vocoder output conv
        [64, 32, 129, 1, 1, 1, 0, 0, 1],     // pointwise
        [8, 6, 127, 4, 2, 1, 1, 2, 1],       // stride 2, padding both sides
        [6, 4, 33, 3, 1, 1, 1, 1, 2],        // grouped
        [64, 64, 1000, 7, 1, 1, 6, 0, 64],   // depthwise causal
        [5, 5, 17, 3, 2, 2, 1, 3, 5],        // depthwise strided, dilated
        [4, 3, 1, 3, 1, 1, 2, 0, 1],         // single input sample
        [4, 3, 2, 5, 1, 1, 0, 0, 1],         // input shorter than the kernel: empty output
        [512, 64, 300, 3, 1, 1, 2, 0, 1],    // tiled im2col (several column tiles)
    ]

    @Test(arguments: convShapes)
    func conv1d(shape: [Int]) {
        let (cin, cout, t, k, s, d, pl, pr, g) = (shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6], shape[7], shape[8])
        var rng = SplitMix(UInt64(shape.reduce(7) { $0 &* 31 &+ $1 }))
        let x = Buf(rng.floats(cin * t)), w = Buf(rng.floats(cout * cin / g * k)), bias = Buf(rng.floats(cout))
        let tOut = Kernels.conv1dOutputLength(length: t, kernelSize: k, stride: s, dilation: d, padLeft: pl, padRight: pr)
        let y = Buf<Float>(repeating: .nan, cout * tOut), r = Buf<Float>(repeating: 0, cout * tOut)
        let work = Buf<Float>(repeating: 0, Kernels.conv1dWorkspaceCount(
            inChannels: cin, outChannels: cout, length: t, kernelSize: k, stride: s, dilation: d, padLeft: pl, padRight: pr, groups: g))
        let pool = ThreadPool(threadCount: 2)
        let tapMajor = Buf<Float>(repeating: 0, cout * cin / g * k)
        Kernels.tapMajor(w.p, into: tapMajor.p, outChannels: cout, inPerGroup: cin / g, kernelSize: k)
        for b in [bias.p, nil] as [UnsafeMutablePointer<Float>?] {
            Kernels.conv1d(input: x.p, weight: tapMajor.p, bias: b, output: y.p, inChannels: cin, outChannels: cout, length: t,
                           kernelSize: k, stride: s, dilation: d, padLeft: pl, padRight: pr, groups: g, workspace: work.p, pool: pool)
            ck_conv1d_ref(x.p, w.p, b, r.p, Int32(cin), Int32(cout), Int32(t), Int32(k), Int32(s), Int32(d), Int32(pl), Int32(pr), Int32(g))
            expectClose(y.array, r.array, "conv1d \(shape)")
        }
        if shape == [4, 3, 2, 5, 1, 1, 0, 0, 1] { #expect(tOut == 0) }
    }

    // (inChannels, outChannels, length, kernel, stride)
    static let convTransposeShapes: [[Int]] = [
        [16, 16, 17, 2, 2], [24, 12, 9, 16, 8], [12, 6, 13, 10, 5], [8, 4, 63, 3, 1], [5, 3, 1, 6, 3], [7, 9, 33, 4, 3],
        [7, 5, 11, 7, 3], [9, 4, 20, 2, 3], [64, 32, 16, 16, 8],  // kernel not a multiple of the stride; shorter than it
    ]

    @Test(arguments: convTransposeShapes)
    func convTranspose1d(shape: [Int]) {
        let (cin, cout, t, k, s) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        var rng = SplitMix(UInt64(shape.reduce(3) { $0 &* 31 &+ $1 }))
        let x = Buf(rng.floats(cin * t)), w = Buf(rng.floats(cin * cout * k)), bias = Buf(rng.floats(cout))
        let tOut = Kernels.convTranspose1dOutputLength(length: t, kernelSize: k, stride: s)
        #expect(tOut == (t - 1) * s + k)
        let y = Buf<Float>(repeating: .nan, cout * tOut), r = Buf<Float>(repeating: 0, cout * tOut)
        let work = Buf<Float>(repeating: 0, Kernels.convTranspose1dWorkspaceCount(inChannels: cin, outChannels: cout, length: t,
                                                                                  kernelSize: k, stride: s))
        let phases = Buf<Float>(repeating: .nan, s * cout * Kernels.convTranspose1dTaps(kernelSize: k, stride: s) * cin)
        Kernels.polyphase(w.p, into: phases.p, inChannels: cin, outChannels: cout, kernelSize: k, stride: s)
        Kernels.convTranspose1d(input: x.p, weight: phases.p, bias: bias.p, output: y.p, inChannels: cin, outChannels: cout,
                                length: t, kernelSize: k, stride: s, workspace: work.p)
        ck_conv_transpose1d_ref(x.p, w.p, bias.p, r.p, Int32(cin), Int32(cout), Int32(t), Int32(k), Int32(s))
        expectClose(y.array, r.array, "convTranspose1d \(shape)")
    }

    /// The packed GEMM at every ISA level, threaded and not, against the naive reference: all
    /// transposes, edge sizes around every micro-kernel width, padded strides, alpha/beta, NaN in
    /// C with beta 0 (C must not be read), k = 0. Each element's error is bounded by float
    /// rounding of its own terms: 1e-5 * (|alpha| * sum|a||b| + |beta * c|).
    @Test func sgemmMatchesReferenceOverSweptShapes() {
        var rng = SplitMix(5)
        let pool = ThreadPool(threadCount: 2)
        let sizes = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 48, 63, 65, 97, 129]
        var shapes: [(Int, Int, Int)] = []
        for _ in 0..<40 {
            shapes.append((sizes[Int(rng.next() % UInt64(sizes.count))], sizes[Int(rng.next() % UInt64(sizes.count))],
                           sizes[Int(rng.next() % UInt64(sizes.count))]))
        }
        shapes += [(1, 1, 1), (300, 70, 257), (70, 300, 513), (13, 1000, 9), (1000, 3, 40), (6, 64, 0), (200, 200, 300)]
        forEachISALevel { level in
            for (index, (m, n, k)) in shapes.enumerated() {
                let ta = index % 2 == 1, tb = index % 4 >= 2
                let pad = index % 3  // extra columns in every stored row
                let (alpha, beta): (Float, Float) = [(1, 0), (2, 0.5), (1, 1), (-0.5, 0)][index % 4]
                let lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad
                let a = rng.floats((ta ? k : m) * lda), b = rng.floats((tb ? n : k) * ldb)
                var c0 = rng.floats(m * ldc)
                if beta == 0 { c0 = c0.map { _ in .nan } }
                let expected = Buf(c0)
                GEMM.sgemmReference(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                    beta: beta, c: expected.p, ldc: ldc)
                // sum_l |a_il| |b_lj|, the scale of each element's rounding error.
                let magnitude = Buf<Float>(repeating: 0, m * ldc)
                GEMM.sgemmReference(transA: ta, transB: tb, m: m, n: n, k: k, a: a.map(abs), lda: lda, b: b.map(abs), ldb: ldb,
                                    c: magnitude.p, ldc: ldc)
                for usePool in [false, true] {
                    let c = Buf(c0)
                    GEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                               beta: beta, c: c.p, ldc: ldc, pool: usePool ? pool : nil)
                    var worst = 0.0
                    for i in 0..<m {
                        for j in 0..<n {
                            let mag = Double(magnitude.p[i * ldc + j])
                            let cTerm = beta == 0 ? 0 : abs(Double(beta) * Double(c0[i * ldc + j]))
                            let bound = 1e-5 * (Double(abs(alpha)) * mag + cTerm) + 1e-30
                            let err = abs(Double(c.p[i * ldc + j]) - Double(expected.p[i * ldc + j]))
                            worst = max(worst, err.isNaN ? .infinity : err / bound)
                        }
                        // The padding columns of C are never written.
                        for j in n..<ldc where !(c.p[i * ldc + j].isNaN && c0[i * ldc + j].isNaN) {
                            #expect(c.p[i * ldc + j] == c0[i * ldc + j], "level \(level) m\(m) n\(n) k\(k): pad written")
                        }
                    }
                    #expect(worst <= 1, "level \(level) ta=\(ta) tb=\(tb) m=\(m) n=\(n) k=\(k) pool=\(usePool): \(worst)x bound")
                }
            }
        }
    }

    /// The GEMM over bf16 weights (C = A · W^T, W [n, k] widened while packed) at every ISA level,
    /// threaded and not, against its naive reference: swept and odd sizes (k not a multiple of 8
    /// or 16, several passes over k, one sliver of W read in place), padded strides, NaN in C
    /// (never read). Error bound per element as for sgemm: 1e-5 * sum|a||w|.
    @Test func sgemmBF16WeightsMatchesReferenceOverSweptShapes() {
        var rng = SplitMix(23)
        let pool = ThreadPool(threadCount: 2)
        let sizes = [1, 2, 3, 7, 16, 17, 33, 64, 100, 129, 300]
        var shapes: [(Int, Int, Int)] = []
        for _ in 0..<40 {
            shapes.append((sizes[Int(rng.next() % UInt64(sizes.count))], sizes[Int(rng.next() % UInt64(sizes.count))],
                           sizes[Int(rng.next() % UInt64(sizes.count))]))
        }
        shapes += [(300, 300, 300), (100, 129, 1000), (129, 7, 1000), (17, 300, 33), (16, 48, 129), (2, 3, 0)]
        forEachISALevel { level in
            for (index, (m, n, k)) in shapes.enumerated() {
                let pad = index % 3
                let (lda, ldw, ldc) = (k + pad, k + (index + 1) % 3, n + pad)
                let a = rng.floats(m * lda), wf = rng.floats(n * ldw)
                let w = bf16Bits(wf), exact = w.map { Float(bitPattern: UInt32($0) << 16) }
                let c0 = [Float](repeating: .nan, count: m * ldc)
                let expected = Buf(c0), magnitude = Buf(c0)
                GEMM.sgemmBF16WeightsReference(m: m, n: n, k: k, a: a, lda: lda, w: w, ldw: ldw, c: expected.p, ldc: ldc)
                GEMM.sgemmReference(transB: true, m: m, n: n, k: k, a: a.map(abs), lda: lda, b: exact.map(abs), ldb: ldw,
                                    c: magnitude.p, ldc: ldc)
                for usePool in [false, true] {
                    let c = Buf(c0)
                    GEMM.sgemmBF16Weights(m: m, n: n, k: k, a: a, lda: lda, w: w, ldw: ldw, c: c.p, ldc: ldc,
                                          pool: usePool ? pool : nil)
                    let worst = worstOverBound(c.p, expected.p, magnitude.p, m: m, n: n, ldc: ldc)
                    for i in 0..<m {
                        for j in n..<ldc where !c.p[i * ldc + j].isNaN {
                            Issue.record("level \(level) m\(m) n\(n) k\(k): pad written")
                        }
                    }
                    #expect(worst <= 1, "level \(level) m=\(m) n=\(n) k=\(k) pool=\(usePool): \(worst)x bound")
                }
            }
        }
    }

    /// The convolution GEMM over implicit im2col columns at every ISA level, threaded and not,
    /// against its naive reference: odd channel counts, dilations, several passes per tap (cin
    /// above the pass depth), one sliver of columns (read in place), few rows (the thin path),
    /// padded strides; beta 0 (C holds NaN, never read) and beta 1. Bound per element:
    /// 1e-5 * sum|w||x| (plus |c| for beta 1).
    @Test func convolutionGEMMMatchesReferenceOverSweptShapes() {
        var rng = SplitMix(41)
        let pool = ThreadPool(threadCount: 2)
        // (m, n, cin, taps, dilation)
        let shapes: [(Int, Int, Int, Int, Int)] = [
            (1, 1000, 96, 7, 1), (3, 77, 17, 7, 3), (8, 33, 5, 3, 9), (9, 129, 33, 7, 1), (16, 48, 64, 7, 9),
            (17, 47, 20, 2, 1), (64, 300, 100, 1, 1), (96, 640, 192, 7, 3), (100, 40, 1000, 3, 2),
            (33, 500, 385, 2, 5), (7, 5, 3, 4, 2), (48, 1, 13, 7, 1),
        ]
        forEachISALevel { level in
            for (index, (m, n, cin, taps, dil)) in shapes.enumerated() {
                let pad = index % 3
                let ldw = cin * taps + pad, ldx = n + (taps - 1) * dil + (index + 1) % 3, ldc = n + pad
                let w = rng.floats(m * ldw), x = rng.floats(cin * ldx), start = rng.floats(m * ldc)
                for beta in [0, 1] as [Float] {
                    let c0 = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : start
                    let expected = Buf(c0), magnitude = Buf(start.map(abs))
                    GEMM.convolutionReference(m: m, n: n, cin: cin, taps: taps, dilation: dil, w: w, ldw: ldw, x: x,
                                              ldx: ldx, beta: beta, c: expected.p, ldc: ldc)
                    GEMM.convolutionReference(m: m, n: n, cin: cin, taps: taps, dilation: dil, w: w.map(abs), ldw: ldw,
                                              x: x.map(abs), ldx: ldx, beta: beta, c: magnitude.p, ldc: ldc)
                    for usePool in [false, true] {
                        let c = Buf(c0)
                        GEMM.convolution(m: m, n: n, cin: cin, taps: taps, dilation: dil, w: w, ldw: ldw, x: x, ldx: ldx,
                                         beta: beta, c: c.p, ldc: ldc, pool: usePool ? pool : nil)
                        let worst = worstOverBound(c.p, expected.p, magnitude.p, m: m, n: n, ldc: ldc)
                        for i in 0..<m {
                            for j in n..<ldc where c.p[i * ldc + j].bitPattern != c0[i * ldc + j].bitPattern {
                                Issue.record("level \(level) \((m, n, cin, taps, dil)): pad written")
                            }
                        }
                        #expect(worst <= 1, "level \(level) \((m, n, cin, taps, dil)) beta \(beta) pool \(usePool): \(worst)x bound")
                    }
                }
            }
        }
    }

    /// The GEMM over q8/q4 weights (dequantized while packed) at every ISA level, threaded and
    /// not, against the quantized product's naive reference (double sums of the defining
    /// dequantization). Bound per element: 1e-5 * sum|a||dequant(w)|.
    @Test func sgemmQuantizedWeightsMatchesReference() {
        var rng = SplitMix(29)
        let pool = ThreadPool(threadCount: 2)
        let shapes = [(1, 1, 32), (2, 3, 64), (17, 7, 96), (16, 33, 416), (100, 129, 1024), (33, 300, 64), (300, 100, 800),
                      (64, 16, 1024), (7, 64, 32)]
        forEachISALevel { level in
            for format in [CK_Q8, CK_Q4] {
                for (index, (m, n, k)) in shapes.enumerated() {
                    let packed = UnsafeMutableRawPointer.allocate(byteCount: ck_quant_size(format, Int32(n), Int32(k)), alignment: 64)
                    defer { packed.deallocate() }
                    let wf = rng.floats(n * k, 0.2)
                    #expect(wf.withUnsafeBufferPointer { ck_quant_pack_f32(format, $0.baseAddress, Int32(n), Int32(k), packed) } == 0)
                    let deq = Buf<Float>(repeating: 0, n * k)
                    ck_quant_unpack(format, packed, Int32(n), Int32(k), deq.p)
                    let lda = k + index % 3, ldc = n + index % 2
                    let a = rng.floats(m * lda)
                    let packedA = Buf((0..<m).flatMap { a[($0 * lda)..<($0 * lda + k)] })
                    let expected = Buf<Float>(repeating: 0, m * n), magnitude = Buf<Float>(repeating: 0, m * n)
                    ck_matmul_quant_ref(nil, format, packed, packedA.p, nil, expected.p, Int32(m), Int32(n), Int32(k))
                    GEMM.sgemmReference(transB: true, m: m, n: n, k: k, a: a.map(abs), lda: lda, b: deq.array.map(abs), ldb: k,
                                        c: magnitude.p, ldc: n)
                    for usePool in [false, true] {
                        let c = Buf<Float>(repeating: .nan, m * ldc)
                        ck_sgemm_quantw(usePool ? pool.handle : nil, format, packed, Int32(m), Int32(n), Int32(k), a, Int32(lda),
                                        c.p, Int32(ldc))
                        let worst = worstOverBound(c.p, expected.p, magnitude.p, m: m, n: n, ldc: ldc, ldm: n)
                        for i in 0..<m {
                            for j in n..<ldc where !c.p[i * ldc + j].isNaN {
                                Issue.record("level \(level) q\(format.rawValue) m\(m) n\(n) k\(k): pad written")
                            }
                        }
                        #expect(worst <= 1, "level \(level) q\(format.rawValue) m=\(m) n=\(n) k=\(k) pool=\(usePool): \(worst)x bound")
                    }
                }
            }
        }
    }

    /// Block-quantized products (q8, q4; f32 activations, and the int8-activation variant) at
    /// every ISA level, threaded and not, against their naive references over swept shapes.
    @Test func quantizedMatmulMatchesReferenceOverSweptShapes() {
        var rng = SplitMix(17)
        let pool = ThreadPool(threadCount: 2)
        forEachISALevel { level in
            for format in [CK_Q8, CK_Q4] {
                for (rows, cols) in [(1, 32), (3, 64), (5, 96), (7, 160), (33, 64), (64, 1024), (100, 96)] {
                    let size = ck_quant_size(format, Int32(rows), Int32(cols))
                    #expect(size > 0)
                    let packed = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
                    defer { packed.deallocate() }
                    let w = rng.floats(rows * cols, 0.2)
                    #expect(w.withUnsafeBufferPointer { ck_quant_pack_f32(format, $0.baseAddress, Int32(rows), Int32(cols), packed) } == 0)
                    for m in [1, 2, 3, 4, 5, 8, 17] {
                        let x = Buf(rng.floats(m * cols)), bias = Buf(rng.floats(rows))
                        for (useBias, usePool) in [(false, false), (true, true)] {
                            let y = Buf<Float>(repeating: .nan, m * rows), r = Buf<Float>(repeating: 0, m * rows)
                            let b: UnsafeMutablePointer<Float>? = useBias ? bias.p : nil
                            ck_matmul_quant(usePool ? pool.handle : nil, format, packed, x.p, b, y.p, Int32(m), Int32(rows), Int32(cols))
                            ck_matmul_quant_ref(nil, format, packed, x.p, b, r.p, Int32(m), Int32(rows), Int32(cols))
                            expectClose(y.array, r.array, "level \(level) q\(format.rawValue) \(rows)x\(cols) m=\(m) pool=\(usePool)")
                            ck_matmul_quant_x8(usePool ? pool.handle : nil, format, packed, x.p, b, y.p, Int32(m), Int32(rows), Int32(cols))
                            ck_matmul_quant_x8_ref(nil, format, packed, x.p, b, r.p, Int32(m), Int32(rows), Int32(cols))
                            expectClose(y.array, r.array, "x8 level \(level) q\(format.rawValue) \(rows)x\(cols) m=\(m)")
                        }
                    }
                    // Dequantized weights are within half a quantization step of the originals.
                    let back = Buf<Float>(repeating: 0, rows * cols)
                    ck_quant_unpack(format, packed, Int32(rows), Int32(cols), back.p)
                    let step: Float = format == CK_Q8 ? 0.2 / 127 : 0.2 / 7
                    #expect(zip(back.array, w).map { abs($0 - $1) }.max()! <= step, "q\(format.rawValue) rounding")
                }
            }
        }
    }

    /// Runs the dispatching kernels at every instruction-set level this CPU has.
    @Test func everyISALevelMatchesReference() {
        var rng = SplitMix(99)
        let (rows, cols, m) = (67, 131, 5)
        let w = rng.floats(rows * cols)
        let wf = Buf(w), wb = Buf(bf16Bits(w)), x = Buf(rng.floats(m * cols, 2)), bias = Buf(rng.floats(rows))
        let pool = ThreadPool(threadCount: 2)
        forEachISALevel { level in
            let y = Buf<Float>(repeating: 0, m * rows), r = Buf<Float>(repeating: 0, m * rows)
            ck_matmul_f32(pool.handle, wf.p, x.p, bias.p, y.p, Int32(m), Int32(rows), Int32(cols))
            ck_matmul_f32_ref(nil, wf.p, x.p, bias.p, r.p, Int32(m), Int32(rows), Int32(cols))
            expectClose(y.array, r.array, "matmul f32 level \(level)")
            ck_matmul_bf16(pool.handle, wb.p, x.p, bias.p, y.p, Int32(m), Int32(rows), Int32(cols))
            ck_matmul_bf16_ref(nil, wb.p, x.p, bias.p, r.p, Int32(m), Int32(rows), Int32(cols))
            expectClose(y.array, r.array, "matmul bf16 level \(level)")
            ck_matvec_bf16(nil, wb.p, x.p, nil, y.p, Int32(rows), Int32(cols))
            ck_matvec_bf16_ref(nil, wb.p, x.p, nil, r.p, Int32(rows), Int32(cols))
            expectClose(Array(y.array.prefix(rows)), Array(r.array.prefix(rows)), "matvec bf16 level \(level)")

            let n = cols
            let a = Buf<Float>(repeating: 0, 3 * n), b = Buf<Float>(repeating: 0, 3 * n)
            ck_rmsnorm(x.p, wf.p, a.p, 3, Int32(n), 1e-5)
            ck_rmsnorm_ref(x.p, wf.p, b.p, 3, Int32(n), 1e-5)
            expectClose(a.array, b.array, "rmsnorm level \(level)")
            ck_layernorm(x.p, wf.p, wf.p + 2000, a.p, 3, Int32(n), 1e-5)
            ck_layernorm_ref(x.p, wf.p, wf.p + 2000, b.p, 3, Int32(n), 1e-5)
            expectClose(a.array, b.array, "layernorm level \(level)")
            a.p.update(from: x.p, count: 3 * n)
            b.p.update(from: x.p, count: 3 * n)
            ck_softmax(a.p, Int32(3 * n))
            ck_softmax_ref(b.p, Int32(3 * n))
            expectClose(a.array, b.array, "softmax level \(level)")
            ck_silu(x.p, a.p, 3 * n)
            ck_silu_ref(x.p, b.p, 3 * n)
            expectClose(a.array, b.array, "silu level \(level)")
            ck_swiglu(x.p, x.p + n, a.p, 2 * n)
            ck_swiglu_ref(x.p, x.p + n, b.p, 2 * n)
            expectClose(Array(a.array.prefix(2 * n)), Array(b.array.prefix(2 * n)), "swiglu level \(level)")
            ck_snakebeta(x.p, bias.p, wf.p, a.p, 3, Int32(n))
            ck_snakebeta_ref(x.p, bias.p, wf.p, b.p, 3, Int32(n))
            expectClose(a.array, b.array, "snake level \(level)")
            a.p.update(from: x.p, count: 3 * n)
            b.p.update(from: x.p, count: 3 * n)
            ck_rope(a.p, wf.p, wf.p + 1000, 3, 1, 130)
            ck_rope_ref(b.p, wf.p, wf.p + 1000, 3, 1, 130)
            expectClose(a.array, b.array, "rope level \(level)")
            ck_conv1d_depthwise(pool.handle, x.p, wf.p, bias.p, a.p, 3, Int32(n), 7, 1, 2, 12, 0)
            ck_conv1d_ref(x.p, wf.p, bias.p, b.p, 3, 3, Int32(n), 7, 1, 2, 12, 0, 3)
            expectClose(a.array, b.array, "depthwise level \(level)")

            // 2 queries at positions 299, 300 over 301 keys: crosses the 256-key softmax block.
            let (heads, kv, hd) = (4, 2, 24)
            let q = Buf(rng.floats(2 * heads * hd)), k = Buf(rng.floats(301 * kv * hd, 3)), v = Buf(rng.floats(301 * kv * hd))
            let o = Buf<Float>(repeating: 0, 2 * heads * hd), oref = Buf<Float>(repeating: 0, 2 * heads * hd)
            ck_attention(pool.handle, q.p, k.p, v.p, o.p, 2, 299, Int32(heads), Int32(kv), Int32(hd), 0, 0.3)
            ck_attention_ref(nil, q.p, k.p, v.p, oref.p, 2, 299, Int32(heads), Int32(kv), Int32(hd), 0, 0.3)
            expectClose(o.array, oref.array, "attention level \(level)")
        }
    }
}

// MARK: - Thread pool

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3, 8])
    func everyTaskRunsOnce(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        #expect(pool.threadCount == threads)
        for tasks in [1, 2, 5, 64, 1000] {
            let hits = Buf<Int32>(repeating: 0, tasks), seen = Buf<Int32>(repeating: -1, tasks)
            pool.run(tasks: tasks) { task, thread in
                hits.p[task] += 1
                seen.p[task] = Int32(thread)
            }
            #expect(hits.array.allSatisfy { $0 == 1 }, "\(threads) threads, \(tasks) tasks")
            #expect(seen.array.allSatisfy { $0 >= 0 && $0 < threads })
        }
    }

    @Test func manyBackToBackJobsAndSleepingWorkers() {
        let pool = ThreadPool(threadCount: 2)
        let sums = Buf<Int>(repeating: 0, 4)
        for round in 0..<5000 {
            pool.run(tasks: 4) { task, _ in sums.p[task] += round }
        }
        let expected = (0..<5000).reduce(0, +)
        #expect(sums.array == [expected, expected, expected, expected])
        // After the spin budget the workers sleep; the next job must still wake them.
        Thread.sleep(forTimeInterval: 0.01)
        let after = Buf<Int>(repeating: 0, 8)
        pool.run(tasks: 8) { task, _ in after.p[task] = task + 1 }
        #expect(after.array == Array(1...8))
    }

    @Test func nestedRunsInline() {
        let pool = ThreadPool(threadCount: 2)
        let grid = Buf<Int32>(repeating: 0, 16)
        pool.run(tasks: 4) { outer, thread in
            pool.run(tasks: 4) { inner, innerThread in
                grid.p[outer * 4 + inner] = innerThread == thread ? 1 : -1
            }
        }
        #expect(grid.array.allSatisfy { $0 == 1 })
    }

    @Test func concurrentCallersAreSerialized() async {
        let pool = ThreadPool(threadCount: 2)
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let local = Buf<Int>(repeating: 0, 16)
                    for _ in 0..<500 { pool.run(tasks: 16) { t, _ in local.p[t] += 1 } }
                    return local.array.reduce(0, +)
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts == [8000, 8000, 8000, 8000])
    }
}
