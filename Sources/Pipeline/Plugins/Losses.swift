import BackpropCore

/// Loss plugins: the maths lives in BackpropCore/Losses. Every loss is averaged over the
/// samples of a batch.
extension Registry {
    public static let losses = PluginFamily<any Loss>(.loss, noun: "loss", [
        Plugin(StageDescription(
            name: "half_squared_error",
            summary: "E = Σₖ ½(targetₖ − outₖ)² per sample, averaged over the batch (the seed's E_total)",
            example: "loss:\n  type: half_squared_error")) { _ in HalfSquaredError() },
        Plugin(StageDescription(
            name: "mse", summary: "mean over outputs and samples of (outₖ − targetₖ)², as PyTorch's MSELoss",
            example: "loss: mse")) { _ in MeanSquaredError() },
        Plugin(StageDescription(
            name: "cross_entropy",
            summary: "mean over samples of −Σₖ tₖ·ln outₖ (targets one-hot or probabilities); with softmax fused: logsumexp(net) − Σ t·net",
            example: "loss: cross_entropy")) { _ in CrossEntropy() },
        Plugin(StageDescription(
            name: "binary_cross_entropy",
            summary: "mean over outputs and samples of −[t·ln out + (1−t)·ln(1−out)]; with sigmoid from net: max(x,0) − x·t + ln(1+e^−|x|)",
            example: "loss: binary_cross_entropy")) { _ in BinaryCrossEntropy() },
    ])
}
