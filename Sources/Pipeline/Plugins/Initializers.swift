import BackpropCore

/// Weight initialiser plugins (`network.init`, or `init` per layer), with PyTorch's formulas.
/// For a weight matrix (in, out): fan_in = in, fan_out = out. Biases start at zero.
extension Registry {
    public static let initializers = PluginFamily<any Initializer>(.initializer, noun: "initializer", [
        Plugin(StageDescription(
            name: "zeros", summary: "every weight 0", example: "init: zeros")) { _ in ConstantInitializer(0, name: "zeros") },
        Plugin(StageDescription(
            name: "constant", summary: "every weight the same value",
            parameters: [ParameterDescription("value", "number", "the weight")],
            example: "init: {type: constant, value: 0.5}")) { arguments in
            ConstantInitializer(try arguments.requiredNumber("value"))
        },
        Plugin(StageDescription(
            name: "uniform", summary: "U(low, high)",
            parameters: [ParameterDescription("low", "number", default: "0", "lower bound"),
                         ParameterDescription("high", "number", default: "1", "upper bound (> low)")],
            example: "init: {type: uniform, low: -0.1, high: 0.1}")) { arguments in
            let low = try arguments.number("low", default: 0)
            let high = try arguments.number("high", default: 1, .greaterThan(low))
            return UniformInitializer(low: low, high: high)
        },
        Plugin(StageDescription(
            name: "normal", summary: "N(mean, std²)",
            parameters: [ParameterDescription("mean", "number", default: "0", "mean"),
                         ParameterDescription("std", "number", default: "1", "standard deviation (> 0)")],
            example: "init: {type: normal, mean: 0, std: 0.1}")) { arguments in
            NormalInitializer(mean: try arguments.number("mean", default: 0),
                              standardDeviation: try arguments.number("std", default: 1, .positive))
        },
        Plugin(StageDescription(
            name: "xavier_uniform", summary: "U(−a, a), a = gain·√(6/(fan_in + fan_out)) (PyTorch's xavier_uniform_)",
            parameters: [ParameterDescription("gain", "number", default: "1", "scales the bound")],
            example: "init: {type: xavier_uniform, gain: 1}")) { arguments in
            XavierUniform(gain: try arguments.number("gain", default: 1, .positive))
        },
        Plugin(StageDescription(
            name: "xavier_normal", summary: "N(0, σ²), σ = gain·√(2/(fan_in + fan_out)) (PyTorch's xavier_normal_)",
            parameters: [ParameterDescription("gain", "number", default: "1", "scales σ")],
            example: "init: xavier_normal")) { arguments in
            XavierNormal(gain: try arguments.number("gain", default: 1, .positive))
        },
        Plugin(StageDescription(
            name: "he_uniform", aliases: ["kaiming_uniform"],
            summary: "U(−b, b), b = √(6/fan) (PyTorch's kaiming_uniform_, nonlinearity relu)",
            parameters: [ParameterDescription("mode", "string", default: "fan_in", "fan_in or fan_out")],
            example: "init: he_uniform")) { arguments in
            HeUniform(mode: try fanMode(arguments))
        },
        Plugin(StageDescription(
            name: "he_normal", aliases: ["kaiming_normal"],
            summary: "N(0, σ²), σ = √(2/fan) (PyTorch's kaiming_normal_, nonlinearity relu)",
            parameters: [ParameterDescription("mode", "string", default: "fan_in", "fan_in or fan_out")],
            example: "init: he_normal")) { arguments in
            HeNormal(mode: try fanMode(arguments))
        },
        Plugin(StageDescription(
            name: "lecun_normal", summary: "N(0, σ²), σ = √(1/fan_in) (for selu)",
            example: "init: lecun_normal")) { _ in LeCunNormal() },
    ])

    static func fanMode(_ arguments: PluginArguments) throws -> FanMode {
        let word = try arguments.choice("mode", FanMode.allCases.map(\.rawValue), default: "fan_in")
        return FanMode(rawValue: word) ?? .fanIn
    }
}
