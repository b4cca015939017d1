/// softmax over each row: outₖ = e^(netₖ − m) / Σⱼ e^(netⱼ − m), m = maxⱼ netⱼ (so no exp overflows).
///
/// Not elementwise: every output depends on every net of its row, so backward applies the row's
/// Jacobian ∂outₖ/∂netᵢ = outₖ(δₖᵢ − outᵢ):  ∂E/∂netᵢ = outᵢ·(∂E/∂outᵢ − Σₖ ∂E/∂outₖ·outₖ).
/// With `cross_entropy` the loss skips this and uses the fused form (softmax − t) / batch.
public struct Softmax: Activation {
    public init() {}
    public var name: String { "softmax" }

    public func forward(_ net: Matrix, into out: inout Matrix) {
        out.resize(rows: net.rows, columns: net.columns)
        let width = net.columns
        net.storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeMutableBufferPointer { y in
                for r in 0..<net.rows {
                    let base = r * width
                    var m = -Double.infinity
                    for k in 0..<width { m = max(m, x[base + k]) }
                    var sum = 0.0
                    for k in 0..<width {
                        let e = _exp(x[base + k] - m)
                        y[base + k] = e
                        sum += e
                    }
                    let inverse = 1 / sum
                    for k in 0..<width { y[base + k] *= inverse }
                }
            }
        }
    }

    public func backward(net: Matrix, out: Matrix, outGradient: Matrix, into netGradient: inout Matrix) {
        netGradient.resize(rows: net.rows, columns: net.columns)
        let width = net.columns
        out.storage.withUnsafeBufferPointer { y in
            outGradient.storage.withUnsafeBufferPointer { g in
                netGradient.storage.withUnsafeMutableBufferPointer { d in
                    for r in 0..<net.rows {
                        let base = r * width
                        var dot = 0.0
                        for k in 0..<width { dot += g[base + k] * y[base + k] }
                        for i in 0..<width { d[base + i] = y[base + i] * (g[base + i] - dot) }
                    }
                }
            }
        }
    }
}
