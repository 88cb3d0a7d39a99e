// `qwen3-tts dev gemm-bench`: the project's own GEMM on the shapes this model runs (prefill with
// f32 weights, codec decoder and encoder convolutions, speaker encoder), against OpenBLAS when it
// is installed (loaded at run time for the comparison only). Prints GFLOP/s and the ratio.
// With --weights bf16/q8/q4 the prefill products read W in that format (converted while packed),
// and the "widen first" column times the former path: convert all of W to f32, then the f32 GEMM.

import ArgumentParser
import CRuntimeLibs
import Foundation
import TensorCore

struct GemmBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm-bench",
        abstract: "Time the own GEMM against OpenBLAS (when installed) on this model's shapes.")

    @Option(help: "Threads for both (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Minimum seconds per measurement.") var seconds: Double = 0.3
    @Option(help: "Rounds, interleaving ours and OpenBLAS; the best of each is reported.") var rounds: Int = 3
    @Option(help: "Only shapes whose label contains this.") var filter: String?
    @Option(help: "Weights of the prefill products (B^T): f32, bf16, q8 or q4; other shapes are skipped unless f32.")
    var weights: String = "f32"

    struct Shape {
        let label: String, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float
    }

    /// The products the engine runs, as (label, op, M, N, K). A convolution is the GEMM of its
    /// weights [M = out, K = taps·in] with its (implicit) im2col columns; a transposed conv is
    /// the same over all output phases (M = stride·out, K = taps·in, N = inputs + taps - 1).
    /// F frames per decoder call.
    static var shapes: [Shape] {
        var s: [Shape] = []
        for (n, k) in [(1024, 1024), (3072, 1024), (1024, 3072), (2048, 2048), (6144, 2048)] {
            s.append(Shape(label: "prefill 300 pos \(n)x\(k)", transA: false, transB: true, m: 300, n: n, k: k, beta: 0))
        }
        for f in [4, 50] {
            for (m, k, n) in [(1536, 7168, 4 * f), (768, 5376, 32 * f), (768, 768, 32 * f), (384, 2688, 160 * f),
                              (192, 1344, 640 * f), (96, 672, 1920 * f), (96, 96, 1920 * f)] {
                s.append(Shape(label: "decoder F=\(f) conv", transA: false, transB: false, m: m, n: n, k: k, beta: 1))
            }
            for (m, k, n) in [(6144, 3072, 4 * f + 1), (1920, 1536, 32 * f + 1), (768, 768, 160 * f + 1), (288, 384, 640 * f + 1)] {
                s.append(Shape(label: "decoder F=\(f) convT", transA: false, transB: false, m: m, n: n, k: k, beta: 0))
            }
        }
        // Codec encoder (SEANet) on a 10 s reference: every conv of each resolution.
        for (m, k, n) in [(64, 7, 240000), (32, 192, 240000), (128, 512, 60000), (64, 384, 60000), (256, 1280, 12000),
                          (128, 768, 12000), (512, 3072, 2000), (256, 1536, 2000), (1024, 8192, 250)] {
            s.append(Shape(label: "encoder conv 10 s", transA: false, transB: false, m: m, n: min(n, (1 << 22) / k), k: k,
                           beta: 1))
        }
        for (m, k, n) in [(512, 640, 500), (512, 1536, 500), (1536, 1536, 500)] {
            s.append(Shape(label: "speaker conv", transA: false, transB: false, m: m, n: n, k: k, beta: 1))
        }
        return s
    }

    func run() throws {
        guard let format = WeightFormat(rawValue: weights) else { throw ValidationError("unknown --weights '\(weights)'") }
        let pool = ThreadPool(threadCount: threads)
        let blas = rl_openblas_load()?.pointee
        blas?.set_num_threads(Int32(threads))
        print("own GEMM: \(Kernels.isaName), \(threads) threads; OpenBLAS: "
              + (blas.map { b in (b.get_config().map { String(cString: $0) } ?? "?") + ", core "
                  + (b.get_corename().map { String(cString: $0) } ?? "?") } ?? "not installed"))
        print("shape                          op      M      N      K   own GFLOP/s  OpenBLAS GFLOP/s  own/OpenBLAS")
        var ratios: [Double] = []
        if format != .f32 {
            print("own: from \(format) weights; then widening all of W first, then the f32 GEMM (OpenBLAS: f32 weights)")
        }
        for shape in Self.shapes where (filter.map({ shape.label.contains($0) }) ?? true) && (format == .f32 || shape.transB) {
            let (m, n, k) = (shape.m, shape.n, shape.k)
            let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            for i in 0..<(m * k) { a[i] = Float(i % 17) * 0.01 - 0.08 }
            for i in 0..<(k * n) { b[i] = Float(i % 13) * 0.01 - 0.06 }
            c.initialize(repeating: 0, count: m * n)
            let lda = shape.transA ? m : k, ldb = shape.transB ? k : n
            let f32GEMM = {
                GEMM.sgemm(transA: shape.transA, transB: shape.transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                           beta: shape.beta, c: c, ldc: n, pool: pool)
            }
            // W = B [n, k] as bf16 bits, and quantized from those.
            var bits = [UInt16](repeating: 0, count: n * k)
            for i in 0..<(n * k) { bits[i] = UInt16(b[i].bitPattern >> 16) }
            let quantized = format == .q8 || format == .q4 ? bits.withUnsafeBytes {
                QuantizedMatrix(Tensor(dtype: .bf16, shape: [n, k], data: $0.baseAddress!, owner: NSNull()), format: format)
            } : nil
            let own: () -> Void
            var widenFirst: (() -> Void)?
            switch format {
            case .f32:
                own = f32GEMM
            case .bf16:
                own = { GEMM.sgemmBF16Weights(m: m, n: n, k: k, a: a, lda: k, w: bits, ldw: k, c: c, ldc: n, pool: pool) }
                widenFirst = { Kernels.bf16ToF32(bits, b, count: n * k); f32GEMM() }
            case .q8, .q4:
                guard let q = quantized else { continue }
                own = { GEMM.sgemmQuantizedWeights(m: m, a: a, lda: k, w: q, c: c, ldc: n, pool: pool) }
                widenFirst = { q.dequantize(into: b); f32GEMM() }
            }
            let theirs = blas.map { blas in {
                blas.sgemm(Int32(RL_CBLAS_ROW_MAJOR), Int32(shape.transA ? RL_CBLAS_TRANS : RL_CBLAS_NO_TRANS),
                           Int32(shape.transB ? RL_CBLAS_TRANS : RL_CBLAS_NO_TRANS), Int32(m), Int32(n), Int32(k), 1,
                           a, Int32(lda), b, Int32(ldb), shape.beta, c, Int32(n))
            } }
            var bestOwn = Double.infinity, bestTheirs = Double.infinity, bestWiden = Double.infinity
            for _ in 0..<max(1, rounds) {
                bestOwn = min(bestOwn, time(own))
                if let widenFirst { bestWiden = min(bestWiden, time(widenFirst)) }
                if let theirs { bestTheirs = min(bestTheirs, time(theirs)) }
            }
            let flops = 2.0 * Double(m) * Double(n) * Double(k)
            let ownRate = flops / bestOwn / 1e9
            var line = String(format: "%-28@ %5@ %6d %6d %6d %13.1f", shape.label as NSString,
                              (shape.transA ? "A^T" : shape.transB ? "B^T" : "") as NSString, m, n, k, ownRate)
            if theirs != nil {
                let theirRate = flops / bestTheirs / 1e9
                ratios.append(ownRate / theirRate)
                line += String(format: " %17.1f %13.2f", theirRate, ownRate / theirRate)
            }
            if widenFirst != nil { line += String(format: "   widen first %.1f GFLOP/s", flops / bestWiden / 1e9) }
            print(line)
        }
        if !ratios.isEmpty {
            let geo = exp(ratios.map { log($0) }.reduce(0, +) / Double(ratios.count))
            print(String(format: "geometric mean own/OpenBLAS: %.2f (min %.2f, max %.2f)", geo, ratios.min()!, ratios.max()!))
        }
    }

    /// Seconds per call: one warm-up, then calls until `seconds` have passed (at least 2).
    private func time(_ body: () -> Void) -> Double {
        body()
        let clock = ContinuousClock()
        var calls = 0
        let start = clock.now
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            let d = clock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        } while elapsed < seconds || calls < 2
        return elapsed / Double(calls)
    }
}
