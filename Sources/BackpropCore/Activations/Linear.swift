/// The identity: linear(x) = x; linear'(x) = 1.
public struct Linear: ElementwiseActivation {
    public init() {}
    public var name: String { "linear" }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S { x }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S { 1 }
}
