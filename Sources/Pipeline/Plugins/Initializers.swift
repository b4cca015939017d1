import BackpropCore

/// Weight initialiser plugins (`network.init`, or `init` per layer).
extension Registry {
    public static let initializers = PluginFamily<any Initializer>(.initializer, noun: "initializer", [
        Plugin(StageDescription(
            name: "xavier_uniform", summary: "U(−a, a), a = gain·√(6/(fan_in + fan_out)) (PyTorch's xavier_uniform_)",
            parameters: [ParameterDescription("gain", "number", default: "1", "scales the bound")],
            example: "init: {type: xavier_uniform, gain: 1}")) { arguments in
            XavierUniform(gain: try arguments.number("gain", default: 1, .positive))
        },
    ])
}
