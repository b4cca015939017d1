/// swish(x) = silu(x) = x·σ(x); derivative σ(x)·(1 + x·(1 − σ(x))).
public struct Swish: ElementwiseActivation {
    public init() {}
    public var name: String { "swish" }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S { x * Sigmoid().value(x) }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S {
        let s = Sigmoid().value(x)
        return s * (1 + x * (1 - s))
    }
}
