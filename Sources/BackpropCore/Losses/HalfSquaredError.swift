/// The seed's E_total: E = Σₖ ½(targetₖ − outₖ)² per sample, averaged over the batch.
///
/// ∂E/∂outₖ = (outₖ − targetₖ) / batch.
public struct HalfSquaredError: Loss {
    public init() {}
    public var name: String { "half_squared_error" }

    public func evaluate(net: Matrix, output: Matrix, target: Matrix, outGradient: inout Matrix) -> Double {
        outGradient.resize(rows: output.rows, columns: output.columns)
        let scale = 1 / Double(max(output.rows, 1))
        var total = 0.0
        output.storage.withUnsafeBufferPointer { o in
            target.storage.withUnsafeBufferPointer { t in
                outGradient.storage.withUnsafeMutableBufferPointer { g in
                    for i in o.indices {
                        let d = o[i] - t[i]
                        total += 0.5 * d * d
                        g[i] = d * scale
                    }
                }
            }
        }
        return total * scale
    }

    public func value(net: Matrix, output: Matrix, target: Matrix) -> Double {
        var total = 0.0
        for i in output.storage.indices {
            let d = output.storage[i] - target.storage[i]
            total += 0.5 * d * d
        }
        return total / Double(max(output.rows, 1))
    }
}
