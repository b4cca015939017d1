import BackpropCore

/// Optimizer plugins (`training.optimizer`), each with PyTorch's update rule (written out in
/// BackpropCore/Optimizers and the README). The learning rate comes from `learning_rate`.
extension Registry {
    public static let optimizers = PluginFamily<any Optimizer>(.optimizer, noun: "optimizer", [
        Plugin(StageDescription(
            name: "sgd", summary: "g ← g + λw; b ← μb + (1 − dampening)g (b ← g at first); g ← g + μb (nesterov) or b; w ← w − ηg",
            parameters: [OptimizerKeys.momentum, OptimizerKeys.dampening, OptimizerKeys.nesterov, OptimizerKeys.weightDecay],
            example: "optimizer:\n  type: sgd\n  momentum: 0.9\n  nesterov: true")) { arguments in
            let momentum = try arguments.read(OptimizerKeys.momentum)
            let dampening = try arguments.read(OptimizerKeys.dampening)
            let nesterov = try arguments.read(OptimizerKeys.nesterov)
            if nesterov && (momentum <= 0 || dampening != 0) {
                throw arguments.node.error("nesterov momentum needs 'momentum' > 0 and 'dampening' 0")
            }
            return SGD(momentum: momentum, dampening: dampening, nesterov: nesterov,
                       weightDecay: try arguments.read(OptimizerKeys.weightDecay))
        },
        Plugin(StageDescription(
            name: "adam", summary: "m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·m̂/(√v̂ + ε), L2 weight_decay through g",
            parameters: [OptimizerKeys.beta1, OptimizerKeys.beta2, OptimizerKeys.epsilon, OptimizerKeys.weightDecay],
            example: "optimizer:\n  type: adam\n  beta1: 0.9\n  beta2: 0.999")) { arguments in
            try makeAdam(arguments, decay: OptimizerKeys.weightDecay, decoupled: false)
        },
        Plugin(StageDescription(
            name: "adamw", summary: "Adam with decoupled weight decay: w ← w·(1 − ηλ) before the Adam step",
            parameters: [OptimizerKeys.beta1, OptimizerKeys.beta2, OptimizerKeys.epsilon, OptimizerKeys.decoupledDecay],
            example: "optimizer:\n  type: adamw\n  weight_decay: 0.01")) { arguments in
            try makeAdam(arguments, decay: OptimizerKeys.decoupledDecay, decoupled: true)
        },
        Plugin(StageDescription(
            name: "rmsprop", summary: "s ← αs + (1−α)g²; w ← w − η·g/(√s + ε) (centered: √(s − ḡ²)); optional momentum",
            parameters: [OptimizerKeys.alpha, OptimizerKeys.epsilon, OptimizerKeys.rmspropMomentum,
                         OptimizerKeys.centered, OptimizerKeys.weightDecay],
            example: "optimizer:\n  type: rmsprop\n  alpha: 0.99")) { arguments in
            RMSprop(alpha: try arguments.read(OptimizerKeys.alpha),
                    epsilon: try arguments.read(OptimizerKeys.epsilon),
                    momentum: try arguments.read(OptimizerKeys.rmspropMomentum),
                    centered: try arguments.read(OptimizerKeys.centered),
                    weightDecay: try arguments.read(OptimizerKeys.weightDecay))
        },
        Plugin(StageDescription(
            name: "adagrad", summary: "s ← s + g²; w ← w − η_t·g/(√s + ε), η_t = η/(1 + (t−1)·lr_decay)",
            parameters: [OptimizerKeys.adagradEpsilon, OptimizerKeys.lrDecay, OptimizerKeys.initialAccumulator,
                         OptimizerKeys.weightDecay],
            example: "optimizer:\n  type: adagrad")) { arguments in
            Adagrad(epsilon: try arguments.read(OptimizerKeys.adagradEpsilon),
                    learningRateDecay: try arguments.read(OptimizerKeys.lrDecay),
                    initialAccumulator: try arguments.read(OptimizerKeys.initialAccumulator),
                    weightDecay: try arguments.read(OptimizerKeys.weightDecay))
        },
    ])

    /// The optimizers' keys, each declared once for its builder and `bp-pipeline plugins`. The
    /// ranges are torch.optim's checks (momentum, weight decay, alpha ≥ 0; Adam's betas in
    /// [0, 1)), narrowed where torch accepts a value that cannot train: ε > 0 (ε = 0 divides by
    /// √s = 0 on the first step), RMSprop's α < 1 (α = 1 never updates s from 0, so every step is
    /// η·g/ε) and dampening ≤ 1 (above 1 the momentum buffer subtracts the gradient).
    enum OptimizerKeys {
        static let momentum = Parameter("momentum", default: 0.0, range: .nonNegative, "μ")
        static let dampening = Parameter("dampening", default: 0.0, range: .between(0, 1),
                                         "scales g in the momentum update by 1 − dampening")
        static let nesterov = Parameter("nesterov", default: false, "Nesterov momentum (needs momentum > 0, dampening 0)")
        static let weightDecay = Parameter("weight_decay", default: 0.0, range: .nonNegative, "λ: adds λ·w to the gradient")
        static let decoupledDecay = Parameter("weight_decay", default: 0.01, range: .nonNegative,
                                              "λ: w ← w·(1 − ηλ) before each step")
        static let beta1 = Parameter("beta1", default: 0.9, range: .from(0, below: 1), "β₁, decay of the first moment")
        static let beta2 = Parameter("beta2", default: 0.999, range: .from(0, below: 1), "β₂, decay of the second moment")
        static let epsilon = Parameter("epsilon", default: 1e-8, range: .positive, "ε added to the root")
        static let alpha = Parameter("alpha", default: 0.99, range: .from(0, below: 1), "α, smoothing of s")
        static let rmspropMomentum = Parameter("momentum", default: 0.0, range: .nonNegative, "μ: b ← μb + g/r; w ← w − ηb")
        static let centered = Parameter("centered", default: false, "divide by the variance estimate √(s − ḡ²)")
        static let adagradEpsilon = Parameter("epsilon", default: 1e-10, range: .positive, "ε added to the root")
        static let lrDecay = Parameter("lr_decay", default: 0.0, range: .nonNegative, "per-step decay of the rate")
        static let initialAccumulator = Parameter("initial_accumulator", default: 0.0, range: .nonNegative, "starting value of s")
    }

    static func makeAdam(_ arguments: PluginArguments, decay: Parameter<Double>, decoupled: Bool) throws -> Adam {
        Adam(beta1: try arguments.read(OptimizerKeys.beta1), beta2: try arguments.read(OptimizerKeys.beta2),
             epsilon: try arguments.read(OptimizerKeys.epsilon), weightDecay: try arguments.read(decay),
             decoupled: decoupled)
    }
}
