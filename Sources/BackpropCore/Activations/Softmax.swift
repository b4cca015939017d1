/// softmax over each row: outₖ = e^(netₖ − m) / Σⱼ e^(netⱼ − m), m = maxⱼ netⱼ (so no exp overflows).
///
/// Not elementwise: every output depends on every net of its row, so backward applies the row's
/// Jacobian ∂outₖ/∂netᵢ = outₖ(δₖᵢ − outᵢ):  ∂E/∂netᵢ = outᵢ·(∂E/∂outᵢ − Σₖ ∂E/∂outₖ·outₖ).
/// With `cross_entropy` the loss skips this and uses the fused form (softmax − t) / batch.
public struct Softmax: Activation {
    public init() {}
    public var name: String { "softmax" }

    public func forward<S: TrainingScalar>(_ net: MatrixOf<S>, into out: inout MatrixOf<S>) {
        out.resize(rows: net.rows, columns: net.columns)
        let width = net.columns
        net.storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeMutableBufferPointer { y in
                for r in 0..<net.rows {
                    let base = r * width
                    var m = -S.infinity
                    for k in 0..<width { m = max(m, x[base + k]) }
                    var sum: S = 0
                    for k in 0..<width {
                        let e = S.exp(x[base + k] - m)
                        y[base + k] = e
                        sum += e
                    }
                    let inverse = 1 / sum
                    for k in 0..<width { y[base + k] *= inverse }
                }
            }
        }
    }

    public func backward<S: TrainingScalar>(net: MatrixOf<S>, out: MatrixOf<S>, outGradient: MatrixOf<S>,
                                            into netGradient: inout MatrixOf<S>) {
        netGradient.resize(rows: net.rows, columns: net.columns)
        let width = net.columns
        out.storage.withUnsafeBufferPointer { y in
            outGradient.storage.withUnsafeBufferPointer { g in
                netGradient.storage.withUnsafeMutableBufferPointer { d in
                    for r in 0..<net.rows {
                        let base = r * width
                        var dot: S = 0
                        for k in 0..<width { dot += g[base + k] * y[base + k] }
                        for i in 0..<width { d[base + i] = y[base + i] * (g[base + i] - dot) }
                    }
                }
            }
        }
    }
}
