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
public protocol TrainingScalar: BinaryFloatingPoint, Codable, Sendable, CustomStringConvertible
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
    static func step(_ optimizer: any Optimizer, _ parameters: [ParameterOf<Self>], learningRate: Double)
}

extension Double: TrainingScalar {
    public static var precisionName: String { "float64" }
    @inline(__always) public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
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
