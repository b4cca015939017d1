/// A float64 parameter.
public typealias Parameter = ParameterOf<Double>

/// One trainable tensor (a layer's weights or bias) with its accumulated gradient.
///
/// A reference type so that the layer, the optimizer and the trainer see the same buffers
/// without copying; gradients accumulate (`+=`) in backward and are zeroed as a separate step.
public final class ParameterOf<Scalar: TrainingScalar> {
    /// "W1", "b1", ...: layer numbers are 1-based, as in the seed's w^l_jk.
    public let name: String
    public let rows: Int
    public let columns: Int
    /// Row-major values, (rows, columns); a bias is (1, units).
    public var value: MatrixOf<Scalar>
    /// ∂E/∂value, same shape, accumulated over backward calls until `zeroGradient()`.
    public var gradient: MatrixOf<Scalar>
    /// False when the spec freezes it (`train_bias: false`, `trainable: false`).
    public var isTrainable: Bool

    public init(name: String, value: MatrixOf<Scalar>, isTrainable: Bool = true) {
        self.name = name
        self.rows = value.rows
        self.columns = value.columns
        self.value = value
        self.gradient = MatrixOf(rows: value.rows, columns: value.columns)
        self.isTrainable = isTrainable
    }

    public func zeroGradient() { gradient.fill(0) }
}
