/// softplus(x) = ln(1 + eˣ), computed stably as max(x, 0) + ln(1 + e^(−|x|)); derivative σ(x).
public struct Softplus: ElementwiseActivation {
    public init() {}
    public var name: String { "softplus" }
    @inline(__always) public func value(_ x: Double) -> Double { max(x, 0) + _log1p(_exp(-abs(x))) }
    @inline(__always) public func derivative(x: Double, y: Double) -> Double { Sigmoid().value(x) }
}
