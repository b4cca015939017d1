/// The seed's E_total: E = Σₖ ½(targetₖ − outₖ)² per sample, averaged over the batch.
///
/// ∂E/∂outₖ = (outₖ − targetₖ) / batch.
public struct HalfSquaredError: Loss {
    public init() {}
    public var name: String { "half_squared_error" }

    public func evaluate<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>, outGradient: inout MatrixOf<S>) -> Double {
        let batch = S(max(output.rows, 1))
        return Double(0.5 * squaredErrorSum(output, target, gradientScale: 1 / batch, into: &outGradient) / batch)
    }

    public func value<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>) -> Double {
        Double(0.5 * squaredErrorSum(output, target) / S(max(output.rows, 1)))
    }
}
