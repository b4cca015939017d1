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

    static func csv(_ history: EpochHistory, layers: Int) -> String {
        let hasValidationLoss = history.hasValidationLoss
        let hasTrainAccuracy = history.hasTrainAccuracy
        let hasValidationAccuracy = history.hasValidationAccuracy
        let hasRegularization = history.hasRegularization
        var header = ["epoch", "loss", "lr"]
        if hasValidationLoss { header.append("val_loss") }
        if hasTrainAccuracy { header.append("train_accuracy") }
        if hasValidationAccuracy { header.append("val_accuracy") }
        if hasRegularization { header.append("regularization") }
        header += (1...max(layers, 1)).map { "grad_norm_\($0)" }
        header += (1...max(layers, 1)).map { "grad_mean_abs_\($0)" }
        // Bytes appended to one buffer: the seed's 10,000 rows took 176 million instructions
        // as joined Strings, most of them building and freeing the row arrays.
        var out = [UInt8]()
        out.reserveCapacity(64 + history.count * (12 + 24 * (2 * layers + 2)))
        func append(_ text: String) {
            var text = text
            text.withUTF8 { out.append(contentsOf: $0) }
        }
        func cell(_ x: Double?) {
            out.append(UInt8(ascii: ","))
            if let x { append(x.description) }
        }
        append(header.joined(separator: ","))
        out.append(UInt8(ascii: "\n"))
        for row in history.indices {
            let record = history.summary(row)
            append(String(record.epoch))
            cell(record.loss)
            cell(record.learningRate)
            if hasValidationLoss { cell(record.validationLoss) }
            if hasTrainAccuracy { cell(record.trainAccuracy) }
            if hasValidationAccuracy { cell(record.validationAccuracy) }
            if hasRegularization { cell(record.regularization) }
            for x in history.gradientNorms(row) { cell(x) }
            for x in history.gradientMeanAbs(row) { cell(x) }
            out.append(UInt8(ascii: "\n"))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

