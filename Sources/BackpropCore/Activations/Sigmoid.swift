/// σ(x) = 1 / (1 + e^(−x)); σ'(x) = σ(x)(1 − σ(x)), at most 1/4: the seed's vanishing factor.
public struct Sigmoid: ElementwiseActivation {
    public init() {}
    public var name: String { "sigmoid" }
    @inline(__always)
    public func value<S: TrainingScalar>(_ x: S) -> S {
        // e^(−|x|) never overflows: 1 / (1 + e^(−x)) for x ≥ 0, e^x / (1 + e^x) below. Written
        // as one expression with a select rather than two branches, whose sign is a coin toss
        // on real data (a mispredicted branch costs more than the arithmetic); same numbers.
        let e = S.exp(-abs(x))
        return (x >= 0 ? 1 : e) / (1 + e)
    }
    @inline(__always)
    public func derivative<S: TrainingScalar>(x: S, y: S) -> S { y * (1 - y) }
}
