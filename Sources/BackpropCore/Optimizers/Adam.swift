/// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), with the arithmetic of
/// PyTorch's `torch.optim.Adam` / `AdamW` (single-tensor path), in this order, t = 1, 2, ...:
///
///     AdamW: w ← w·(1 − η·λ)           Adam: g ← g + λ·w        (weight_decay λ, when λ ≠ 0)
///     m ← lerp(m, g, 1 − β₁)             = m + (1 − β₁)·(g − m)
///     v ← β₂·v + ((1 − β₂)·g)·g
///     step = η / (1 − β₁ᵗ)
///     denom = √v / √(1 − β₂ᵗ) + ε
///     w ← w − step·(m / denom)
///
/// which is w ← w − η·m̂ / (√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
public final class Adam: Optimizer {
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    /// AdamW: weight decay applied to the weights directly, not through the gradient.
    public let decoupled: Bool
    public private(set) var stepCount = 0
    let firstMoment = OptimizerBuffer("exp_avg")
    let secondMoment = OptimizerBuffer("exp_avg_sq")

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, decoupled: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }
    public var name: String { decoupled ? "adamw" : "adam" }

    public func step<S: TrainingScalar>(_ parameters: [ParameterOf<S>], learningRate: Double, elements: Range<Int>) {
        stepCount += 1
        let t = Double(stepCount)
        let biasCorrection1 = 1 - _pow(beta1, t)
        let biasCorrection2 = 1 - _pow(beta2, t)
        let stepSize = S(learningRate / biasCorrection1)
        let biasCorrection2Sqrt = S(biasCorrection2.squareRoot())
        let weight = S(1 - beta1), oneMinusBeta2 = S(1 - beta2), beta2 = S(beta2), epsilon = S(epsilon)
        let lambda = S(weightDecay), decoupled = decoupled
        let decay = S(1 - learningRate * weightDecay)
        for (index, parameter, part) in ParameterParts(parameters, elements) where parameter.isTrainable {
            firstMoment.ensure(index, for: parameter)
            secondMoment.ensure(index, for: parameter)
            parameter.gradient.storage.withUnsafeBufferPointer { grad in
                parameter.value.storage.withUnsafeMutableBufferPointer { w in
                    firstMoment.withBuffer(index, S.self) { m in
                        secondMoment.withBuffer(index, S.self) { v in
                            for i in part {
                                var g = grad[i]
                                if lambda != 0 {
                                    if decoupled { w[i] *= decay } else { g += lambda * w[i] }
                                }
                                m[i] = lerp(m[i], g, weight)
                                v[i] = v[i] * beta2 + oneMinusBeta2 * g * g
                                let denom = v[i].squareRoot() / biasCorrection2Sqrt + epsilon
                                w[i] += -stepSize * (m[i] / denom)
                            }
                        }
                    }
                }
            }
        }
    }

    public func saveState() -> [String: [Double]] {
        save([firstMoment, secondMoment], scalars: ["step": Double(stepCount)])
    }
    public func restoreState<S: TrainingScalar>(_ state: [String: [Double]], parameters: [ParameterOf<S>]) throws {
        let scalars = try restore(state, [firstMoment, secondMoment], scalars: ["step"], parameters: parameters)
        stepCount = Int(scalars["step"] ?? 0)
    }
}
