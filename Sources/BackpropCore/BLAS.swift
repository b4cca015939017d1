import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Matrix products through OpenBLAS's CBLAS; the only file that imports CBLAS.
public enum BLAS {
    /// Runs once before the first product: one OpenBLAS thread unless OPENBLAS_NUM_THREADS says
    /// otherwise. Training multiplies many small matrices (a batch of 128 rows); on 2 cores the
    /// second thread mostly spins in sched_yield, and one thread trained Fashion-MNIST ~20% faster.
    private static let configured: Bool = {
        if getenv("OPENBLAS_NUM_THREADS") == nil { openblas_set_num_threads(1) }
        return true
    }()

    /// C = alpha · op(A) · op(B) + beta · C, with op(X) = X or Xᵀ.
    ///
    /// Shapes: op(A) is (m, k), op(B) is (k, n), C is (m, n); C must already have that shape.
    public static func gemm(_ a: Matrix, transposeA: Bool = false,
                            _ b: Matrix, transposeB: Bool = false,
                            into c: inout Matrix, alpha: Double = 1, beta: Double = 0) {
        _ = configured
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let n = transposeB ? b.rows : b.columns
        precondition((transposeB ? b.columns : b.rows) == k, "gemm: inner dimensions differ")
        precondition(c.rows == m && c.columns == n, "gemm: result has the wrong shape")
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { c.fill(0) } else if beta != 1 { scale(&c, by: beta) }
            return
        }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasRowMajor,
                                transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k),
                                alpha, pa.baseAddress, Int32(max(a.columns, 1)),
                                pb.baseAddress, Int32(max(b.columns, 1)),
                                beta, pc.baseAddress, Int32(max(c.columns, 1)))
                }
            }
        }
    }

    static func scale(_ x: inout Matrix, by factor: Double) {
        x.storage.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] *= factor }
        }
    }
}
