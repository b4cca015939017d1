import BackpropCore

/// `metrics.json`: how the run ended and its final numbers.
public struct MetricsOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "metrics", summary: "metrics.json: status, epochs, final_loss and, where they exist, accuracies, validation/test figures, best_epoch, the regularization penalty and the expect: verdicts",
        parameters: [file],
        example: "- type: metrics\n  file: metrics.json")
    public let file: String
    public init(_ arguments: PluginArguments) throws { file = try arguments.outputFile(Self.file) }
    static let file = Parameter("file", default: "metrics.json", "file name in the output folder")

    public func write(_ report: RunReport, to path: String) throws {
        try writeText(Self.json(report).serialized(), to: path)
    }

    static func json(_ report: RunReport) -> JSON {
        let outcome = report.outcome
        var members: [(String, JSON)] = [
            ("name", .string(report.definition.name)),
            ("status", .string(outcome.status.rawValue)),
            ("epochs", .integer(outcome.history.count)),
            ("final_loss", .number(outcome.finalLoss)),
        ]
        if let value = outcome.finalRegularization { members.append(("final_regularization", .number(value))) }
        if let value = outcome.history.last?.loss { members.append(("last_epoch_loss", .number(value))) }
        if let value = outcome.bestEpoch { members.append(("best_epoch", .integer(value))) }
        if let value = outcome.finalAccuracy { members.append(("train_accuracy", .number(value))) }
        if let value = outcome.finalValidationLoss { members.append(("val_loss", .number(value))) }
        if let value = outcome.finalValidationAccuracy { members.append(("val_accuracy", .number(value))) }
        members += report.dataMetrics
        if let failure = outcome.failure { members.append(("failure", .string(failure))) }
        if let epoch = outcome.divergedEpoch { members.append(("diverged_epoch", .integer(epoch))) }
        if let layer = outcome.divergedLayer { members.append(("diverged_layer", .integer(layer))) }
        members += Expectation.metricsMembers(report.expectations)
        members += [
            ("loss", .string(report.definition.loss.name)),
            ("optimizer", .string(report.definition.training.optimizerName)),
            ("seed", .integer(Int(report.definition.seed))),
            ("parameters", .integer(report.network.parameterCount)),
            ("training_samples", .integer(report.data.training.count)),
            ("ranks", .integer(report.ranks)),
        ]
        members += Self.speed(seconds: report.trainingSeconds, samples: outcome.samplesProcessed)
        // The part of train_seconds spent exchanging gradients (and waiting for the slowest rank).
        if let seconds = report.exchangeSeconds { members.append(("exchange_seconds", .number((seconds * 1e6).rounded() / 1e6))) }
        return .object(members)
    }

    /// `train_seconds` (the epoch loop alone, `TrainingOutcome.loopSeconds`, to the microsecond, at least 1 µs) and
    /// `samples_per_second` = samples processed / train_seconds, so the two multiply back to the
    /// sample count (up to rounding in the last bits).
    static func speed(seconds: Double, samples: Int) -> [(String, JSON)] {
        let microseconds = max((seconds * 1e6).rounded(), 1) / 1e6
        return [("train_seconds", .number(microseconds)), ("samples_per_second", .number(Double(samples) / microseconds))]
    }
}

