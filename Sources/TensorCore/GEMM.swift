// Single-precision GEMM on the project's own packed kernels (CKernels' gemm.c: AVX-512, AVX2 and
// portable micro-kernels chosen at run time, threaded on our pool). Used where arithmetic
// dominates: prefill (f32, bf16 or quantized weights), codec convolutions, speaker encoder;
// decode uses the weight-streaming matvec kernels instead.

import CKernels

public enum GEMM {
    /// Row-major `C = alpha * op(A) · op(B) + beta * C` with `op(A)` [m, k], `op(B)` [k, n], `C` [m, n].
    ///
    /// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored (before `op`): for
    /// `transA == false` A is stored [m, lda >= k]; for `transA == true` it is stored [k, lda >= m].
    /// With `beta == 0`, C is not read. Threads on `pool` (inline when nil).
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        pool: ThreadPool? = nil
    ) {
        guard m > 0, n > 0 else { return }
        precondition(lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n,
                     "GEMM.sgemm: leading dimension smaller than the matrix width")
        ck_sgemm(pool?.handle, transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                 a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C[m, n] = A[m, k] · W^T` for a weight matrix `W` [n, k] of bf16 bits (row stride `ldw`),
    /// widened while the GEMM packs it: the same arithmetic as `sgemm(transB: true)` on the
    /// widened weights, without widening them first. `A` is [m, lda], `C` [m, ldc] (not read).
    public static func sgemmBF16Weights(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, w: UnsafePointer<UInt16>, ldw: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool? = nil
    ) {
        guard m > 0, n > 0 else { return }
        precondition(lda >= k && ldw >= k && ldc >= n, "GEMM.sgemmBF16Weights: leading dimension smaller than the matrix width")
        ck_sgemm_bf16w(pool?.handle, Int32(m), Int32(n), Int32(k), a, Int32(lda), w, Int32(ldw), c, Int32(ldc))
    }

    /// `C[m, n] = A[m, k] · dequant(W)^T` for a quantized `W` [n, k], dequantized while the GEMM
    /// packs it. `A` is [m, lda], `C` [m, ldc] (not read).
    public static func sgemmQuantizedWeights(
        m: Int, a: UnsafePointer<Float>, lda: Int, w: QuantizedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
        pool: ThreadPool? = nil
    ) {
        guard m > 0, w.rows > 0 else { return }
        precondition(lda >= w.cols && ldc >= w.rows, "GEMM.sgemmQuantizedWeights: leading dimension smaller than the matrix width")
        ck_sgemm_quantw(pool?.handle, w.qformat, w.data, Int32(m), Int32(w.rows), Int32(w.cols), a, Int32(lda), c, Int32(ldc))
    }

    /// A stride-1 convolution as one GEMM over implicit im2col columns (nothing is copied):
    /// `C[m, n] = W[m, taps·cin] · B + beta·C` with `B[j·cin + c, t] = x[c·ldx + j·dilation + t]`.
    /// `w` is tap-major (each row: tap 0's `cin` weights, then tap 1's, ...); `x` is
    /// `[cin, ldx >= n + (taps-1)·dilation]`, any padding already in it. With `beta == 0`, C is not read.
    public static func convolution(
        m: Int, n: Int, cin: Int, taps: Int, dilation: Int, w: UnsafePointer<Float>, ldw: Int,
        x: UnsafePointer<Float>, ldx: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        pool: ThreadPool? = nil
    ) {
        guard m > 0, n > 0 else { return }
        precondition(cin > 0 && taps > 0 && dilation > 0 && ldw >= cin * taps && ldx >= n + (taps - 1) * dilation && ldc >= n,
                     "GEMM.convolution: shapes do not fit")
        ck_sgemm_conv(pool?.handle, Int32(m), Int32(n), Int32(cin), Int32(taps), Int32(dilation), w, Int32(ldw),
                      x, Int32(ldx), beta, c, Int32(ldc))
    }

    /// The naive reference of `convolution`.
    public static func convolutionReference(
        m: Int, n: Int, cin: Int, taps: Int, dilation: Int, w: UnsafePointer<Float>, ldw: Int,
        x: UnsafePointer<Float>, ldx: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        ck_sgemm_conv_ref(nil, Int32(m), Int32(n), Int32(cin), Int32(taps), Int32(dilation), w, Int32(ldw),
                          x, Int32(ldx), beta, c, Int32(ldc))
    }

    /// The naive reference of `sgemmBF16Weights`.
    public static func sgemmBF16WeightsReference(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, w: UnsafePointer<UInt16>, ldw: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        ck_sgemm_bf16w_ref(nil, Int32(m), Int32(n), Int32(k), a, Int32(lda), w, Int32(ldw), c, Int32(ldc))
    }

    /// The naive reference (a plain triple loop), for tests and benchmarks.
    public static func sgemmReference(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        ck_sgemm_ref(nil, transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                     a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
