/// Adagrad (Duchi et al., 2011) with PyTorch's `torch.optim.Adagrad` arithmetic, t = 1, 2, ...:
///
///     g ← g + λ·w                              (weight_decay λ, when λ ≠ 0)
///     η_t = η / (1 + (t − 1)·lr_decay)
///     s ← s + g·g                              (s starts at initial_accumulator_value)
///     w ← w − η_t·(g / (√s + ε))
public final class Adagrad: Optimizer {
    public let epsilon: Double
    public let learningRateDecay: Double
    public let initialAccumulator: Double
    public let weightDecay: Double
    public private(set) var stepCount = 0
    let sum = OptimizerBuffer("sum")

    public init(epsilon: Double = 1e-10, learningRateDecay: Double = 0, initialAccumulator: Double = 0,
                weightDecay: Double = 0) {
        self.epsilon = epsilon
        self.learningRateDecay = learningRateDecay
        self.initialAccumulator = initialAccumulator
        self.weightDecay = weightDecay
    }
    public var name: String { "adagrad" }

    public func step<S: TrainingScalar>(_ parameters: [ParameterOf<S>], learningRate: Double, elements: Range<Int>) {
        stepCount += 1
        let rate = S(learningRate / (1 + Double(stepCount - 1) * learningRateDecay))
        let epsilon = S(epsilon), lambda = S(weightDecay)
        for (index, parameter, part) in ParameterParts(parameters, elements) where parameter.isTrainable {
            sum.ensure(index, for: parameter, initial: initialAccumulator)
            parameter.gradient.storage.withUnsafeBufferPointer { grad in
                parameter.value.storage.withUnsafeMutableBufferPointer { w in
                    sum.withBuffer(index, S.self) { s in
                        for i in part {
                            let g = lambda != 0 ? grad[i] + lambda * w[i] : grad[i]
                            s[i] += 1 * g * g
                            w[i] += -rate * (g / (s[i].squareRoot() + epsilon))
                        }
                    }
                }
            }
        }
    }

    public func saveState() -> [String: [Double]] { save([sum], scalars: ["step": Double(stepCount)]) }
    public func restoreState<S: TrainingScalar>(_ state: [String: [Double]], parameters: [ParameterOf<S>]) throws {
        let scalars = try restore(state, [sum], scalars: ["step"], parameters: parameters)
        stepCount = Int(scalars["step"] ?? 0)
    }
}
