// Swift entry points for the CPU kernels. Model code calls these, never CKernels directly.
// Every function works on caller-owned memory (pointers + explicit sizes) and allocates nothing.
// Activations are float32 row-major; Linear weights keep PyTorch's [out, in]; convolution
// weights are reordered at load (Conv1d tap-major [C_out, K, C_in/groups] by `tapMajor`,
// ConvTranspose1d polyphase by `polyphase`); convolution activations are channels-first [C, T]. bf16/f16 data is passed as its UInt16 bit patterns.

import CKernels

/// CPU kernels (float32 math; bf16 weights are widened exactly). Unless noted, outputs must not
/// overlap inputs; functions documented as in-place-safe accept `output == input`.
public enum Kernels {

    // MARK: Dispatch

    /// The instruction set the kernels use: 0 portable C, 1 AVX2+FMA, 2 AVX-512.
    public static var isaLevel: Int { Int(ck_isa_level()) }

    /// The CPU features found at run time, by name (x86-64; empty elsewhere), and whether each is
    /// present. What the kernels use is `isaLevel`; the rest is reported for diagnostics.
    public static var cpuFeatures: [(name: String, present: Bool)] {
        #if arch(x86_64)
        let f = ck_cpu_detect()
        return [("AVX2+FMA", f.avx2_fma != 0), ("AVX-512", f.avx512 != 0), ("AVX512-BF16", f.avx512_bf16 != 0),
                ("AVX512-VNNI", f.avx512_vnni != 0), ("AMX", f.amx != 0)]
        #else
        return []
        #endif
    }

    /// The name of the kernel set in use.
    public static var isaName: String { ["portable C", "AVX2+FMA", "AVX-512"][min(max(isaLevel, 0), 2)] }

    /// Caps the instruction set for the calling thread and the pool jobs it starts (tests and
    /// benchmarks; other threads keep theirs); a negative value restores the process-wide level.
    /// Returns the level in effect.
    @discardableResult
    public static func setISALevel(_ level: Int) -> Int { Int(ck_set_isa_level(Int32(level))) }

    // MARK: Conversions

    public static func bf16ToF32(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        ck_bf16_to_f32(src, dst, count)
    }

    public static func f16ToF32(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        ck_f16_to_f32(src, dst, count)
    }

    /// Rounds to nearest even, as `tensor.to(torch.bfloat16)`.
    public static func f32ToBF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, count: Int) {
        ck_f32_to_bf16(src, dst, count)
    }

    // MARK: Linear layers

    /// `output[rows] = weight[rows, cols] · input[cols] + bias`, threaded over rows.
    public static func matvec(
        weight: UnsafePointer<Float>, input: UnsafePointer<Float>, bias: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>, rows: Int, cols: Int, pool: ThreadPool? = nil
    ) {
        ck_matvec_f32(pool?.handle, weight, input, bias, output, Int32(rows), Int32(cols))
    }

    /// `matvec` with bf16 weights, accumulated in float32.
    public static func matvecBF16(
        weight: UnsafePointer<UInt16>, input: UnsafePointer<Float>, bias: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>, rows: Int, cols: Int, pool: ThreadPool? = nil
    ) {
        ck_matvec_bf16(pool?.handle, weight, input, bias, output, Int32(rows), Int32(cols))
    }

    /// From this many input rows on, `matmul` hands f32 work to the packed GEMM. Below it the
    /// weight-streaming kernel wins (it reads each weight once per block of rows, no packing).
    public static let sgemmMinRows = 128

    /// `output[m, rows] = input[m, cols] · weight[rows, cols]^T + bias` (a Linear layer on m
    /// positions): the weight-streaming kernel for small m, the packed GEMM from `sgemmMinRows` on.
    public static func matmul(
        weight: UnsafePointer<Float>, input: UnsafePointer<Float>, bias: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>, m: Int, rows: Int, cols: Int, allowGEMM: Bool = true, pool: ThreadPool? = nil
    ) {
        guard allowGEMM && m >= sgemmMinRows else {
            ck_matmul_f32(pool?.handle, weight, input, bias, output, Int32(m), Int32(rows), Int32(cols))
            return
        }
        GEMM.sgemm(transB: true, m: m, n: rows, k: cols, a: input, lda: cols, b: weight, ldb: cols,
                   c: output, ldc: rows, pool: pool)
        if let bias {
            for j in 0..<m { ck_add(output + j * rows, bias, output + j * rows, rows) }
        }
    }

    /// `matmul` with bf16 weights (always the weight-streaming kernel; accumulation in float32).
    public static func matmulBF16(
        weight: UnsafePointer<UInt16>, input: UnsafePointer<Float>, bias: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>, m: Int, rows: Int, cols: Int, pool: ThreadPool? = nil
    ) {
        ck_matmul_bf16(pool?.handle, weight, input, bias, output, Int32(m), Int32(rows), Int32(cols))
    }

    /// `output[m, rows] = input[m, cols] · dequant(W)^T + bias` with block-quantized weights
    /// (weight-streaming; m = 1 is the decode matvec).
    public static func matmulQuant(
        _ weight: QuantizedMatrix, input: UnsafePointer<Float>, bias: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>, m: Int, pool: ThreadPool? = nil
    ) {
        ck_matmul_quant(pool?.handle, weight.qformat, weight.data, input, bias, output, Int32(m), Int32(weight.rows),
                        Int32(weight.cols))
    }

    // MARK: Normalization and positions (in-place safe)

    /// RMSNorm of each of `rows` rows of length `dim`: `w * (x / sqrt(mean(x²) + eps))`.
    /// `weight == nil` skips the scale. With `rows = heads` it is the per-head q/k norm.
    public static func rmsNorm(
        _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
        rows: Int = 1, dim: Int, eps: Float
    ) {
        ck_rmsnorm(input, weight, output, Int32(rows), Int32(dim), eps)
    }

    /// LayerNorm of each row: `(x - mean) / sqrt(var + eps) * weight + bias` (biased variance).
    public static func layerNorm(
        _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, rows: Int = 1, dim: Int, eps: Float
    ) {
        ck_layernorm(input, weight, bias, output, Int32(rows), Int32(dim), eps)
    }

    /// Rotate-half RoPE in place on `x[positions, heads, headDim]`; `cos`/`sin` are
    /// `[positions, headDim/2]`, one row per position of `x`.
    public static func rope(
        _ x: UnsafeMutablePointer<Float>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
        positions: Int = 1, heads: Int, headDim: Int
    ) {
        ck_rope(x, cos, sin, Int32(positions), Int32(heads), Int32(headDim))
    }

    /// In-place softmax (max-subtracted, float32).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        ck_softmax(x, Int32(count))
    }

    // MARK: Elementwise (in-place safe)

    public static func silu(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
        ck_silu(input, output, count)
    }

    /// `output = silu(gate) * up`.
    public static func swiglu(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int
    ) {
        ck_swiglu(gate, up, output, count)
    }

    /// Exact GELU, `0.5 x (1 + erf(x / sqrt 2))`.
    public static func gelu(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
        ck_gelu(input, output, count)
    }

    /// ELU with alpha 1.
    public static func elu(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
        ck_elu(input, output, count)
    }

    public static func add(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int
    ) {
        ck_add(a, b, output, count)
    }

    public static func mul(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int
    ) {
        ck_mul(a, b, output, count)
    }

    public static func scale(
        _ input: UnsafePointer<Float>, by factor: Float, output: UnsafeMutablePointer<Float>, count: Int
    ) {
        ck_scale(input, factor, output, count)
    }

    /// `output[cols, rows] = input[rows, cols]^T` (not in place), e.g. [C, T] <-> [T, C].
    public static func transpose(
        _ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        ck_transpose(input, output, Int32(rows), Int32(cols))
    }

    /// SnakeBeta on `[channels, length]` with log-scale parameters (as stored in the checkpoint):
    /// `y = x + 1/(exp(logBeta[c]) + 1e-9) * sin(x * exp(logAlpha[c]))²`. In-place safe.
    public static func snakeBeta(
        _ input: UnsafePointer<Float>, logAlpha: UnsafePointer<Float>, logBeta: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, channels: Int, length: Int
    ) {
        ck_snakebeta(input, logAlpha, logBeta, output, Int32(channels), Int32(length))
    }

    // MARK: Attention

    /// Causal grouped-query attention of `queries` consecutive positions over a KV cache.
    ///
    /// - `q`, `output`: `[queries, heads, headDim]` for absolute positions
    ///   `position0 ..< position0 + queries`.
    /// - `k`, `v`: `[capacity, kvHeads, headDim]` holding positions `0 ..< position0 + queries`.
    /// - Query head `h` reads kv head `h / (heads / kvHeads)`. `window > 0` limits a query at `p`
    ///   to keys `max(0, p - window + 1) ... p`. Scores are `(q·k) * scale`; softmax in float32.
    public static func attention(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, queries: Int, position0: Int,
        heads: Int, kvHeads: Int, headDim: Int, window: Int = 0, scale: Float, pool: ThreadPool? = nil
    ) {
        precondition(kvHeads > 0 && heads % kvHeads == 0, "attention: heads must be a multiple of kvHeads")
        ck_attention(pool?.handle, q, k, v, output, Int32(queries), Int32(position0), Int32(heads),
                     Int32(kvHeads), Int32(headDim), Int32(window), scale)
    }

    // MARK: Convolutions

    /// Output length of a conv1d with explicit zero padding.
    public static func conv1dOutputLength(
        length: Int, kernelSize: Int, stride: Int = 1, dilation: Int = 1, padLeft: Int, padRight: Int
    ) -> Int {
        Int(ck_conv1d_out_len(Int32(length), Int32(kernelSize), Int32(stride), Int32(dilation),
                              Int32(padLeft), Int32(padRight)))
    }

    /// Scratch floats `conv1d` needs for these shapes (0 for depthwise and pointwise convs).
    public static func conv1dWorkspaceCount(
        inChannels: Int, outChannels: Int, length: Int, kernelSize: Int, stride: Int = 1,
        dilation: Int = 1, padLeft: Int, padRight: Int, groups: Int = 1
    ) -> Int {
        let tOut = conv1dOutputLength(length: length, kernelSize: kernelSize, stride: stride,
                                      dilation: dilation, padLeft: padLeft, padRight: padRight)
        if isDepthwise(inChannels, outChannels, groups) || isImplicit(stride, padLeft, padRight) {
            return 0
        }
        let rowsPerColumn = inChannels / groups * kernelSize
        return rowsPerColumn * columnTile(rowsPerColumn, tOut)
    }

    /// Conv1d on `input[inChannels, length]` with tap-major weights `[outChannels, kernelSize,
    /// inChannels/groups]` (`tapMajor` converts PyTorch's `[out, in/groups, kernel]`) and zero padding
    /// `padLeft`/`padRight` (causal: `padLeft = (kernelSize-1)*dilation`, `padRight = 0`) into
    /// `output[outChannels, conv1dOutputLength(...)]`.
    ///
    /// With `accumulate`, `output += conv(input)` (bias included); not for depthwise convs.
    /// Depthwise convs run a direct loop on the pool. Dense stride-1 convs without padding (a causal
    /// conv whose history is already in front of its input) are one GEMM over implicit im2col
    /// columns; the others are im2col tiles + GEMM and need `workspace` of `conv1dWorkspaceCount(...)`
    /// floats. All run on the pool.
    public static func conv1d(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, inChannels: Int, outChannels: Int, length: Int,
        kernelSize: Int, stride: Int = 1, dilation: Int = 1, padLeft: Int, padRight: Int, groups: Int = 1,
        accumulate: Bool = false, workspace: UnsafeMutablePointer<Float>?, pool: ThreadPool? = nil
    ) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "conv1d: channels must be divisible by groups")
        let tOut = conv1dOutputLength(length: length, kernelSize: kernelSize, stride: stride,
                                      dilation: dilation, padLeft: padLeft, padRight: padRight)
        guard tOut > 0, outChannels > 0 else { return }
        precondition(!accumulate || !isDepthwise(inChannels, outChannels, groups), "conv1d: a depthwise conv cannot accumulate")
        if isDepthwise(inChannels, outChannels, groups) {
            ck_conv1d_depthwise(pool?.handle, input, weight, bias, output, Int32(inChannels), Int32(length),
                                Int32(kernelSize), Int32(stride), Int32(dilation), Int32(padLeft), Int32(padRight))
            return
        }
        let cig = inChannels / groups, cog = outChannels / groups
        let rowsPerColumn = cig * kernelSize
        if accumulate {
            if let bias { ck_bias_add(output, bias, Int32(outChannels), Int32(tOut)) }
        } else {
            ck_bias_fill(output, bias, Int32(outChannels), Int32(tOut))
        }
        for g in 0..<groups {
            let x = input + g * cig * length
            let w = weight + g * cog * rowsPerColumn
            let y = output + g * cog * tOut
            if isImplicit(stride, padLeft, padRight) {
                GEMM.convolution(m: cog, n: tOut, cin: cig, taps: kernelSize, dilation: dilation, w: w, ldw: rowsPerColumn,
                                 x: x, ldx: length, beta: 1, c: y, ldc: tOut, pool: pool)
                continue
            }
            guard let workspace else { preconditionFailure("conv1d: workspace required (conv1dWorkspaceCount)") }
            let tile = columnTile(rowsPerColumn, tOut)
            var t0 = 0
            while t0 < tOut {
                let n = min(tile, tOut - t0)
                ck_im2col(x, workspace, Int32(cig), Int32(length), Int32(kernelSize), Int32(stride),
                          Int32(dilation), Int32(padLeft), Int32(t0), Int32(n))
                GEMM.sgemm(m: cog, n: n, k: rowsPerColumn, a: w, lda: rowsPerColumn, b: workspace, ldb: n,
                           beta: 1, c: y + t0, ldc: tOut, pool: pool)
                t0 += n
            }
        }
    }

    /// Full output length of a ConvTranspose1d: `(length - 1) * stride + kernelSize`.
    public static func convTranspose1dOutputLength(length: Int, kernelSize: Int, stride: Int) -> Int {
        length > 0 ? (length - 1) * stride + kernelSize : 0
    }

    /// Inputs that reach each output of a ConvTranspose1d: `ceil(kernelSize / stride)`.
    public static func convTranspose1dTaps(kernelSize: Int, stride: Int) -> Int { (kernelSize + stride - 1) / stride }

    /// Scratch floats `convTranspose1d` needs for these shapes.
    public static func convTranspose1dWorkspaceCount(inChannels: Int, outChannels: Int, length: Int, kernelSize: Int,
                                                     stride: Int) -> Int {
        let taps = convTranspose1dTaps(kernelSize: kernelSize, stride: stride)
        return inChannels * (length + 2 * (taps - 1)) + stride * outChannels * (length + taps - 1)
    }

    /// PyTorch's ConvTranspose1d weight `[in, out, kernel]` in the polyphase layout `convTranspose1d`
    /// takes: `[stride · out, taps · in]`, where row `p·out + o` holds, for tap `t`, the weights that
    /// carry input `i - (taps-1-t)` to output `stride·i + p` (kernel index `p + (taps-1-t)·stride`;
    /// zero past the kernel).
    public static func polyphase(_ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, inChannels: Int,
                                 outChannels: Int, kernelSize: Int, stride: Int) {
        let taps = convTranspose1dTaps(kernelSize: kernelSize, stride: stride), width = taps * inChannels
        // In tiles of 16 x 16 (input, output) channels: a tile reads 16 contiguous runs of 16
        // kernels and writes runs of 16 consecutive inputs, so both sides stay within a few cache
        // lines (the source is often the mapped checkpoint itself).
        let tile = 16
        for c0 in Swift.stride(from: 0, to: inChannels, by: tile) {
            for o0 in Swift.stride(from: 0, to: outChannels, by: tile) {
                for o in o0..<min(o0 + tile, outChannels) {
                    for p in 0..<stride {
                        for t in 0..<taps {
                            let k = p + (taps - 1 - t) * stride
                            let row = y + (p * outChannels + o) * width + t * inChannels
                            for c in c0..<min(c0 + tile, inChannels) {
                                row[c] = k < kernelSize ? w[(c * outChannels + o) * kernelSize + k] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// ConvTranspose1d (groups 1) on `input[inChannels, length]` with polyphase weights (see
    /// `polyphase`) into the full-length `output[outChannels, convTranspose1dOutputLength(...)]`
    /// (callers trim). Output phase `p` (positions `stride·i + p`) is an ordinary `taps`-tap
    /// convolution of the input, so all phases are one GEMM over implicit columns of the input padded
    /// with `taps - 1` zeros each side (no col2im overlap-add), then interleaved with the bias.
    /// `workspace` holds `convTranspose1dWorkspaceCount(...)` floats.
    public static func convTranspose1d(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, inChannels: Int, outChannels: Int, length: Int,
        kernelSize: Int, stride: Int, workspace: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil
    ) {
        let tOut = convTranspose1dOutputLength(length: length, kernelSize: kernelSize, stride: stride)
        guard tOut > 0, outChannels > 0 else { return }
        let taps = convTranspose1dTaps(kernelSize: kernelSize, stride: stride)
        let padded = length + 2 * (taps - 1), columns = length + taps - 1
        let x = workspace, phases = workspace + inChannels * padded
        for c in 0..<inChannels {
            let row = x + c * padded
            row.update(repeating: 0, count: taps - 1)
            (row + taps - 1).update(from: input + c * length, count: length)
            (row + taps - 1 + length).update(repeating: 0, count: taps - 1)
        }
        GEMM.convolution(m: stride * outChannels, n: columns, cin: inChannels, taps: taps, dilation: 1, w: weight,
                         ldw: taps * inChannels, x: x, ldx: padded, c: phases, ldc: columns, pool: pool)
        ck_phase_interleave(phases, bias, output, Int32(outChannels), Int32(stride), Int32(columns), Int32(tOut))
    }

    // Column tiles of about 4M floats (16 MB) bound the im2col scratch while keeping the GEMM's N
    // large enough to run at full speed.
    static func columnTile(_ rowsPerColumn: Int, _ columns: Int) -> Int {
        min(max(columns, 1), max(64, (1 << 22) / max(rowsPerColumn, 1)))
    }

    static func isDepthwise(_ cin: Int, _ cout: Int, _ groups: Int) -> Bool {
        groups > 1 && groups == cin && cin == cout
    }

    /// Stride 1 and no padding: every input column the conv reads exists, so the GEMM can read them
    /// in place (`GEMM.convolution`).
    static func isImplicit(_ stride: Int, _ padLeft: Int, _ padRight: Int) -> Bool {
        stride == 1 && padLeft == 0 && padRight == 0
    }

    /// PyTorch's conv weight `[out, in/groups, kernel]` as the tap-major `[out, kernel, in/groups]`
    /// that `conv1d` takes (the order of im2col's rows, so each GEMM pass reads one tap).
    public static func tapMajor(_ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, outChannels: Int,
                                inPerGroup: Int, kernelSize: Int) {
        for o in 0..<outChannels {
            for c in 0..<inPerGroup {
                for j in 0..<kernelSize {
                    y[(o * kernelSize + j) * inPerGroup + c] = w[(o * inPerGroup + c) * kernelSize + j]
                }
            }
        }
    }
}
