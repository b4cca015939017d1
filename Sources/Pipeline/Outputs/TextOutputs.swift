import BackpropCore
import Foundation

/// Writes `text` to `path`, mapping failures to exit 73.
func writeText(_ text: String, to path: String) throws {
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        throw PipelineError.output("cannot write: \(error.localizedDescription)", path: path)
    }
}

/// `metrics.json`: how the run ended and its final numbers.
public struct MetricsOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "metrics", summary: "metrics.json: status, epochs, final_loss and, where they exist, accuracies and validation/test figures",
        parameters: [ParameterDescription("file", "string", default: "metrics.json", "file name in the output folder")],
        example: "- type: metrics\n  file: metrics.json")
    public let file: String
    public init(_ arguments: PluginArguments) throws { file = try arguments.outputFile(default: "metrics.json", extension: "json") }

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
        if let value = outcome.history.last?.loss { members.append(("last_epoch_loss", .number(value))) }
        if let value = outcome.finalAccuracy { members.append(("train_accuracy", .number(value))) }
        if let value = outcome.finalValidationLoss { members.append(("val_loss", .number(value))) }
        if let value = outcome.finalValidationAccuracy { members.append(("val_accuracy", .number(value))) }
        if let classes = report.data.task.classNames { members.append(("classes", .array(classes.map(JSON.string)))) }
        if let failure = outcome.failure { members.append(("failure", .string(failure))) }
        members += [
            ("loss", .string(report.definition.loss.name)),
            ("optimizer", .string(report.definition.training.optimizerName)),
            ("seed", .integer(Int(report.definition.seed))),
            ("parameters", .integer(report.network.parameterCount)),
            ("training_samples", .integer(report.data.training.count)),
            ("training_seconds", .number((report.trainingSeconds * 1000).rounded() / 1000)),
        ]
        return .object(members)
    }
}

/// `history.csv`: one row per epoch.
public struct HistoryOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "history",
        summary: "history.csv: epoch, loss, lr, val_loss/accuracy columns when they exist, grad_norm_l and grad_mean_abs_l per layer",
        parameters: [ParameterDescription("file", "string", default: "history.csv", "file name in the output folder")],
        example: "- type: history\n  file: history.csv")
    public let file: String
    public init(_ arguments: PluginArguments) throws { file = try arguments.outputFile(default: "history.csv", extension: "csv") }

    public func write(_ report: RunReport, to path: String) throws {
        try writeText(Self.csv(report.outcome.history, layers: report.network.layers.count), to: path)
    }

    static func csv(_ history: [EpochRecord], layers: Int) -> String {
        let hasValidationLoss = history.contains { $0.validationLoss != nil }
        let hasTrainAccuracy = history.contains { $0.trainAccuracy != nil }
        let hasValidationAccuracy = history.contains { $0.validationAccuracy != nil }
        var header = ["epoch", "loss", "lr"]
        if hasValidationLoss { header.append("val_loss") }
        if hasTrainAccuracy { header.append("train_accuracy") }
        if hasValidationAccuracy { header.append("val_accuracy") }
        header += (1...max(layers, 1)).map { "grad_norm_\($0)" }
        header += (1...max(layers, 1)).map { "grad_mean_abs_\($0)" }
        var out = header.joined(separator: ",") + "\n"
        func cell(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        for record in history {
            var row = [String(record.epoch), cell(record.loss), cell(record.learningRate)]
            if hasValidationLoss { row.append(cell(record.validationLoss)) }
            if hasTrainAccuracy { row.append(cell(record.trainAccuracy)) }
            if hasValidationAccuracy { row.append(cell(record.validationAccuracy)) }
            row += record.gradientNorms.map(cell)
            row += record.gradientMeanAbs.map(cell)
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }
}

/// `model.json`: the trained network, weights in the seed's orientation, full precision.
public struct ModelOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "model", summary: "model.json: inputs and, per layer, units, activation, weights[j][k] and bias",
        parameters: [ParameterDescription("file", "string", default: "model.json", "file name in the output folder")],
        example: "- type: model\n  file: model.json")
    public let file: String
    public init(_ arguments: PluginArguments) throws { file = try arguments.outputFile(default: "model.json", extension: "json") }

    public func write(_ report: RunReport, to path: String) throws {
        try writeText(Self.json(report.network).serialized(), to: path)
    }

    static func json(_ network: Network) -> JSON {
        .object([
            ("inputs", .integer(network.inputCount)),
            ("layers", .array(network.layers.map { layer in
                var members: [(String, JSON)] = [
                    ("units", .integer(layer.unitCount)),
                    ("activation", .string(layer.activation.name)),
                ]
                for (key, value) in layer.activation.parameters.sorted(by: { $0.key < $1.key }) {
                    members.append((key, .number(value)))
                }
                members.append(("weights", .array(layer.weights.value.nested.map(JSON.numbers))))
                members.append(("bias", .numbers(layer.bias.value.storage)))
                return .object(members)
            })),
        ])
    }
}
