/// selu(x) = λ·x for x > 0, else λ·α·(eˣ − 1), with Klambauer et al.'s (2017) constants
/// α ≈ 1.6733, λ ≈ 1.0507 (PyTorch's values); derivative λ for x > 0, else λ·α·eˣ = y + λ·α.
public struct SELU: ElementwiseActivation {
    public static let alpha = 1.6732632423543772848170429916717
    public static let scale = 1.0507009873554804934193349852946
    public init() {}
    public var name: String { "selu" }
    public var kinks: [Double] { [0] }
    @inline(__always) public func value<S: TrainingScalar>(_ x: S) -> S {
        x > 0 ? S(Self.scale) * x : S(Self.scale) * (S(Self.alpha) * S.expm1(x))
    }
    @inline(__always) public func derivative<S: TrainingScalar>(x: S, y: S) -> S {
        x > 0 ? S(Self.scale) : y + S(Self.scale) * S(Self.alpha)
    }
}
