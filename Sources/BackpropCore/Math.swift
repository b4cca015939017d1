import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number types the core trains in: `Double` (float64, the default, which keeps the worked
/// example exact) and `Float` (float32, through `sgemm` and float libm). Every layer, loss and
/// optimizer is written once, generic over this protocol, and specialised by the compiler for
/// each of the two (all generic code lives in this module, which sees both conformances).
public protocol TrainingScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// `float64` or `float32`, the spec's `training.precision` names.
    static var precisionName: String { get }
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func expm1(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    /// C = alpha · op(A) · op(B) + beta · C through CBLAS (`dgemm` or `sgemm`), row-major.
    static func blasGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                         _ a: UnsafePointer<Self>, lda: Int, _ b: UnsafePointer<Self>, ldb: Int,
                         beta: Self, _ c: UnsafeMutablePointer<Self>, ldc: Int)

    // Calls into the protocols that are required once per precision (Activation, Loss,
    // Optimizer): generic code over Self picks the Double or Float requirement through these,
    // which Precision.swift implements for both (a generic context cannot name one overload).
    static func forward(_ activation: any Activation, _ net: MatrixOf<Self>, into out: inout MatrixOf<Self>)
    static func forward(_ activation: any Activation, net: inout MatrixOf<Self>, bias: MatrixOf<Self>,
                        into out: inout MatrixOf<Self>)
    static func backward(_ activation: any Activation, net: MatrixOf<Self>, out: MatrixOf<Self>,
                         outGradient: MatrixOf<Self>, into netGradient: inout MatrixOf<Self>)
    static func evaluate(_ loss: any Loss, net: MatrixOf<Self>, output: MatrixOf<Self>, target: MatrixOf<Self>,
                         outGradient: inout MatrixOf<Self>) -> Double
    static func value(_ loss: any Loss, net: MatrixOf<Self>, output: MatrixOf<Self>, target: MatrixOf<Self>) -> Double
    static func evaluateFused(_ loss: any FusedOutputLoss, net: MatrixOf<Self>, output: MatrixOf<Self>,
                              target: MatrixOf<Self>, netGradient: inout MatrixOf<Self>) -> Double
    static func valueFused(_ loss: any FusedOutputLoss, net: MatrixOf<Self>, output: MatrixOf<Self>,
                           target: MatrixOf<Self>) -> Double
    static func step(_ optimizer: any Optimizer, _ parameters: [ParameterOf<Self>], learningRate: Double, elements: Range<Int>)
    /// |v| lane by lane, by clearing the sign bits (a SIMD comparison and select compiles to a
    /// loop over the lanes).
    static func magnitudes(_ v: SIMD16<Self>) -> SIMD16<Self>
}

extension Double: TrainingScalar {
    public static var precisionName: String { "float64" }
    @inline(__always) public static func magnitudes(_ v: SIMD16<Double>) -> SIMD16<Double> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt64>.self) & SIMD16(repeating: ~(1 << 63)), to: SIMD16<Double>.self)
    }
    /// The core's own e^x (Exp.swift): inline, so loops over it vectorise, and the same bits on every CPU.
    @inline(__always) public static func exp(_ x: Double) -> Double { coreExp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inline(__always) public static func expm1(_ x: Double) -> Double { Glibc.expm1(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    @inline(__always) public static func erf(_ x: Double) -> Double { Glibc.erf(x) }
    public static func blasGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                                _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
                                beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
                    beta, c, Int32(max(ldc, 1)))
    }
}

extension Float: TrainingScalar {
    public static var precisionName: String { "float32" }
    @inline(__always) public static func magnitudes(_ v: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & SIMD16(repeating: ~(1 << 31)), to: SIMD16<Float>.self)
    }
    @inline(__always) public static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) public static func log1p(_ x: Float) -> Float { log1pf(x) }
    @inline(__always) public static func expm1(_ x: Float) -> Float { expm1f(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) public static func erf(_ x: Float) -> Float { erff(x) }
    public static func blasGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                                beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
                    beta, c, Int32(max(ldc, 1)))
    }
}

/// Reductions over long buffers (a layer's gradient or weights, after every step). A plain
/// `sum += v` loop is one chain of dependent additions that the compiler may not reorder
/// (floating-point addition is not associative): about 4 cycles an element whatever the vector
/// width. Both kernels below keep independent partial sums that vectorise, grouping the terms
/// by position and adding the partial sums at the end. Which is faster depends on the type
/// (measured with perf on W1, where the statistics and the check run over 235,146 weights after
/// every step): Float takes sixteen `SIMD16` lanes; Double eight scalar accumulators, which the
/// compiler packs into SSE pairs, since sixteen Double lanes compiled to scalar multiplies and
/// shuffles there and took longer than SGD's step. (Concrete `SIMD16<Float>` code, outside the
/// specialised generic context, compiled badly too.)
extension TrainingScalar {
    /// Σ v² and Σ |v| over `values`, adding each value to `sums` (same count) on the way.
    @inline(__always)
    static func squaresAndMagnitudes(_ values: UnsafeBufferPointer<Self>,
                                     addingTo sums: UnsafeMutableBufferPointer<Self>) -> (squares: Self, magnitudes: Self) {
        precondition(sums.count == values.count, "statistics: buffers differ in length")
        // Decided by the type alone: a test of the count here made the Float loop compile to
        // scalar code and spills (measured), so short arrays take the lanes' tail loop.
        if Self.self == Float.self { return laneSquaresAndMagnitudes(values, addingTo: sums) }
        return unrolledSquaresAndMagnitudes(values, addingTo: sums)
    }

    /// Whether every value is finite: Σ v·0 is 0 for finite values and NaN once any is ±∞ or
    /// NaN (the order of adding zeros and NaNs does not change that), branch-free.
    @inline(__always)
    static func allFinite(_ values: UnsafeBufferPointer<Self>) -> Bool {
        if Self.self == Float.self { return laneAllFinite(values) }
        return unrolledAllFinite(values)
    }

    /// Sixteen lanes (element i goes to lane i mod 16).
    @inline(__always)
    static func laneSquaresAndMagnitudes(_ values: UnsafeBufferPointer<Self>,
                                         addingTo sums: UnsafeMutableBufferPointer<Self>) -> (squares: Self, magnitudes: Self) {
        let count = values.count
        guard count > 0, let source = values.baseAddress, let target = sums.baseAddress else { return (0, 0) }
        let raw = UnsafeRawPointer(source), rawSums = UnsafeMutableRawPointer(target)
        let width = 16, stride = MemoryLayout<Self>.stride
        var squares = SIMD16<Self>(), magnitudes = SIMD16<Self>()
        var i = 0
        while i + width <= count {
            let offset = i * stride
            let v = raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Self>.self)
            squares += v * v
            magnitudes += Self.magnitudes(v)
            let s = rawSums.loadUnaligned(fromByteOffset: offset, as: SIMD16<Self>.self)
            rawSums.storeBytes(of: s + v, toByteOffset: offset, as: SIMD16<Self>.self)
            i += width
        }
        var tailSquares: Self = 0, tailMagnitudes: Self = 0
        while i < count {
            let v = source[i]
            tailSquares += v * v
            tailMagnitudes += abs(v)
            target[i] += v
            i += 1
        }
        return (squares.sum() + tailSquares, magnitudes.sum() + tailMagnitudes)
    }

    /// `allFinite` in sixteen lanes.
    @inline(__always)
    static func laneAllFinite(_ values: UnsafeBufferPointer<Self>) -> Bool {
        let count = values.count
        guard count > 0, let source = values.baseAddress else { return true }
        let raw = UnsafeRawPointer(source)
        let width = 16, stride = MemoryLayout<Self>.stride
        var zeros = SIMD16<Self>()
        var i = 0
        while i + width <= count {
            zeros += raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD16<Self>.self) * 0
            i += width
        }
        var tail: Self = 0
        while i < count {
            tail += source[i] * 0
            i += 1
        }
        return zeros.sum() + tail == 0
    }

    /// Eight scalar accumulators (element i goes to accumulator i mod 8).
    @inline(__always)
    static func unrolledSquaresAndMagnitudes(_ values: UnsafeBufferPointer<Self>,
                                             addingTo sums: UnsafeMutableBufferPointer<Self>) -> (squares: Self, magnitudes: Self) {
        let count = values.count
        guard count > 0, let v = values.baseAddress, let t = sums.baseAddress else { return (0, 0) }
        var s0: Self = 0, s1: Self = 0, s2: Self = 0, s3: Self = 0, s4: Self = 0, s5: Self = 0, s6: Self = 0, s7: Self = 0
        var m0: Self = 0, m1: Self = 0, m2: Self = 0, m3: Self = 0, m4: Self = 0, m5: Self = 0, m6: Self = 0, m7: Self = 0
        var i = 0
        while i + 8 <= count {
            let v0 = v[i], v1 = v[i + 1], v2 = v[i + 2], v3 = v[i + 3]
            let v4 = v[i + 4], v5 = v[i + 5], v6 = v[i + 6], v7 = v[i + 7]
            s0 += v0 * v0; s1 += v1 * v1; s2 += v2 * v2; s3 += v3 * v3
            s4 += v4 * v4; s5 += v5 * v5; s6 += v6 * v6; s7 += v7 * v7
            m0 += v0.magnitude; m1 += v1.magnitude; m2 += v2.magnitude; m3 += v3.magnitude
            m4 += v4.magnitude; m5 += v5.magnitude; m6 += v6.magnitude; m7 += v7.magnitude
            t[i] += v0; t[i + 1] += v1; t[i + 2] += v2; t[i + 3] += v3
            t[i + 4] += v4; t[i + 5] += v5; t[i + 6] += v6; t[i + 7] += v7
            i += 8
        }
        while i < count {
            s0 += v[i] * v[i]
            m0 += v[i].magnitude
            t[i] += v[i]
            i += 1
        }
        return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), ((m0 + m1) + (m2 + m3)) + ((m4 + m5) + (m6 + m7)))
    }

    /// `allFinite` with eight scalar accumulators.
    @inline(__always)
    static func unrolledAllFinite(_ values: UnsafeBufferPointer<Self>) -> Bool {
        let count = values.count
        guard count > 0, let v = values.baseAddress else { return true }
        var z0: Self = 0, z1: Self = 0, z2: Self = 0, z3: Self = 0, z4: Self = 0, z5: Self = 0, z6: Self = 0, z7: Self = 0
        var i = 0
        while i + 8 <= count {
            z0 += v[i] * 0; z1 += v[i + 1] * 0; z2 += v[i + 2] * 0; z3 += v[i + 3] * 0
            z4 += v[i + 4] * 0; z5 += v[i + 5] * 0; z6 += v[i + 6] * 0; z7 += v[i + 7] * 0
            i += 8
        }
        while i < count {
            z0 += v[i] * 0
            i += 1
        }
        return ((z0 + z1) + (z2 + z3)) + ((z4 + z5) + (z6 + z7)) == 0
    }
}

// Thin, concrete wrappers over libm so the float64-only code (initialisers, schedules, the
// generator) reads like the maths.
@inline(__always) func _exp(_ x: Double) -> Double { exp(x) }
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _log1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) func _tanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func _erf(_ x: Double) -> Double { erf(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@inline(__always) func _expm1(_ x: Double) -> Double { expm1(x) }
@inline(__always) func _sqrt(_ x: Double) -> Double { x.squareRoot() }
