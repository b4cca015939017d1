/// PyTorch's MSELoss: E = (1 / (batch·outputs)) · Σ (outₖ − targetₖ)², the mean over every
/// output of every sample; ∂E/∂outₖ = 2·(outₖ − targetₖ) / (batch·outputs).
public struct MeanSquaredError: Loss {
    public init() {}
    public var name: String { "mse" }

    public func evaluate(net: Matrix, output: Matrix, target: Matrix, outGradient: inout Matrix) -> Double {
        let count = Double(max(output.storage.count, 1))
        return squaredErrorSum(output, target, gradientScale: 2 / count, into: &outGradient) / count
    }

    public func value(net: Matrix, output: Matrix, target: Matrix) -> Double {
        squaredErrorSum(output, target) / Double(max(output.storage.count, 1))
    }
}
