// How a backend stores the main model's matrices (talker, code predictor, their heads and the
// text projection). Checkpoints ship bf16; decode time is the bytes of weights read per frame,
// so fewer bytes per weight is the main speed lever, at a measured cost in accuracy (README).

import CKernels

/// Storage format of the main model's matrices.
public enum WeightFormat: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Widened to float32 at load: 4 bytes per weight, the exact reference.
    case f32
    /// As stored in the checkpoint: 2 bytes per weight, exact (widening bf16 is lossless).
    case bf16
    /// 8-bit codes in blocks of 32 with a bf16 scale per block: about 1.06 bytes per weight.
    case q8
    /// 4-bit codes in blocks of 32 with a bf16 scale per block: about 0.56 bytes per weight.
    case q4

    public var description: String { rawValue }

    var quantFormat: ck_qformat? {
        switch self {
        case .q8: CK_Q8
        case .q4: CK_Q4
        default: nil
        }
    }
}

/// A matrix [rows, cols] in a block-quantized format (CKernels' quant.c layout), 64-byte aligned.
public final class QuantizedMatrix: @unchecked Sendable {
    public let format: WeightFormat
    public let rows: Int
    public let cols: Int
    public let byteCount: Int
    let data: UnsafeMutableRawPointer
    /// Set when the bytes live in a mapped cache file (kept alive here, never freed here).
    private let mapping: MappedFile?

    /// Bytes `weight` packs to in `format`; nil when the format cannot hold it (not a quantized
    /// format, not a 2-D f32/bf16 matrix, or cols % 32 != 0).
    public static func packedSize(_ weight: Tensor, format: WeightFormat) -> Int? {
        guard let q = format.quantFormat, weight.shape.count == 2, weight.dtype == .bf16 || weight.dtype == .f32 else {
            return nil
        }
        let size = ck_quant_size(q, Int32(weight.shape[0]), Int32(weight.shape[1]))
        return size > 0 ? size : nil
    }

    /// Packs f32 or bf16 weights; nil when the format cannot hold them (see `packedSize`).
    public init?(_ weight: Tensor, format: WeightFormat) {
        guard let q = format.quantFormat, let size = Self.packedSize(weight, format: format) else { return nil }
        let (rows, cols) = (weight.shape[0], weight.shape[1])
        self.format = format
        self.rows = rows
        self.cols = cols
        byteCount = size
        mapping = nil
        data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        let rc = weight.dtype == .bf16
            ? ck_quant_pack_bf16(q, weight.data.assumingMemoryBound(to: UInt16.self), Int32(rows), Int32(cols), data)
            : ck_quant_pack_f32(q, weight.data.assumingMemoryBound(to: Float.self), Int32(rows), Int32(cols), data)
        precondition(rc == 0, "quant pack failed for a checked shape")
    }

    /// Bytes packed earlier, at `offset` in a mapped `PackedWeightCache` file (checked by the caller).
    init(mapped file: MappedFile, offset: Int, format: WeightFormat, rows: Int, cols: Int, byteCount: Int) {
        self.format = format
        self.rows = rows
        self.cols = cols
        self.byteCount = byteCount
        mapping = file
        data = UnsafeMutableRawPointer(mutating: file.base + offset)
    }

    deinit { if mapping == nil { data.deallocate() } }

    /// Whether the bytes come from a cache file rather than this process's packing.
    var isMapped: Bool { mapping != nil }

    var qformat: ck_qformat { format.quantFormat! }

    /// The dequantized matrix (tests, quality measurement, prefill through the GEMM).
    public func dequantize(into out: UnsafeMutablePointer<Float>) {
        ck_quant_unpack(qformat, data, Int32(rows), Int32(cols), out)
    }
}

/// A backend's prepared form of a Linear layer's weight (see `Backend.prepare`).
public enum PreparedWeight: @unchecked Sendable {
    case f32(FloatBuffer)
    case quantized(QuantizedMatrix)

    public var byteCount: Int {
        switch self {
        case .f32(let b): b.count * 4
        case .quantized(let q): q.byteCount
        }
    }
}
