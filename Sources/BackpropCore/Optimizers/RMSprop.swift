/// RMSprop (Hinton's lecture 6e) with PyTorch's `torch.optim.RMSprop` arithmetic:
///
///     g ← g + λ·w                              (weight_decay λ, when λ ≠ 0)
///     s ← α·s + ((1 − α)·g)·g
///     centered: a ← lerp(a, g, 1 − α);  r = √(s − a·a) + ε      else r = √s + ε
///     μ > 0:  b ← μ·b + g/r;  w ← w − η·b                         else w ← w − η·(g/r)
public final class RMSprop: Optimizer {
    public let alpha: Double
    public let epsilon: Double
    public let momentum: Double
    public let centered: Bool
    public let weightDecay: Double
    let squareAverage = OptimizerBuffer("square_avg")
    let gradientAverage = OptimizerBuffer("grad_avg")
    let momentumBuffer = OptimizerBuffer("momentum_buffer")

    public init(alpha: Double = 0.99, epsilon: Double = 1e-8, momentum: Double = 0,
                centered: Bool = false, weightDecay: Double = 0) {
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
        self.weightDecay = weightDecay
    }
    public var name: String { "rmsprop" }

    public func step<S: TrainingScalar>(_ parameters: [ParameterOf<S>], learningRate: Double, elements: Range<Int>) {
        let alpha = S(alpha), oneMinusAlpha = S(1 - self.alpha), epsilon = S(epsilon), mu = S(momentum)
        let lambda = S(weightDecay), centered = centered, rate = S(learningRate)
        for (index, parameter, part) in ParameterParts(parameters, elements) where parameter.isTrainable {
            squareAverage.ensure(index, for: parameter)
            gradientAverage.ensure(index, for: parameter)
            momentumBuffer.ensure(index, for: parameter)
            parameter.gradient.storage.withUnsafeBufferPointer { grad in
                parameter.value.storage.withUnsafeMutableBufferPointer { w in
                    squareAverage.withBuffer(index, S.self) { s in
                        gradientAverage.withBuffer(index, S.self) { a in
                            momentumBuffer.withBuffer(index, S.self) { b in
                                for i in part {
                                    let g = lambda != 0 ? grad[i] + lambda * w[i] : grad[i]
                                    s[i] = s[i] * alpha + oneMinusAlpha * g * g
                                    var r: S
                                    if centered {
                                        a[i] = lerp(a[i], g, oneMinusAlpha)
                                        r = (s[i] + -1 * a[i] * a[i]).squareRoot()
                                    } else {
                                        r = s[i].squareRoot()
                                    }
                                    r += epsilon
                                    if mu > 0 {
                                        b[i] = b[i] * mu + g / r
                                        w[i] += -rate * b[i]
                                    } else {
                                        w[i] += -rate * (g / r)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func saveState() -> [String: [Double]] { save([squareAverage, gradientAverage, momentumBuffer]) }
    public func restoreState<S: TrainingScalar>(_ state: [String: [Double]], parameters: [ParameterOf<S>]) throws {
        _ = try restore(state, [squareAverage, gradientAverage, momentumBuffer], scalars: [], parameters: parameters)
    }
}
