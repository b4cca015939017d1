import BackpropCore

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
