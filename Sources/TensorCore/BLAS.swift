// Single-precision GEMM through the platform BLAS: Accelerate on Apple platforms, OpenBLAS
// elsewhere. Used where arithmetic dominates (prefill, convolutions); decode uses CKernels.

#if canImport(Accelerate)
import Accelerate
#elseif canImport(COpenBLAS)
import COpenBLAS
#endif

/// Thin wrappers over the system BLAS.
public enum BLAS {
    /// Row-major `C = alpha * op(A) · op(B) + beta * C` with `op(A)` [m, k], `op(B)` [k, n], `C` [m, n].
    ///
    /// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored (before `op`): for
    /// `transA == false` A is stored [m, lda >= k]; for `transA == true` it is stored [k, lda >= m].
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        precondition(lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n,
                     "BLAS.sgemm: leading dimension smaller than the matrix width")
        guard k > 0 else {
            // BLAS leaves C untouched for k == 0 only when beta == 1; make the result explicit.
            for i in 0..<m {
                for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Which BLAS and kernel set is in use, for logs and benchmark reports. OpenBLAS 0.3.21
    /// (Debian 12 / Ubuntu 22.04) does not know Sapphire Rapids and picks its AVX2 "Haswell"
    /// kernels; `OPENBLAS_CORETYPE=SkylakeX` in the environment (read when the library loads)
    /// selects the AVX-512 ones.
    public static var implementation: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #elseif canImport(COpenBLAS)
        let config = openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
        return "\(config), core \(core), \(openblas_get_num_threads()) threads"
        #else
        return "none"
        #endif
    }

    /// Sets how many threads the BLAS library may use (OpenBLAS only; Accelerate manages its
    /// own). On a machine with few cores, give BLAS the cores our pool is not using at the time.
    public static func setThreadCount(_ n: Int) {
        #if !canImport(Accelerate) && canImport(COpenBLAS)
        openblas_set_num_threads(Int32(max(1, n)))
        #endif
    }
}
