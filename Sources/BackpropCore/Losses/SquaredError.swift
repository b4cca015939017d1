/// Σ (outᵢ − targetᵢ)² over every element, and gradientScale·(outᵢ − targetᵢ) written into
/// `gradient`: the shared arithmetic of `half_squared_error` and `mse`, which differ only in scale.
func squaredErrorSum<S: TrainingScalar>(_ output: MatrixOf<S>, _ target: MatrixOf<S>, gradientScale: S,
                                         into gradient: inout MatrixOf<S>) -> S {
    gradient.resize(rows: output.rows, columns: output.columns)
    var total: S = 0
    output.storage.withUnsafeBufferPointer { o in
        target.storage.withUnsafeBufferPointer { t in
            gradient.storage.withUnsafeMutableBufferPointer { g in
                for i in o.indices {
                    let d = o[i] - t[i]
                    total += d * d
                    g[i] = gradientScale * d
                }
            }
        }
    }
    return total
}

/// Σ (outᵢ − targetᵢ)² over every element, without a gradient.
func squaredErrorSum<S: TrainingScalar>(_ output: MatrixOf<S>, _ target: MatrixOf<S>) -> S {
    var total: S = 0
    output.storage.withUnsafeBufferPointer { o in
        target.storage.withUnsafeBufferPointer { t in
            for i in o.indices {
                let d = o[i] - t[i]
                total += d * d
            }
        }
    }
    return total
}
