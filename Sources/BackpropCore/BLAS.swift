import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Matrix products through OpenBLAS's CBLAS (`dgemm` for Double, `sgemm` for Float; this file and
/// Math.swift are the only importers of CBLAS), with a direct loop for products too small to be
/// worth a library call.
public enum BLAS {
    /// Products with m·n·k at most this many multiply-adds run as a plain loop. A CBLAS call
    /// costs a few hundred nanoseconds before any arithmetic (argument checks, kernel dispatch,
    /// buffer packing), which is more than a loop needs for, say, the seed's 1×2×2 products.
    public static let directLimit = 1024

    /// Runs once before the first product: one OpenBLAS thread unless OPENBLAS_NUM_THREADS or
    /// `setThreadCount` says otherwise.
    private static let configured: Bool = {
        if getenv("OPENBLAS_NUM_THREADS") == nil { openblas_set_num_threads(1) }
        return true
    }()

    /// Makes OpenBLAS use `count` threads (≥ 1) from now on, and stops its idle threads.
    ///
    /// OpenBLAS starts its threads when it is loaded, and an idle one waits for work by calling
    /// `sched_yield` in a loop for about 0.1 s (its thread timeout) before it sleeps: for the
    /// first 0.1 s of every process it keeps a core busy, with nothing to do in a run whose
    /// products are all direct (the seed's), and on the 2-vCPU machine here that slowed the seed
    /// pipeline's whole process by about a quarter. So the pool is stopped here; the first
    /// product that uses more than one thread starts it again (OpenBLAS's own lazy start, the
    /// one it uses after a fork). The pool is started before the count is set, since OpenBLAS
    /// adds threads for a larger count only to a running pool. Through `dlsym`, as neither
    /// function is in cblas.h and a build of OpenBLAS without threads has neither.
    public static func setThreadCount(_ count: Int) {
        _ = configured
        _ = ThreadPool.start?()
        openblas_set_num_threads(Int32(max(1, count)))
        _ = ThreadPool.stop?()
    }

    /// OpenBLAS's `blas_thread_init` and `blas_thread_shutdown_` (nil when the library has none).
    private enum ThreadPool {
        typealias Call = @convention(c) () -> Int32
        static let start: Call? = function("blas_thread_init")
        static let stop: Call? = function("blas_thread_shutdown_")

        static func function(_ name: String) -> Call? {
            dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: Call.self) }
        }
    }

    /// The kernel family OpenBLAS chose when it was loaded ("Prescott", "SkylakeX", "Zen", ...).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "" }
        return String(cString: name)
    }

    /// A better OpenBLAS kernel for this process to restart with, or nil to keep the library's
    /// choice. OpenBLAS (Debian 12 ships 0.3.21) picks its kernels by CPU model at load time and
    /// falls back to the SSE3 `Prescott` ones on a CPU newer than it knows, such as a Sapphire
    /// Rapids Xeon with AVX-512: about 3× slower products there (Fashion-MNIST's epoch 12 s
    /// against 3–4 s with SkylakeX). Only that fallback is replaced, only by a kernel whose
    /// instructions the CPU (as the kernel reports it in `cpuFlags`) has, and never when the user
    /// chose one with OPENBLAS_CORETYPE (some machines set it to avoid a kernel that misbehaves).
    public static func betterCoreType(chosen: String, cpuFlags: Set<String>, requested: String?) -> String? {
        guard requested == nil, chosen == "Prescott" else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "fma", "avx2"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The `flags` of the first processor in /proc/cpuinfo (empty when it cannot be read).
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { break }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    /// The threads OpenBLAS uses now.
    public static var threadCount: Int {
        _ = configured
        return Int(openblas_get_num_threads())
    }

    /// C = alpha · op(A) · op(B) + beta · C, with op(X) = X or Xᵀ.
    ///
    /// Shapes: op(A) is (m, k), op(B) is (k, n), C is (m, n); C must already have that shape.
    public static func gemm<Scalar: TrainingScalar>(_ a: MatrixOf<Scalar>, transposeA: Bool = false,
                                                    _ b: MatrixOf<Scalar>, transposeB: Bool = false,
                                                    into c: inout MatrixOf<Scalar>, alpha: Scalar = 1, beta: Scalar = 0) {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let n = transposeB ? b.rows : b.columns
        precondition((transposeB ? b.columns : b.rows) == k, "gemm: inner dimensions differ")
        precondition(c.rows == m && c.columns == n, "gemm: result has the wrong shape")
        let ldc = c.columns
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    gemm(m: m, n: n, k: k, alpha: alpha,
                         pa.baseAddress, lda: a.columns, transposeA: transposeA,
                         pb.baseAddress, ldb: b.columns, transposeB: transposeB,
                         beta: beta, pc.baseAddress, ldc: ldc)
                }
            }
        }
    }

    /// The same on raw row-major storage: A has leading dimension `lda` (its row length), and so
    /// on. Transposes are CBLAS's flags, never copies.
    @inline(__always)
    static func gemm<Scalar: TrainingScalar>(m: Int, n: Int, k: Int, alpha: Scalar,
                                             _ a: UnsafePointer<Scalar>?, lda: Int, transposeA: Bool,
                                             _ b: UnsafePointer<Scalar>?, ldb: Int, transposeB: Bool,
                                             beta: Scalar, _ c: UnsafeMutablePointer<Scalar>?, ldc: Int) {
        guard m > 0, n > 0, let c else { return }
        guard k > 0, let a, let b else {
            // op(A)·op(B) is all zeros: C = beta · C.
            for i in 0..<m {
                for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
            }
            return
        }
        if m * n * k <= directLimit {
            direct(m: m, n: n, k: k, alpha: alpha, a, lda: lda, transposeA: transposeA,
                   b, ldb: ldb, transposeB: transposeB, beta: beta, c, ldc: ldc)
            return
        }
        _ = configured
        // beta = 0 as C cleared here and beta = 1: OpenBLAS's own clearing pass for beta = 0
        // (its `beta` kernel) ran at about a third of memset's speed, 3–6 % of W1's and W3's
        // epochs in perf, and with beta = 1 it skips that pass. The same numbers: its kernel
        // adds alpha·AB to C either way, and C held +0 either way.
        if beta == 0 {
            if ldc == n {
                c.update(repeating: 0, count: m * n)
            } else {
                for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
            }
        }
        Scalar.blasGEMM(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a, lda: lda, b, ldb: ldb, beta: beta == 0 ? 1 : beta, c, ldc: ldc)
    }

    /// The product as dot products: c_ij = alpha · Σ_p op(A)_ip · op(B)_pj + beta · c_ij, the
    /// sum taken in order p = 0, 1, ..., k − 1 (BLAS may group the terms differently, so the two
    /// paths can differ in the last bits; both are the same sum).
    @inline(__always)
    static func direct<Scalar: TrainingScalar>(m: Int, n: Int, k: Int, alpha: Scalar,
                                               _ a: UnsafePointer<Scalar>, lda: Int, transposeA: Bool,
                                               _ b: UnsafePointer<Scalar>, ldb: Int, transposeB: Bool,
                                               beta: Scalar, _ c: UnsafeMutablePointer<Scalar>, ldc: Int) {
        // Element (i, p) of op(A) is a[i·ai + p·ap]; element (p, j) of op(B) is b[p·bp + j·bj].
        let (ai, ap) = transposeA ? (1, lda) : (lda, 1)
        let (bp, bj) = transposeB ? (1, ldb) : (ldb, 1)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Scalar = 0
                for p in 0..<k { sum += a[i * ai + p * ap] * b[p * bp + j * bj] }
                let product = alpha == 1 ? sum : alpha * sum
                c[i * ldc + j] = beta == 0 ? product : product + beta * c[i * ldc + j]
            }
        }
    }
}
