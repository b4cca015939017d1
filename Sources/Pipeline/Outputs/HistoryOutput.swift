import BackpropCore

/// `history.csv`: one row per epoch.
public struct HistoryOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "history",
        summary: "history.csv: epoch, loss, lr, val_loss/accuracy columns when they exist, regularization (the penalty part of loss) when set, grad_norm_l and grad_mean_abs_l per layer",
        parameters: [file],
        example: "- type: history\n  file: history.csv")
    public let file: String
    public init(_ arguments: PluginArguments) throws { file = try arguments.outputFile(Self.file) }
    static let file = Parameter("file", default: "history.csv", "file name in the output folder")

    public func write(_ report: RunReport, to path: String) throws {
        try writeText(Self.csv(report.outcome.history, layers: report.network.layers.count), to: path)
    }

    static func csv(_ history: [EpochRecord], layers: Int) -> String {
        let hasValidationLoss = history.contains { $0.validationLoss != nil }
        let hasTrainAccuracy = history.contains { $0.trainAccuracy != nil }
        let hasValidationAccuracy = history.contains { $0.validationAccuracy != nil }
        let hasRegularization = history.contains { $0.regularization != nil }
        var header = ["epoch", "loss", "lr"]
        if hasValidationLoss { header.append("val_loss") }
        if hasTrainAccuracy { header.append("train_accuracy") }
        if hasValidationAccuracy { header.append("val_accuracy") }
        if hasRegularization { header.append("regularization") }
        header += (1...max(layers, 1)).map { "grad_norm_\($0)" }
        header += (1...max(layers, 1)).map { "grad_mean_abs_\($0)" }
        var out = header.joined(separator: ",") + "\n"
        func cell(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        for record in history {
            var row = [String(record.epoch), cell(record.loss), cell(record.learningRate)]
            if hasValidationLoss { row.append(cell(record.validationLoss)) }
            if hasTrainAccuracy { row.append(cell(record.trainAccuracy)) }
            if hasValidationAccuracy { row.append(cell(record.validationAccuracy)) }
            if hasRegularization { row.append(cell(record.regularization)) }
            row += record.gradientNorms.map(cell)
            row += record.gradientMeanAbs.map(cell)
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }
}

