/// The identity: linear(x) = x; linear'(x) = 1.
public struct Linear: ElementwiseActivation {
    public init() {}
    public var name: String { "linear" }
    @inline(__always) public func value(_ x: Double) -> Double { x }
    @inline(__always) public func derivative(x: Double, y: Double) -> Double { 1 }
}
