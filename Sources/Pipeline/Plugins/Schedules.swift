import BackpropCore
import PipelineSpec

/// Learning-rate schedule plugins (`learning_rate`); every one takes `value`, the base rate,
/// and `warmup_epochs` (linear warm-up in front of it). The rate changes once per epoch, as
/// PyTorch's schedulers stepped each epoch.
extension Registry {
    public static let schedules = PluginFamily<any LearningRateSchedule>(.learningRate, noun: "learning rate schedule", [
        Plugin(StageDescription(
            name: "constant", summary: "η = value in every epoch",
            parameters: common,
            example: "learning_rate:\n  type: constant\n  value: 0.5")) { arguments in
            try warmed(ConstantRate(try baseRate(arguments)), arguments)
        },
        Plugin(StageDescription(
            name: "step", summary: "η_e = value·γ^⌊(e−1)/step_size⌋ (PyTorch's StepLR)",
            parameters: common + [ParameterDescription("step_size", "integer", "epochs between reductions (≥ 1)"),
                                  ParameterDescription("gamma", "number", default: "0.1", "factor per reduction")],
            example: "learning_rate:\n  type: step\n  value: 0.1\n  step_size: 30\n  gamma: 0.1")) { arguments in
            _ = try arguments.required("step_size")
            return try warmed(StepRate(try baseRate(arguments),
                                       stepSize: try arguments.integer("step_size", default: 1, minimum: 1),
                                       gamma: try arguments.number("gamma", default: 0.1, .positive)), arguments)
        },
        Plugin(StageDescription(
            name: "multistep", summary: "η multiplied by γ after each milestone epoch (PyTorch's MultiStepLR)",
            parameters: common + [ParameterDescription("milestones", "list of integers", "epoch counts after which the rate drops, increasing"),
                                  ParameterDescription("gamma", "number", default: "0.1", "factor per milestone")],
            example: "learning_rate:\n  type: multistep\n  value: 0.1\n  milestones: [30, 80]")) { arguments in
            let node = try arguments.required("milestones")
            var milestones: [Int] = []
            for item in try node.list("milestones") {
                let m = try item.int("milestone")
                guard m >= 1, m > (milestones.last ?? 0) else {
                    throw item.error("milestones must be increasing positive epoch counts, found \(m)")
                }
                milestones.append(m)
            }
            return try warmed(MultiStepRate(try baseRate(arguments), milestones: milestones,
                                            gamma: try arguments.number("gamma", default: 0.1, .positive)), arguments)
        },
        Plugin(StageDescription(
            name: "exponential", summary: "η_e = value·γ^(e−1) (PyTorch's ExponentialLR)",
            parameters: common + [ParameterDescription("gamma", "number", "factor per epoch (> 0)")],
            example: "learning_rate:\n  type: exponential\n  value: 0.1\n  gamma: 0.95")) { arguments in
            try warmed(ExponentialRate(try baseRate(arguments), gamma: try arguments.requiredNumber("gamma", .positive)), arguments)
        },
        Plugin(StageDescription(
            name: "inverse_time", summary: "η_e = value / e^power (scikit-learn's invscaling, t = epoch)",
            parameters: common + [ParameterDescription("power", "number", default: "0.5", "exponent of the epoch")],
            example: "learning_rate:\n  type: inverse_time\n  value: 0.1\n  power: 0.5")) { arguments in
            try warmed(InverseTimeRate(try baseRate(arguments), power: try arguments.number("power", default: 0.5, .nonNegative)), arguments)
        },
        Plugin(StageDescription(
            name: "cosine", summary: "η_e = η_min + (value − η_min)(1 + cos(π(e−1)/t_max))/2 (PyTorch's CosineAnnealingLR)",
            parameters: common + [ParameterDescription("t_max", "integer", "epochs of the half cosine (≥ 1)"),
                                  ParameterDescription("eta_min", "number", default: "0", "the lowest rate")],
            example: "learning_rate:\n  type: cosine\n  value: 0.1\n  t_max: 100")) { arguments in
            _ = try arguments.required("t_max")
            return try warmed(CosineRate(try baseRate(arguments),
                                         maximumEpochs: try arguments.integer("t_max", default: 1, minimum: 1),
                                         minimumRate: try arguments.number("eta_min", default: 0, .nonNegative)), arguments)
        },
        Plugin(StageDescription(
            name: "reduce_on_plateau",
            summary: "η ← max(η·factor, min_lr) after more than `patience` epochs without a 1e-4 relative improvement (PyTorch's ReduceLROnPlateau)",
            parameters: common + [ParameterDescription("monitor", "string", default: "val_loss", "val_loss (loss when there is no validation part) or loss"),
                                  ParameterDescription("factor", "number", default: "0.1", "multiplier, in (0, 1)"),
                                  ParameterDescription("patience", "integer", default: "10", "epochs without improvement tolerated"),
                                  ParameterDescription("min_lr", "number", default: "0", "the lowest rate")],
            example: "learning_rate:\n  type: reduce_on_plateau\n  value: 0.1\n  factor: 0.5\n  patience: 5")) { arguments in
            let monitor = try arguments.choice("monitor", Monitor.allCases.map(\.rawValue), default: "val_loss")
            return try warmed(ReduceOnPlateau(try baseRate(arguments), monitor: Monitor(rawValue: monitor) ?? .validationLoss,
                                              factor: try arguments.number("factor", default: 0.1, .openUnitInterval),
                                              patience: try arguments.integer("patience", default: 10, minimum: 0),
                                              minimumRate: try arguments.number("min_lr", default: 0, .nonNegative)), arguments)
        },
    ])

    static let common = [
        ParameterDescription("value", "number", "the base learning rate (> 0)"),
        ParameterDescription("warmup_epochs", "integer", default: "0", "linear warm-up: epochs 1…W use value·e/W, then the schedule starts"),
    ]

    static func baseRate(_ arguments: PluginArguments) throws -> Double {
        try arguments.requiredNumber("value", .positive)
    }

    static func warmed(_ schedule: any LearningRateSchedule, _ arguments: PluginArguments) throws -> any LearningRateSchedule {
        let epochs = try arguments.integer("warmup_epochs", default: 0, minimum: 0)
        return epochs > 0 ? Warmup(schedule, epochs: epochs) : schedule
    }
}
