import BackpropCore

/// Learning-rate schedule plugins (`learning_rate`); every one takes `value`, the base rate.
extension Registry {
    public static let schedules = PluginFamily<any LearningRateSchedule>(.learningRate, noun: "learning rate schedule", [
        Plugin(StageDescription(
            name: "constant", summary: "η = value in every epoch",
            parameters: [ParameterDescription("value", "number", "the learning rate (> 0)")],
            example: "learning_rate:\n  type: constant\n  value: 0.5")) { arguments in
            ConstantRate(try arguments.requiredNumber("value", .positive))
        },
    ])
}
