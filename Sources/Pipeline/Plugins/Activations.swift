import BackpropCore

/// Activation plugins: the maths lives in BackpropCore/Activations, one file each.
extension Registry {
    public static let activations = PluginFamily<any Activation>(.activation, noun: "activation", [
        Plugin(StageDescription(
            name: "sigmoid", summary: "σ(x) = 1/(1+e^−x); σ' = σ(1−σ) ≤ 1/4, the seed's vanishing factor",
            example: "activation: sigmoid")) { _ in Sigmoid() },
        Plugin(StageDescription(
            name: "tanh", summary: "tanh(x); tanh' = 1 − tanh²", example: "activation: tanh")) { _ in Tanh() },
        Plugin(StageDescription(
            name: "relu", summary: "max(0, x); derivative 1 for x > 0, else 0", example: "activation: relu")) { _ in ReLU() },
        Plugin(StageDescription(
            name: "linear", aliases: ["identity"], summary: "the identity, f(x) = x",
            example: "activation: linear")) { _ in Linear() },
    ])
}
