/// tanh(x); tanh'(x) = 1 − tanh²(x).
public struct Tanh: ElementwiseActivation {
    public init() {}
    public var name: String { "tanh" }
    @inline(__always) public func value(_ x: Double) -> Double { _tanh(x) }
    @inline(__always) public func derivative(x: Double, y: Double) -> Double { 1 - y * y }
}
