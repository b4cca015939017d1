/// softplus(x) = ln(1 + eˣ), computed stably as max(x, 0) + ln(1 + e^(−|x|)); derivative σ(x).
public struct Softplus: ElementwiseActivation {
    public init() {}
    public var name: String { "softplus" }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S { max(x, 0) + S.log1p(S.exp(-abs(x))) }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S { Sigmoid().value(x) }
}
