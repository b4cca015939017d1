/// σ(x) = 1 / (1 + e^(−x)); σ'(x) = σ(x)(1 − σ(x)), at most 1/4: the seed's vanishing factor.
public struct Sigmoid: ElementwiseActivation {
    public init() {}
    public var name: String { "sigmoid" }
    @inline(__always)
    public func value<S: TrainingScalar>(_ x: S) -> S {
        // Two branches keep e^(±x) from overflowing for large |x|.
        if x >= 0 { return 1 / (1 + S.exp(-x)) }
        let e = S.exp(x)
        return e / (1 + e)
    }
    @inline(__always)
    public func derivative<S: TrainingScalar>(x: S, y: S) -> S { y * (1 - y) }
}
