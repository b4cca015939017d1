/// tanh(x); tanh'(x) = 1 − tanh²(x).
public struct Tanh: ElementwiseActivation {
    public init() {}
    public var name: String { "tanh" }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S { S.tanh(x) }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S { 1 - y * y }
}
