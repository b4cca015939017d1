/// The seed's E_total: E = Σₖ ½(targetₖ − outₖ)² per sample, averaged over the batch.
///
/// ∂E/∂outₖ = (outₖ − targetₖ) / batch.
public struct HalfSquaredError: Loss {
    public init() {}
    public var name: String { "half_squared_error" }

    public func evaluate(net: Matrix, output: Matrix, target: Matrix, outGradient: inout Matrix) -> Double {
        let batch = Double(max(output.rows, 1))
        return 0.5 * squaredErrorSum(output, target, gradientScale: 1 / batch, into: &outGradient) / batch
    }

    public func value(net: Matrix, output: Matrix, target: Matrix) -> Double {
        0.5 * squaredErrorSum(output, target) / Double(max(output.rows, 1))
    }
}
