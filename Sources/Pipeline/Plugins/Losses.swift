import BackpropCore

/// Loss plugins: the maths lives in BackpropCore/Losses.
extension Registry {
    public static let losses = PluginFamily<any Loss>(.loss, noun: "loss", [
        Plugin(StageDescription(
            name: "half_squared_error",
            summary: "E = Σₖ ½(targetₖ − outₖ)² per sample, averaged over the batch (the seed's E_total)",
            example: "loss:\n  type: half_squared_error")) { _ in HalfSquaredError() },
    ])
}
