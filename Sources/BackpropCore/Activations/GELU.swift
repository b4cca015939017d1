/// gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)), the exact form (PyTorch's default, not the tanh
/// approximation); derivative Φ(x) + x·φ(x) with φ(x) = e^(−x²/2)/√(2π).
public struct GELU: ElementwiseActivation {
    public init() {}
    public var name: String { "gelu" }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S { 0.5 * x * (1 + S.erf(x * 0.70710678118654752440)) }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S {
        let cdf = 0.5 * (1 + S.erf(x * 0.70710678118654752440))
        let pdf = S.exp(-0.5 * x * x) * 0.39894228040143267794
        return cdf + x * pdf
    }
}
