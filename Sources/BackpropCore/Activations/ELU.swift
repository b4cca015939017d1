/// elu(x) = x for x > 0, else α·(eˣ − 1) (computed with expm1, as PyTorch);
/// derivative 1 for x > 0, else α·eˣ = y + α.
public struct ELU: ElementwiseActivation {
    public let alpha: Double
    public init(alpha: Double = 1) { self.alpha = alpha }
    public var name: String { "elu" }
    public var parameters: [String: Double] { ["alpha": alpha] }
    /// The second derivative jumps at 0 (and the first too unless α = 1).
    public var kinks: [Double] { [0] }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S { x > 0 ? x : S(alpha) * S.expm1(x) }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S { x > 0 ? 1 : y + S(alpha) }
}
