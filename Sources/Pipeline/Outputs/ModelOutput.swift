import BackpropCore

/// `model.json`: the trained network, weights in the seed's orientation, full precision.
public struct ModelOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "model", summary: "model.json: inputs, per layer units, activation, weights[j][k] and bias; the data's feature names, classes and input normalisation",
        parameters: [file],
        example: "- type: model\n  file: model.json")
    public let file: String
    public init(_ arguments: PluginArguments) throws { file = try arguments.outputFile(Self.file) }
    static let file = Parameter("file", default: "model.json", "file name in the output folder")

    public func write(_ report: RunReport, to path: String) throws {
        try writeText(Self.json(report).serialized(), to: path)
    }

    /// The network plus what applying it to new raw data needs: the input columns in order, the
    /// normalisation x' = (x − shift) / scale fitted on the training part, and the class names
    /// (output unit k is class k).
    static func json(_ report: RunReport) -> JSON {
        guard case .object(var members) = json(report.network) else { return json(report.network) }
        let data = report.data
        members.append(("features", .array(data.featureNames.map(JSON.string))))
        if let normalization = data.normalization {
            members.append(("normalization", .object([
                ("method", .string(normalization.method.rawValue)),
                ("shift", .numbers(normalization.shift)),
                ("scale", .numbers(normalization.scale)),
            ])))
        }
        if let classes = data.task.classNames { members.append(("classes", .array(classes.map(JSON.string)))) }
        return .object(members)
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
