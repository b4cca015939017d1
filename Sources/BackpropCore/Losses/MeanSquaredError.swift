/// PyTorch's MSELoss: E = (1 / (batch·outputs)) · Σ (outₖ − targetₖ)², the mean over every
/// output of every sample; ∂E/∂outₖ = 2·(outₖ − targetₖ) / (batch·outputs).
public struct MeanSquaredError: Loss {
    public init() {}
    public var name: String { "mse" }

    public func evaluate<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>, outGradient: inout MatrixOf<S>) -> Double {
        let count = S(max(output.storage.count, 1))
        return Double(squaredErrorSum(output, target, gradientScale: 2 / count, into: &outGradient) / count)
    }

    public func value<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>) -> Double {
        Double(squaredErrorSum(output, target) / S(max(output.storage.count, 1)))
    }
}
