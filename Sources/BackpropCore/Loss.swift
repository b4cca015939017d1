/// A loss E(out, target) averaged over the samples (rows) of a batch.
///
/// Each operation is required once per precision; an implementation writes one generic method,
/// which satisfies both. The mean comes back as a Double (history and metrics are float64).
public protocol Loss: Sendable {
    /// The spec name, e.g. `half_squared_error`.
    var name: String { get }
    /// The mean loss of the batch, and ∂E/∂out written into `outGradient` (batch, outputs).
    ///
    /// `net` is the output layer's net input, for losses that are computed stably from it.
    func evaluate(net: MatrixOf<Double>, output: MatrixOf<Double>, target: MatrixOf<Double>,
                  outGradient: inout MatrixOf<Double>) -> Double
    func evaluate(net: MatrixOf<Float>, output: MatrixOf<Float>, target: MatrixOf<Float>,
                  outGradient: inout MatrixOf<Float>) -> Double
    /// The mean loss only (validation, final loss); no gradient.
    func value(net: MatrixOf<Double>, output: MatrixOf<Double>, target: MatrixOf<Double>) -> Double
    func value(net: MatrixOf<Float>, output: MatrixOf<Float>, target: MatrixOf<Float>) -> Double
}

/// A loss that, paired with a particular output activation, gives ∂E/∂net directly in a
/// numerically stable fused form (softmax + cross-entropy: ∂E/∂net = (softmax − t) / batch).
public protocol FusedOutputLoss: Loss {
    /// Whether this loss fuses with the output layer's activation.
    func fuses(with activation: any Activation) -> Bool
    /// The mean loss, and ∂E/∂net of the output layer written into `netGradient`.
    func evaluateFused(net: MatrixOf<Double>, output: MatrixOf<Double>, target: MatrixOf<Double>,
                       netGradient: inout MatrixOf<Double>) -> Double
    func evaluateFused(net: MatrixOf<Float>, output: MatrixOf<Float>, target: MatrixOf<Float>,
                       netGradient: inout MatrixOf<Float>) -> Double
    /// The mean loss only, computed stably from `net`.
    func valueFused(net: MatrixOf<Double>, output: MatrixOf<Double>, target: MatrixOf<Double>) -> Double
    func valueFused(net: MatrixOf<Float>, output: MatrixOf<Float>, target: MatrixOf<Float>) -> Double
}
