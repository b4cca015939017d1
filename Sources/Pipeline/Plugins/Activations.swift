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
            name: "leaky_relu", summary: "x for x > 0, else α·x; derivative 1 or α",
            parameters: [ActivationKeys.leakyAlpha],
            example: "activation: {type: leaky_relu, alpha: 0.1}")) { arguments in
            LeakyReLU(alpha: try arguments.read(ActivationKeys.leakyAlpha))
        },
        Plugin(StageDescription(
            name: "elu", summary: "x for x > 0, else α·(eˣ − 1); derivative 1 or α·eˣ",
            parameters: [ActivationKeys.eluAlpha],
            example: "activation: {type: elu, alpha: 1}")) { arguments in
            ELU(alpha: try arguments.read(ActivationKeys.eluAlpha))
        },
        Plugin(StageDescription(
            name: "selu", summary: "λ·x for x > 0, else λ·α·(eˣ − 1), α ≈ 1.6733, λ ≈ 1.0507 (self-normalising)",
            example: "activation: selu")) { _ in SELU() },
        Plugin(StageDescription(
            name: "softplus", summary: "ln(1 + eˣ), computed stably; derivative σ(x)",
            example: "activation: softplus")) { _ in Softplus() },
        Plugin(StageDescription(
            name: "gelu", summary: "x·Φ(x) = ½x(1 + erf(x/√2)), the exact form; derivative Φ(x) + x·φ(x)",
            example: "activation: gelu")) { _ in GELU() },
        Plugin(StageDescription(
            name: "swish", aliases: ["silu"], summary: "x·σ(x); derivative σ(x)(1 + x(1 − σ(x)))",
            example: "activation: swish")) { _ in Swish() },
        Plugin(StageDescription(
            name: "linear", aliases: ["identity"], summary: "the identity, f(x) = x",
            example: "activation: linear")) { _ in Linear() },
        Plugin(StageDescription(
            name: "softmax", summary: "row-wise e^netₖ / Σⱼ e^netⱼ (output layer); fused with cross_entropy into the stable form",
            example: "activation: softmax")) { _ in Softmax() },
    ])

    /// The activations' keys, each declared once for its builder and `bp-pipeline plugins`.
    enum ActivationKeys {
        static let leakyAlpha = Parameter("alpha", default: 0.01, range: .nonNegative, "slope for x ≤ 0")
        static let eluAlpha = Parameter("alpha", default: 1.0, range: .positive, "scale of the negative part")
    }
}
