/// leaky_relu(x) = x for x > 0, else α·x; derivative 1 for x > 0, else α (α at x = 0, as PyTorch).
public struct LeakyReLU: ElementwiseActivation {
    public let alpha: Double
    public init(alpha: Double = 0.01) { self.alpha = alpha }
    public var name: String { "leaky_relu" }
    public var parameters: [String: Double] { ["alpha": alpha] }
    public var kinks: [Double] { [0] }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S { x > 0 ? x : S(alpha) * x }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S { x > 0 ? 1 : S(alpha) }
}
