import BackpropCore

/// Optimizer plugins (`training.optimizer`), each with PyTorch's update rule (written out in
/// BackpropCore/Optimizers and the README). The learning rate comes from `learning_rate`.
extension Registry {
    public static let optimizers = PluginFamily<any Optimizer>(.optimizer, noun: "optimizer", [
        Plugin(StageDescription(
            name: "sgd", summary: "g ← g + λw; b ← μb + g (b ← g at first); g ← g + μb (nesterov) or b; w ← w − ηg",
            parameters: [ParameterDescription("momentum", "number", default: "0", "μ, in [0, 1)"),
                         ParameterDescription("dampening", "number", default: "0", "scales g in the momentum update by 1 − dampening"),
                         ParameterDescription("nesterov", "boolean", default: "false", "Nesterov momentum (needs momentum > 0, dampening 0)"),
                         ParameterDescription("weight_decay", "number", default: "0", "λ: adds λ·w to the gradient")],
            example: "optimizer:\n  type: sgd\n  momentum: 0.9\n  nesterov: true")) { arguments in
            let momentum = try arguments.number("momentum", default: 0, .nonNegative)
            let dampening = try arguments.number("dampening", default: 0, .unitInterval)
            let nesterov = try arguments.bool("nesterov", default: false)
            if nesterov && (momentum <= 0 || dampening != 0) {
                throw arguments.node.error("nesterov momentum needs 'momentum' > 0 and 'dampening' 0")
            }
            return SGD(momentum: momentum, dampening: dampening, nesterov: nesterov,
                       weightDecay: try arguments.number("weight_decay", default: 0, .nonNegative))
        },
        Plugin(StageDescription(
            name: "adam", summary: "m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·m̂/(√v̂ + ε), L2 weight_decay through g",
            parameters: adamParameters(decay: "0"),
            example: "optimizer:\n  type: adam\n  beta1: 0.9\n  beta2: 0.999")) { arguments in
            try makeAdam(arguments, decoupled: false, defaultDecay: 0)
        },
        Plugin(StageDescription(
            name: "adamw", summary: "Adam with decoupled weight decay: w ← w·(1 − ηλ) before the Adam step",
            parameters: adamParameters(decay: "0.01"),
            example: "optimizer:\n  type: adamw\n  weight_decay: 0.01")) { arguments in
            try makeAdam(arguments, decoupled: true, defaultDecay: 0.01)
        },
        Plugin(StageDescription(
            name: "rmsprop", summary: "s ← αs + (1−α)g²; w ← w − η·g/(√s + ε) (centered: √(s − ḡ²)); optional momentum",
            parameters: [ParameterDescription("alpha", "number", default: "0.99", "smoothing of s, in [0, 1)"),
                         ParameterDescription("epsilon", "number", default: "1e-8", "ε added to the root"),
                         ParameterDescription("momentum", "number", default: "0", "μ: b ← μb + g/r; w ← w − ηb"),
                         ParameterDescription("centered", "boolean", default: "false", "divide by the variance estimate √(s − ḡ²)"),
                         ParameterDescription("weight_decay", "number", default: "0", "λ: adds λ·w to the gradient")],
            example: "optimizer:\n  type: rmsprop\n  alpha: 0.99")) { arguments in
            RMSprop(alpha: try arguments.number("alpha", default: 0.99, .unitInterval),
                    epsilon: try arguments.number("epsilon", default: 1e-8, .positive),
                    momentum: try arguments.number("momentum", default: 0, .nonNegative),
                    centered: try arguments.bool("centered", default: false),
                    weightDecay: try arguments.number("weight_decay", default: 0, .nonNegative))
        },
        Plugin(StageDescription(
            name: "adagrad", summary: "s ← s + g²; w ← w − η_t·g/(√s + ε), η_t = η/(1 + (t−1)·lr_decay)",
            parameters: [ParameterDescription("epsilon", "number", default: "1e-10", "ε added to the root"),
                         ParameterDescription("lr_decay", "number", default: "0", "per-step decay of the rate"),
                         ParameterDescription("initial_accumulator", "number", default: "0", "starting value of s"),
                         ParameterDescription("weight_decay", "number", default: "0", "λ: adds λ·w to the gradient")],
            example: "optimizer:\n  type: adagrad")) { arguments in
            Adagrad(epsilon: try arguments.number("epsilon", default: 1e-10, .positive),
                    learningRateDecay: try arguments.number("lr_decay", default: 0, .nonNegative),
                    initialAccumulator: try arguments.number("initial_accumulator", default: 0, .nonNegative),
                    weightDecay: try arguments.number("weight_decay", default: 0, .nonNegative))
        },
    ])

    static func adamParameters(decay: String) -> [ParameterDescription] {
        [ParameterDescription("beta1", "number", default: "0.9", "β₁, decay of the first moment, in [0, 1)"),
         ParameterDescription("beta2", "number", default: "0.999", "β₂, decay of the second moment, in [0, 1)"),
         ParameterDescription("epsilon", "number", default: "1e-8", "ε added to √v̂"),
         ParameterDescription("weight_decay", "number", default: decay, "λ")]
    }

    static func makeAdam(_ arguments: PluginArguments, decoupled: Bool, defaultDecay: Double) throws -> Adam {
        let beta1 = try arguments.number("beta1", default: 0.9, .unitInterval)
        let beta2 = try arguments.number("beta2", default: 0.999, .unitInterval)
        for (key, value) in [("beta1", beta1), ("beta2", beta2)] where value >= 1 {
            throw (arguments.optional(key) ?? arguments.node).error("'\(key)' of \(arguments.pluginName) must be less than 1, found \(value)")
        }
        return Adam(beta1: beta1, beta2: beta2,
                    epsilon: try arguments.number("epsilon", default: 1e-8, .positive),
                    weightDecay: try arguments.number("weight_decay", default: defaultDecay, .nonNegative),
                    decoupled: decoupled)
    }
}
