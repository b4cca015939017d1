import BackpropCore
import PipelineSpec

/// Learning-rate schedule plugins (`learning_rate`); every one takes `value`, the base rate,
/// and `warmup_epochs` (linear warm-up in front of it). The rate changes once per epoch, as
/// PyTorch's schedulers stepped each epoch.
extension Registry {
    public static let schedules = PluginFamily<any LearningRateSchedule>(.learningRate, noun: "learning rate schedule", [
        Plugin(StageDescription(
            name: "constant", summary: "η = value in every epoch",
            parameters: ScheduleKeys.common,
            example: "learning_rate:\n  type: constant\n  value: 0.5")) { arguments in
            try warmed(ConstantRate(try arguments.read(ScheduleKeys.value)), arguments)
        },
        Plugin(StageDescription(
            name: "step", summary: "η_e = value·γ^⌊(e−1)/step_size⌋ (PyTorch's StepLR)",
            parameters: ScheduleKeys.common + [ScheduleKeys.stepSize, ScheduleKeys.gamma],
            example: "learning_rate:\n  type: step\n  value: 0.1\n  step_size: 30\n  gamma: 0.1")) { arguments in
            try warmed(StepRate(try arguments.read(ScheduleKeys.value), stepSize: try arguments.read(ScheduleKeys.stepSize),
                                gamma: try arguments.read(ScheduleKeys.gamma)), arguments)
        },
        Plugin(StageDescription(
            name: "multistep", summary: "η multiplied by γ after each milestone epoch (PyTorch's MultiStepLR)",
            parameters: ScheduleKeys.common + [ScheduleKeys.milestones, ScheduleKeys.gamma],
            example: "learning_rate:\n  type: multistep\n  value: 0.1\n  milestones: [30, 80]")) { arguments in
            var milestones: [Int] = []
            for item in try arguments.read(ScheduleKeys.milestones).list("milestones") {
                let m = try item.int("milestone")
                guard m >= 1, m > (milestones.last ?? 0) else {
                    throw item.error("milestones must be increasing positive epoch counts, found \(m)")
                }
                milestones.append(m)
            }
            return try warmed(MultiStepRate(try arguments.read(ScheduleKeys.value), milestones: milestones,
                                            gamma: try arguments.read(ScheduleKeys.gamma)), arguments)
        },
        Plugin(StageDescription(
            name: "exponential", summary: "η_e = value·γ^(e−1) (PyTorch's ExponentialLR)",
            parameters: ScheduleKeys.common + [ScheduleKeys.exponentialGamma],
            example: "learning_rate:\n  type: exponential\n  value: 0.1\n  gamma: 0.95")) { arguments in
            try warmed(ExponentialRate(try arguments.read(ScheduleKeys.value), gamma: try arguments.read(ScheduleKeys.exponentialGamma)),
                       arguments)
        },
        Plugin(StageDescription(
            name: "inverse_time", summary: "η_e = value / e^power (scikit-learn's invscaling, t = epoch)",
            parameters: ScheduleKeys.common + [ScheduleKeys.power],
            example: "learning_rate:\n  type: inverse_time\n  value: 0.1\n  power: 0.5")) { arguments in
            try warmed(InverseTimeRate(try arguments.read(ScheduleKeys.value), power: try arguments.read(ScheduleKeys.power)), arguments)
        },
        Plugin(StageDescription(
            name: "cosine", summary: "η_e = η_min + (value − η_min)(1 + cos(π(e−1)/t_max))/2 (PyTorch's CosineAnnealingLR)",
            parameters: ScheduleKeys.common + [ScheduleKeys.tMax, ScheduleKeys.etaMin],
            example: "learning_rate:\n  type: cosine\n  value: 0.1\n  t_max: 100")) { arguments in
            try warmed(CosineRate(try arguments.read(ScheduleKeys.value), maximumEpochs: try arguments.read(ScheduleKeys.tMax),
                                  minimumRate: try arguments.read(ScheduleKeys.etaMin)), arguments)
        },
        Plugin(StageDescription(
            name: "reduce_on_plateau",
            summary: "η ← max(η·factor, min_lr) after more than `patience` epochs without a 1e-4 relative improvement (PyTorch's ReduceLROnPlateau)",
            parameters: ScheduleKeys.common + [ScheduleKeys.monitor, ScheduleKeys.factor, ScheduleKeys.patience, ScheduleKeys.minLR],
            example: "learning_rate:\n  type: reduce_on_plateau\n  value: 0.1\n  factor: 0.5\n  patience: 5")) { arguments in
            try warmed(ReduceOnPlateau(try arguments.read(ScheduleKeys.value), monitor: try arguments.read(ScheduleKeys.monitor),
                                       factor: try arguments.read(ScheduleKeys.factor),
                                       patience: try arguments.read(ScheduleKeys.patience),
                                       minimumRate: try arguments.read(ScheduleKeys.minLR)), arguments)
        },
    ])

    /// The schedules' keys, each declared once for its builder and `bp-pipeline plugins`.
    enum ScheduleKeys {
        static let value = Parameter<Double>.required("value", range: .positive, "the base learning rate")
        static let warmupEpochs = Parameter("warmup_epochs", default: 0, range: .nonNegative,
                                            "linear warm-up: epochs 1…W use value·e/W, then the schedule starts")
        static let common: [any ParameterDeclaration] = [value, warmupEpochs]
        static let stepSize = Parameter<Int>.required("step_size", range: .atLeast(1), "epochs between reductions")
        static let gamma = Parameter("gamma", default: 0.1, range: .positive, "factor per reduction")
        static let milestones = Parameter<SpecNode>.required("milestones", type: "list of integers",
                                                             "epoch counts after which the rate drops, increasing")
        static let exponentialGamma = Parameter<Double>.required("gamma", range: .positive, "factor per epoch")
        static let power = Parameter("power", default: 0.5, range: .nonNegative, "exponent of the epoch")
        static let tMax = Parameter<Int>.required("t_max", range: .atLeast(1), "epochs of the half cosine")
        static let etaMin = Parameter("eta_min", default: 0.0, range: .nonNegative, "the lowest rate")
        static let monitor = Parameter("monitor", default: Monitor.validationLoss,
                                       "val_loss falls back to loss when there is no validation part")
        static let factor = Parameter("factor", default: 0.1, range: .strictlyBetween(0, 1), "multiplier")
        static let patience = Parameter("patience", default: 10, range: .nonNegative, "epochs without improvement tolerated")
        static let minLR = Parameter("min_lr", default: 0.0, range: .nonNegative, "the lowest rate")
    }

    static func warmed(_ schedule: any LearningRateSchedule, _ arguments: PluginArguments) throws -> any LearningRateSchedule {
        let epochs = try arguments.read(ScheduleKeys.warmupEpochs)
        return epochs > 0 ? Warmup(schedule, epochs: epochs) : schedule
    }
}

extension Monitor: ParameterChoice {}
