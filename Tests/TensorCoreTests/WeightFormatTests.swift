// CPUBackend's weight formats: a Linear prepared as f32, bf16, q8 or q4 computes, on every path
// (decode matvec, few-row weight streaming, prefill GEMM), what the reference backend computes
// on the same weights (dequantized for q8/q4); quantization error stays within its format's
// bounds; shapes a format cannot hold fall back to the stored weights.

import CKernels
import Foundation
import Testing
@testable import TensorCore

private func randomBF16(_ n: Int, seed: UInt64) -> [UInt16] {
    var s = seed
    var out = [UInt16](repeating: 0, count: n)
    var f = [Float](repeating: 0, count: n)
    for i in 0..<n {
        s = s &* 6364136223846793005 &+ 1442695040888963407
        f[i] = (Float(s >> 40) / Float(1 << 24) * 2 - 1) * 0.1
    }
    f.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { ck_f32_to_bf16(src.baseAddress, $0.baseAddress, n) } }
    return out
}

private func bf16Tensor(_ bits: [UInt16], _ shape: [Int]) -> Tensor {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: bits.count * 2, alignment: 64)
    bits.withUnsafeBytes { raw.copyMemory(from: $0.baseAddress!, byteCount: bits.count * 2) }
    final class Owner { let p: UnsafeMutableRawPointer; init(_ p: UnsafeMutableRawPointer) { self.p = p }; deinit { p.deallocate() } }
    return Tensor(dtype: .bf16, shape: shape, data: UnsafeRawPointer(raw), owner: Owner(raw))
}

private func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    var diff: Float = 0, scale: Float = 1e-20
    for i in a.indices { diff = max(diff, abs(a[i] - b[i])); scale = max(scale, abs(b[i])) }
    return diff / scale
}

@Suite struct WeightFormatTests {
    /// Every format and row count against the reference on the weights the format really holds.
    @Test(arguments: WeightFormat.allCases)
    func preparedLinearMatchesReference(_ format: WeightFormat) throws {
        for (out, inp) in [(96, 160), (37, 64), (50, 70)] {
            let weight = bf16Tensor(randomBF16(out * inp, seed: UInt64(out * 1000 + inp)), [out, inp])
            let bias = FloatBuffer((0..<out).map { Float($0) * 0.01 - 0.2 })
            let layer = Linear(weight: weight, bias: Tensor(dtype: .f32, shape: [out], data: UnsafeRawPointer(bias.pointer), owner: bias))
            let cpu = CPUBackend(threads: 2, weights: format)
            cpu.prepare(layer)

            // What the reference multiplies by: the dequantized matrix for q8/q4, else the weights.
            var effective = weight.floats()
            if case .quantized(let q) = layer.prepared {
                #expect(format == .q8 || format == .q4)
                effective.withUnsafeMutableBufferPointer { q.dequantize(into: $0.baseAddress!) }
                // Quantization error per weight: half a step of its block's scale at most.
                let original = weight.floats()
                let bound: Float = format == .q8 ? 0.1 / 127 : 0.1 / 7
                #expect(zip(effective, original).map { abs($0 - $1) }.max()! <= bound, "\(format) rounding")
            } else {
                // Only q8/q4 on a width that is not a multiple of 32 keep the stored weights.
                #expect(format == .f32 || format == .bf16 || inp % 32 != 0, "\(format) \(out)x\(inp) not prepared")
            }
            let effectiveBuffer = FloatBuffer(effective)
            let refLayer = Linear(weight: Tensor(dtype: .f32, shape: [out, inp], data: UnsafeRawPointer(effectiveBuffer.pointer),
                                                 owner: effectiveBuffer),
                                  bias: Tensor(dtype: .f32, shape: [out], data: UnsafeRawPointer(bias.pointer), owner: bias))
            for rows in [1, 3, 5, CPUBackend.gemmMinRows + 3] {
                var s: UInt64 = UInt64(rows)
                let xs = (0..<rows * inp).map { _ -> Float in
                    s = s &* 6364136223846793005 &+ 1442695040888963407
                    return Float(s >> 40) / Float(1 << 24) * 2 - 1
                }
                let x = FloatBuffer(xs), y = FloatBuffer(count: rows * out), r = FloatBuffer(count: rows * out)
                cpu.linear(layer, x.pointer, y.pointer, rows: rows)
                ReferenceBackend().linear(refLayer, x.pointer, r.pointer, rows: rows)
                let err = maxRelativeError(y.array(), r.array())
                #expect(err < 2e-5, "\(format) \(out)x\(inp) rows \(rows): \(err)")
            }
        }
    }

    /// Bytes per weight as documented (what decode reads per frame).
    @Test func quantizedSizes() throws {
        let w = bf16Tensor(randomBF16(1024 * 1024, seed: 9), [1024, 1024])
        let q8 = try #require(QuantizedMatrix(w, format: .q8)), q4 = try #require(QuantizedMatrix(w, format: .q4))
        #expect(abs(Double(q8.byteCount) / Double(1024 * 1024) - 1.0625) < 0.01)
        #expect(abs(Double(q4.byteCount) / Double(1024 * 1024) - 0.5625) < 0.01)
        #expect(QuantizedMatrix(bf16Tensor(randomBF16(10 * 40, seed: 1), [10, 40]), format: .q8) == nil)
    }
}
