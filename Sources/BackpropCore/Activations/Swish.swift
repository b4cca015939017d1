/// swish(x) = silu(x) = x·σ(x); derivative σ(x)·(1 + x·(1 − σ(x))).
public struct Swish: ElementwiseActivation {
    public init() {}
    public var name: String { "swish" }
    @inline(__always) public func value(_ x: Double) -> Double { x * Sigmoid().value(x) }
    @inline(__always) public func derivative(x: Double, y: Double) -> Double {
        let s = Sigmoid().value(x)
        return s * (1 + x * (1 - s))
    }
}
