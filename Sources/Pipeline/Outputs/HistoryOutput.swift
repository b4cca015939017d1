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

    /// Reads the history only.
    public var writesConcurrently: Bool { true }

    public func write(_ report: RunReport, to path: String) throws {
        try writeBytes(Self.csv(report.outcome.history, layers: report.network.layers.count), to: path)
    }

    /// history.csv's UTF-8 bytes.
    static func csv(_ history: EpochHistory, layers: Int) -> [UInt8] {
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
        // as joined Strings, most of them building and freeing the row arrays, and 84 million
        // with a String per number (`description`), half of them allocating and freeing it.
        var out = CSVBytes()
        out.bytes.reserveCapacity(64 + history.count * (12 + 24 * (2 * layers + 2)))
        func cell(_ x: Double?) {
            out.bytes.append(UInt8(ascii: ","))
            if let x { out.append(x) }
        }
        out.write(header.joined(separator: ","))
        out.bytes.append(UInt8(ascii: "\n"))
        for row in history.indices {
            let record = history.summary(row)
            out.append(record.epoch)
            cell(record.loss)
            cell(record.learningRate)
            if hasValidationLoss { cell(record.validationLoss) }
            if hasTrainAccuracy { cell(record.trainAccuracy) }
            if hasValidationAccuracy { cell(record.validationAccuracy) }
            if hasRegularization { cell(record.regularization) }
            for x in history.gradientNorms(row) { cell(x) }
            for x in history.gradientMeanAbs(row) { cell(x) }
            out.bytes.append(UInt8(ascii: "\n"))
        }
        return out.bytes
    }
}

/// A byte buffer numbers are written into as their `description` reads, without a String
/// between: the standard library hands a finite Double's digits to `_writeASCII`.
struct CSVBytes: TextOutputStream {
    var bytes: [UInt8] = []

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }

    /// `x.description`'s characters. `write(to:)` spells a NaN as `debugDescription` does (with
    /// its payload), so NaN and the infinities go through `description`.
    mutating func append(_ x: Double) {
        if x.isFinite { x.write(to: &self) } else { write(x.description) }
    }

    /// `n.description`'s characters (an epoch's digits fit a String's inline storage: no allocation).
    mutating func append(_ n: Int) {
        write(String(n))
    }
}

