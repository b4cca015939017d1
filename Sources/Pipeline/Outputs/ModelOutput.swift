import BackpropCore

/// `model.json`: the trained network and what applying it needs (format 2, see `TrainedModel`).
public struct ModelOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "model", summary: "model.json (format 2): task, inputs, per layer units, activation and its parameters, weights[j][k] and bias; feature names, classes or targets, input normalisation, loss and precision",
        parameters: [file],
        example: "- type: model\n  file: model.json")
    public let file: String
    public init(_ arguments: PluginArguments) throws { file = try arguments.outputFile(Self.file) }
    static let file = Parameter("file", default: "model.json", "file name in the output folder")

    public func write(_ report: RunReport, to path: String) throws {
        try writeText(TrainedModel(report).json.serialized(), to: path)
    }
}
