/// An activation function f applied to a layer's net input: out = f(net).
///
/// Forward and backward live together. `backward` turns ∂E/∂out into ∂E/∂net, given the cached
/// `net` and `out` of the forward pass, for a whole batch `(batch, units)` at once.
public protocol Activation: Sendable {
    /// The spec name, e.g. `sigmoid`; written to model.json.
    var name: String { get }
    /// Parameters worth recording beside the name (e.g. `alpha`), for model.json.
    var parameters: [String: Double] { get }
    /// out = f(net), (batch, units) -> (batch, units).
    func forward(_ net: Matrix, into out: inout Matrix)
    /// net += b on every row (b is (1, units)), then out = f(net): the dense layer's last step
    /// of forward, in one pass over the batch where f is elementwise.
    func forward(net: inout Matrix, bias: Matrix, into out: inout Matrix)
    /// ∂E/∂net from ∂E/∂out, (batch, units) each.
    func backward(net: Matrix, out: Matrix, outGradient: Matrix, into netGradient: inout Matrix)
    /// Net values where f or one of its first derivatives jumps (relu's 0). Finite differences
    /// across such a point are meaningless, so the gradient check skips perturbations that
    /// move a unit's net across one.
    var kinks: [Double] { get }
}

/// An activation applied to each element on its own: f'(net) is all backward needs.
public protocol ElementwiseActivation: Activation {
    func value(_ x: Double) -> Double
    /// f'(x), given y = f(x) so sigmoid and tanh can reuse it.
    func derivative(x: Double, y: Double) -> Double
}

extension Activation {
    public var parameters: [String: Double] { [:] }
    public var kinks: [Double] { [] }

    public func forward(net: inout Matrix, bias: Matrix, into out: inout Matrix) {
        let units = net.columns, rows = net.rows
        bias.storage.withUnsafeBufferPointer { b in
            net.storage.withUnsafeMutableBufferPointer { n in
                for r in 0..<rows {
                    for k in 0..<units { n[r * units + k] += b[k] }
                }
            }
        }
        forward(net, into: &out)
    }
}

extension ElementwiseActivation {
    public func forward(_ net: Matrix, into out: inout Matrix) {
        out.resize(rows: net.rows, columns: net.columns)
        net.storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeMutableBufferPointer { y in
                for i in x.indices { y[i] = value(x[i]) }
            }
        }
    }

    public func forward(net: inout Matrix, bias: Matrix, into out: inout Matrix) {
        out.resize(rows: net.rows, columns: net.columns)
        let units = net.columns, rows = net.rows
        bias.storage.withUnsafeBufferPointer { b in
            net.storage.withUnsafeMutableBufferPointer { x in
                out.storage.withUnsafeMutableBufferPointer { y in
                    for r in 0..<rows {
                        for k in 0..<units {
                            let v = x[r * units + k] + b[k]
                            x[r * units + k] = v
                            y[r * units + k] = value(v)
                        }
                    }
                }
            }
        }
    }

    public func backward(net: Matrix, out: Matrix, outGradient: Matrix, into netGradient: inout Matrix) {
        netGradient.resize(rows: net.rows, columns: net.columns)
        net.storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeBufferPointer { y in
                outGradient.storage.withUnsafeBufferPointer { g in
                    netGradient.storage.withUnsafeMutableBufferPointer { d in
                        // ∂E/∂net = ∂E/∂out · f'(net): the one extra factor each layer multiplies in.
                        for i in x.indices { d[i] = g[i] * derivative(x: x[i], y: y[i]) }
                    }
                }
            }
        }
    }
}
