import BackpropCore

/// Weight initialiser plugins (`network.init`, or `init` per layer): distributions with PyTorch's
/// formulas (for a weight matrix (in, out): fan_in = in, fan_out = out; biases start at zero), and
/// `from_model`, which takes a trained model's layers whole (FromModel.swift).
extension Registry {
    public static let initializers = PluginFamily<LayerStart>(.initializer, noun: "initializer", [
        Plugin(StageDescription(
            name: "zeros", summary: "every weight 0", example: "init: zeros")) { _ in .drawn(ConstantInitializer(0, name: "zeros")) },
        Plugin(StageDescription(
            name: "constant", summary: "every weight the same value",
            parameters: [InitializerKeys.value],
            example: "init: {type: constant, value: 0.5}")) { arguments in
            .drawn(ConstantInitializer(try arguments.read(InitializerKeys.value)))
        },
        Plugin(StageDescription(
            name: "uniform", summary: "U(low, high)",
            parameters: [InitializerKeys.low, InitializerKeys.high],
            example: "init: {type: uniform, low: -0.1, high: 0.1}")) { arguments in
            let low = try arguments.read(InitializerKeys.low)
            let high = try arguments.read(InitializerKeys.high)
            guard high > low else {
                throw (arguments.optional("high") ?? arguments.node).error("'high' of uniform must be greater than 'low' (\(low.specText)), found \(high.specText)")
            }
            return .drawn(UniformInitializer(low: low, high: high))
        },
        Plugin(StageDescription(
            name: "normal", summary: "N(mean, std²)",
            parameters: [InitializerKeys.mean, InitializerKeys.std],
            example: "init: {type: normal, mean: 0, std: 0.1}")) { arguments in
            .drawn(NormalInitializer(mean: try arguments.read(InitializerKeys.mean),
                                     standardDeviation: try arguments.read(InitializerKeys.std)))
        },
        Plugin(StageDescription(
            name: "xavier_uniform", summary: "U(−a, a), a = gain·√(6/(fan_in + fan_out)) (PyTorch's xavier_uniform_)",
            parameters: [InitializerKeys.uniformGain],
            example: "init: {type: xavier_uniform, gain: 1}")) { arguments in
            .drawn(XavierUniform(gain: try arguments.read(InitializerKeys.uniformGain)))
        },
        Plugin(StageDescription(
            name: "xavier_normal", summary: "N(0, σ²), σ = gain·√(2/(fan_in + fan_out)) (PyTorch's xavier_normal_)",
            parameters: [InitializerKeys.normalGain],
            example: "init: xavier_normal")) { arguments in
            .drawn(XavierNormal(gain: try arguments.read(InitializerKeys.normalGain)))
        },
        Plugin(StageDescription(
            name: "he_uniform", aliases: ["kaiming_uniform"],
            summary: "U(−b, b), b = √(6/fan) (PyTorch's kaiming_uniform_, nonlinearity relu)",
            parameters: [InitializerKeys.mode],
            example: "init: he_uniform")) { arguments in
            .drawn(HeUniform(mode: try arguments.read(InitializerKeys.mode)))
        },
        Plugin(StageDescription(
            name: "he_normal", aliases: ["kaiming_normal"],
            summary: "N(0, σ²), σ = √(2/fan) (PyTorch's kaiming_normal_, nonlinearity relu)",
            parameters: [InitializerKeys.mode],
            example: "init: he_normal")) { arguments in
            .drawn(HeNormal(mode: try arguments.read(InitializerKeys.mode)))
        },
        Plugin(StageDescription(
            name: "lecun_normal", summary: "N(0, σ²), σ = √(1/fan_in) (for selu)",
            example: "init: lecun_normal")) { _ in .drawn(LeCunNormal()) },
        Plugin(FromModel.description) { arguments in .fromModel(try FromModel(arguments)) },
    ])

    /// The initialisers' keys, each declared once for its builder and `bp-pipeline plugins`.
    enum InitializerKeys {
        static let value = Parameter<Double>.required("value", "the weight")
        static let low = Parameter("low", default: 0.0, "lower bound")
        static let high = Parameter("high", default: 1.0, "upper bound, greater than low")
        static let mean = Parameter("mean", default: 0.0, "mean")
        static let std = Parameter("std", default: 1.0, range: .positive, "standard deviation")
        static let uniformGain = Parameter("gain", default: 1.0, range: .positive, "scales the bound")
        static let normalGain = Parameter("gain", default: 1.0, range: .positive, "scales σ")
        static let mode = Parameter("mode", default: FanMode.fanIn, "the fan the variance is computed from")
    }
}

extension FanMode: ParameterChoice {}
