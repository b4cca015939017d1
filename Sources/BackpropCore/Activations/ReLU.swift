/// relu(x) = max(0, x); relu'(x) = 1 for x > 0, else 0 (0 at x = 0, as PyTorch).
public struct ReLU: ElementwiseActivation {
    public init() {}
    public var name: String { "relu" }
    public var kinks: [Double] { [0] }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S { x > 0 ? x : 0 }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S { x > 0 ? 1 : 0 }
}
