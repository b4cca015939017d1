/// Stochastic gradient descent with PyTorch's `torch.optim.SGD` update, step by step:
///
///     g ← g + λ·w                      (weight_decay λ, when λ ≠ 0)
///     if μ ≠ 0:  b ← g on the first step, else b ← μ·b + (1 − dampening)·g
///                g ← g + μ·b (nesterov)  or  g ← b
///     w ← w − η·g
///
/// With μ = 0 and λ = 0 this is the seed's w ← w − η·∂E/∂w.
public final class SGD: Optimizer {
    public let momentum: Double
    public let dampening: Double
    public let nesterov: Bool
    public let weightDecay: Double
    let buffer = OptimizerBuffer("momentum_buffer")

    public init(momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }
    public var name: String { "sgd" }

    public func step<S: TrainingScalar>(_ parameters: [ParameterOf<S>], learningRate: Double, elements: Range<Int>) {
        let mu = S(momentum), keep = S(1 - dampening), lambda = S(weightDecay), nesterov = nesterov
        let rate = S(learningRate)
        for (index, parameter, part) in ParameterParts(parameters, elements) where parameter.isTrainable {
            if mu == 0 {
                parameter.gradient.storage.withUnsafeBufferPointer { g in
                    parameter.value.storage.withUnsafeMutableBufferPointer { w in
                        // The plain step without branches in the loop, so it vectorises.
                        if lambda == 0 {
                            for i in part { w[i] -= rate * g[i] }
                            return
                        }
                        for i in part {
                            let d = g[i] + lambda * w[i]
                            w[i] -= rate * d
                        }
                    }
                }
                continue
            }
            let first = buffer.isEmpty(index)
            buffer.ensure(index, for: parameter)
            parameter.gradient.storage.withUnsafeBufferPointer { g in
                parameter.value.storage.withUnsafeMutableBufferPointer { w in
                    buffer.withBuffer(index, S.self) { b in
                        // The common case (no weight decay, no Nesterov, after the first step)
                        // without branches in the loop, so it vectorises: the same arithmetic
                        // as the general loop below, b = μ·b + (1 − τ)·g, w −= η·b.
                        if lambda == 0 && !first && !nesterov {
                            for i in part {
                                b[i] = b[i] * mu + keep * g[i]
                                w[i] -= rate * b[i]
                            }
                            return
                        }
                        for i in part {
                            var d = lambda != 0 ? g[i] + lambda * w[i] : g[i]
                            b[i] = first ? d : b[i] * mu + keep * d
                            d = nesterov ? d + mu * b[i] : b[i]
                            w[i] -= rate * d
                        }
                    }
                }
            }
        }
    }

    public func saveState() -> [String: [Double]] { save([buffer]) }
    public func restoreState<S: TrainingScalar>(_ state: [String: [Double]], parameters: [ParameterOf<S>]) throws {
        _ = try restore(state, [buffer], scalars: [], parameters: parameters)
    }
}
