/// A loss E(out, target) averaged over the samples (rows) of a batch.
public protocol Loss: Sendable {
    /// The spec name, e.g. `half_squared_error`.
    var name: String { get }
    /// The mean loss of the batch, and ∂E/∂out written into `outGradient` (batch, outputs).
    ///
    /// `net` is the output layer's net input, for losses that are computed stably from it.
    func evaluate(net: Matrix, output: Matrix, target: Matrix, outGradient: inout Matrix) -> Double
    /// The mean loss only (validation, final loss); no gradient.
    func value(net: Matrix, output: Matrix, target: Matrix) -> Double
}

/// A loss that, paired with a particular output activation, gives ∂E/∂net directly in a
/// numerically stable fused form (softmax + cross-entropy: ∂E/∂net = (softmax − t) / batch).
public protocol FusedOutputLoss: Loss {
    /// Whether this loss fuses with the output layer's activation.
    func fuses(with activation: any Activation) -> Bool
    /// The mean loss, and ∂E/∂net of the output layer written into `netGradient`.
    func evaluateFused(net: Matrix, output: Matrix, target: Matrix, netGradient: inout Matrix) -> Double
    /// The mean loss only, computed stably from `net`.
    func valueFused(net: Matrix, output: Matrix, target: Matrix) -> Double
}
