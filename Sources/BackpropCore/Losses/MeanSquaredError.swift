/// PyTorch's MSELoss: E = (1 / (batch·outputs)) · Σ (outₖ − targetₖ)², the mean over every
/// output of every sample; ∂E/∂outₖ = 2·(outₖ − targetₖ) / (batch·outputs).
public struct MeanSquaredError: Loss {
    public init() {}
    public var name: String { "mse" }

    public func evaluate(net: Matrix, output: Matrix, target: Matrix, outGradient: inout Matrix) -> Double {
        outGradient.resize(rows: output.rows, columns: output.columns)
        let count = Double(max(output.storage.count, 1))
        let scale = 2 / count
        var total = 0.0
        output.storage.withUnsafeBufferPointer { o in
            target.storage.withUnsafeBufferPointer { t in
                outGradient.storage.withUnsafeMutableBufferPointer { g in
                    for i in o.indices {
                        let d = o[i] - t[i]
                        total += d * d
                        g[i] = scale * d
                    }
                }
            }
        }
        return total / count
    }

    public func value(net: Matrix, output: Matrix, target: Matrix) -> Double {
        var total = 0.0
        output.storage.withUnsafeBufferPointer { o in
            target.storage.withUnsafeBufferPointer { t in
                for i in o.indices {
                    let d = o[i] - t[i]
                    total += d * d
                }
            }
        }
        return total / Double(max(output.storage.count, 1))
    }
}
