// The codec's Backend operations: CPUBackend (im2col + sgemm, depthwise loops, vector kernels)
// against ReferenceBackend (plain loops) over swept odd shapes: conv1d with stride, dilation,
// groups (depthwise included) and padding, convTranspose1d, SnakeBeta, LayerNorm, GELU, ELU.

import Foundation
import Testing
@testable import TensorCore

struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-scale, scale).
    mutating func floats(_ n: Int, _ scale: Float = 1, offset: Float = 0) -> [Float] {
        (0..<n).map { _ in offset + (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    }
}

/// An f32 tensor over its own storage.
func tensor(_ values: [Float], _ shape: [Int]) -> Tensor {
    let b = FloatBuffer(values)
    return Tensor(dtype: .f32, shape: shape, data: UnsafeRawPointer(b.pointer), owner: b)
}

/// max |a - b| / max |b|.
private func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var diff: Float = 0, scale: Float = 1e-20
    for i in a.indices {
        diff = max(diff, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    return diff / scale
}

private let cpu = CPUBackend(threads: 2)
private let reference = ReferenceBackend()

/// Runs `op` on both backends over copies of `input` and returns (cpu, reference) outputs of `outCount`.
private func both(_ input: [Float], outCount: Int, inPlace: Bool = false,
                  _ op: (Backend, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> ([Float], [Float]) {
    func run(_ b: Backend) -> [Float] {
        let x = FloatBuffer(input), y = FloatBuffer(count: outCount)
        op(b, x.pointer, y.pointer)
        return inPlace ? x.array(count: input.count) : y.array(count: outCount)
    }
    return (run(cpu), run(reference))
}

@Suite struct BackendConvTests {
    struct ConvCase: CustomStringConvertible, Sendable {
        var cin, cout, k, stride, dilation, groups, padLeft, padRight, length: Int
        var description: String {
            "in \(cin) out \(cout) k \(k) s \(stride) d \(dilation) g \(groups) pad \(padLeft)/\(padRight) T \(length)"
        }
    }

    static let convCases: [ConvCase] = [
        // causal, dilated (the codec's residual units)
        ConvCase(cin: 7, cout: 5, k: 7, stride: 1, dilation: 1, groups: 1, padLeft: 6, padRight: 0, length: 33),
        ConvCase(cin: 13, cout: 11, k: 7, stride: 1, dilation: 3, groups: 1, padLeft: 18, padRight: 0, length: 65),
        ConvCase(cin: 9, cout: 9, k: 7, stride: 1, dilation: 9, groups: 1, padLeft: 54, padRight: 0, length: 17),
        ConvCase(cin: 3, cout: 1, k: 7, stride: 1, dilation: 1, groups: 1, padLeft: 6, padRight: 0, length: 1),
        // no padding, symmetric and right-only padding, long input
        ConvCase(cin: 5, cout: 3, k: 3, stride: 1, dilation: 1, groups: 1, padLeft: 0, padRight: 0, length: 129),
        ConvCase(cin: 17, cout: 19, k: 5, stride: 1, dilation: 2, groups: 1, padLeft: 4, padRight: 4, length: 1000),
        ConvCase(cin: 4, cout: 6, k: 3, stride: 1, dilation: 1, groups: 1, padLeft: 0, padRight: 2, length: 10),
        // strided (encoder downsampling)
        ConvCase(cin: 6, cout: 10, k: 4, stride: 2, dilation: 1, groups: 1, padLeft: 2, padRight: 1, length: 63),
        ConvCase(cin: 5, cout: 7, k: 7, stride: 3, dilation: 1, groups: 1, padLeft: 0, padRight: 0, length: 100),
        ConvCase(cin: 8, cout: 8, k: 10, stride: 5, dilation: 1, groups: 1, padLeft: 5, padRight: 4, length: 41),
        // grouped and depthwise (ConvNeXt's dwconv)
        ConvCase(cin: 6, cout: 9, k: 3, stride: 1, dilation: 1, groups: 3, padLeft: 2, padRight: 0, length: 31),
        ConvCase(cin: 8, cout: 4, k: 5, stride: 2, dilation: 2, groups: 2, padLeft: 4, padRight: 3, length: 27),
        ConvCase(cin: 33, cout: 33, k: 7, stride: 1, dilation: 1, groups: 33, padLeft: 6, padRight: 0, length: 65),
        ConvCase(cin: 5, cout: 5, k: 3, stride: 2, dilation: 3, groups: 5, padLeft: 3, padRight: 3, length: 19),
        ConvCase(cin: 1024, cout: 1024, k: 7, stride: 1, dilation: 1, groups: 1024, padLeft: 6, padRight: 0, length: 9),
        // pointwise, and pointwise with padding (not the sgemm shortcut)
        ConvCase(cin: 24, cout: 12, k: 1, stride: 1, dilation: 1, groups: 1, padLeft: 0, padRight: 0, length: 127),
        ConvCase(cin: 3, cout: 5, k: 1, stride: 2, dilation: 1, groups: 1, padLeft: 1, padRight: 0, length: 8),
        // shapes large enough to take several im2col column tiles
        ConvCase(cin: 96, cout: 96, k: 7, stride: 1, dilation: 9, groups: 1, padLeft: 54, padRight: 0, length: 700),
    ]

    @Test(arguments: convCases, [true, false])
    func conv1d(_ c: ConvCase, _ withBias: Bool) {
        var rng = Rng(state: UInt64(c.length * 31 + c.k))
        let weight = tensor(rng.floats(c.cout * (c.cin / c.groups) * c.k, 0.5), [c.cout, c.cin / c.groups, c.k])
        let bias = withBias ? tensor(rng.floats(c.cout, 0.1), [c.cout]) : nil
        let layer = Conv1dLayer(weight: weight, bias: bias, stride: c.stride, dilation: c.dilation, groups: c.groups)
        let tOut = layer.outputLength(c.length, padLeft: c.padLeft, padRight: c.padRight)
        #expect(tOut > 0)
        let (a, b) = both(rng.floats(c.cin * c.length), outCount: c.cout * tOut) { backend, x, y in
            backend.conv1d(layer, x, length: c.length, padLeft: c.padLeft, padRight: c.padRight, y)
        }
        #expect(relativeError(a, b) < 1e-5, "\(c)")
    }

    @Test(arguments: [(5, 3, 4, 2, 7), (16, 8, 16, 8, 5), (3, 7, 2, 2, 33), (1, 1, 6, 3, 1), (24, 12, 10, 5, 17),
                      (33, 17, 8, 4, 65), (12, 6, 6, 3, 129), (1024, 64, 2, 2, 9), (4, 5, 3, 1, 10)])
    func convTranspose1d(_ c: (Int, Int, Int, Int, Int)) {
        let (cin, cout, k, stride, length) = c
        for withBias in [true, false] {
            var rng = Rng(state: UInt64(cin * 7 + length))
            let layer = ConvTranspose1dLayer(weight: tensor(rng.floats(cin * cout * k, 0.5), [cin, cout, k]),
                                             bias: withBias ? tensor(rng.floats(cout, 0.1), [cout]) : nil, stride: stride)
            let tOut = layer.outputLength(length)
            #expect(tOut == (length - 1) * stride + k)
            let (a, b) = both(rng.floats(cin * length), outCount: cout * tOut) { backend, x, y in
                backend.convTranspose1d(layer, x, length: length, y)
            }
            #expect(relativeError(a, b) < 1e-5, "in \(cin) out \(cout) k \(k) s \(stride) T \(length) bias \(withBias)")
        }
    }

    @Test(arguments: [(1, 1), (3, 17), (7, 63), (96, 129), (5, 1000), (1536, 4)])
    func snakeBeta(_ shape: (Int, Int)) {
        let (channels, length) = shape
        var rng = Rng(state: UInt64(channels * 1000 + length))
        let logAlpha = rng.floats(channels, 1), logBeta = rng.floats(channels, 1)
        let (a, b) = both(rng.floats(channels * length, 4), outCount: 0, inPlace: true) { backend, x, _ in
            backend.snakeBeta(x, logAlpha: logAlpha, logBeta: logBeta, channels: channels, length: length)
        }
        #expect(relativeError(a, b) < 1e-5, "channels \(channels) length \(length)")
    }

    @Test(arguments: [(1, 1), (1, 7), (3, 17), (5, 64), (9, 1024), (2, 1031), (17, 4096)])
    func layerNorm(_ shape: (Int, Int)) {
        let (rows, dim) = shape
        var rng = Rng(state: UInt64(rows * 10000 + dim))
        let weight = rng.floats(dim, 0.2, offset: 1), bias = rng.floats(dim, 0.1)
        // A non-zero mean checks the variance is taken about the mean.
        let (a, b) = both(rng.floats(rows * dim, 2, offset: 3), outCount: 0, inPlace: true) { backend, x, _ in
            backend.layerNorm(x, weight: weight, bias: bias, rows: rows, dim: dim, eps: 1e-6)
        }
        #expect(relativeError(a, b) < 1e-5, "rows \(rows) dim \(dim)")
    }

    @Test(arguments: [1, 3, 7, 8, 15, 16, 17, 63, 129, 1000, 4099])
    func geluAndElu(_ count: Int) {
        var rng = Rng(state: UInt64(count))
        let input = rng.floats(count, 6)
        let (g1, g2) = both(input, outCount: 0, inPlace: true) { backend, x, _ in backend.gelu(x, count: count) }
        #expect(relativeError(g1, g2) < 1e-5, "gelu \(count)")
        let (e1, e2) = both(input, outCount: 0, inPlace: true) { backend, x, _ in backend.elu(x, count: count) }
        #expect(relativeError(e1, e2) < 1e-5, "elu \(count)")
    }
}
