/// An activation function f applied to a layer's net input: out = f(net).
///
/// Forward and backward live together. `backward` turns ∂E/∂out into ∂E/∂net, given the cached
/// `net` and `out` of the forward pass, for a whole batch `(batch, units)` at once. Each
/// operation is required once per precision; an implementation writes one generic method
/// (`func forward<S: TrainingScalar>(...)`), which satisfies both and is specialised for each.
public protocol Activation: Sendable {
    /// The spec name, e.g. `sigmoid`; written to model.json.
    var name: String { get }
    /// Parameters worth recording beside the name (e.g. `alpha`), for model.json.
    var parameters: [String: Double] { get }
    /// out = f(net), (batch, units) -> (batch, units).
    func forward(_ net: MatrixOf<Double>, into out: inout MatrixOf<Double>)
    func forward(_ net: MatrixOf<Float>, into out: inout MatrixOf<Float>)
    /// net += b on every row (b is (1, units)), then out = f(net): the dense layer's last step
    /// of forward, in one pass over the batch where f is elementwise.
    func forward(net: inout MatrixOf<Double>, bias: MatrixOf<Double>, into out: inout MatrixOf<Double>)
    func forward(net: inout MatrixOf<Float>, bias: MatrixOf<Float>, into out: inout MatrixOf<Float>)
    /// ∂E/∂net from ∂E/∂out, (batch, units) each.
    func backward(net: MatrixOf<Double>, out: MatrixOf<Double>, outGradient: MatrixOf<Double>,
                  into netGradient: inout MatrixOf<Double>)
    func backward(net: MatrixOf<Float>, out: MatrixOf<Float>, outGradient: MatrixOf<Float>,
                  into netGradient: inout MatrixOf<Float>)
    /// Net values where f or one of its first derivatives jumps (relu's 0). Finite differences
    /// across such a point are meaningless, so the gradient check skips perturbations that
    /// move a unit's net across one.
    var kinks: [Double] { get }
}

/// An activation applied to each element on its own: f'(net) is all backward needs.
public protocol ElementwiseActivation: Activation {
    func value<S: TrainingScalar>(_ x: S) -> S
    /// f'(x), given y = f(x) so sigmoid and tanh can reuse it.
    func derivative<S: TrainingScalar>(x: S, y: S) -> S
}

extension Activation {
    public var parameters: [String: Double] { [:] }
    public var kinks: [Double] { [] }

    public func forward<S: TrainingScalar>(net: inout MatrixOf<S>, bias: MatrixOf<S>, into out: inout MatrixOf<S>) {
        let units = net.columns, rows = net.rows
        bias.storage.withUnsafeBufferPointer { b in
            net.storage.withUnsafeMutableBufferPointer { n in
                // Row pointers, not r·units + k: overflow-checked index arithmetic keeps a loop
                // from vectorising.
                for r in 0..<rows {
                    let row = n.baseAddress! + r * units
                    for k in 0..<units { row[k] += b[k] }
                }
            }
        }
        S.forward(self, net, into: &out)
    }
}

extension ElementwiseActivation {
    public func forward<S: TrainingScalar>(_ net: MatrixOf<S>, into out: inout MatrixOf<S>) {
        out.resize(rows: net.rows, columns: net.columns)
        net.storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeMutableBufferPointer { y in
                for i in x.indices { y[i] = value(x[i]) }
            }
        }
    }

    public func forward<S: TrainingScalar>(net: inout MatrixOf<S>, bias: MatrixOf<S>, into out: inout MatrixOf<S>) {
        out.resize(rows: net.rows, columns: net.columns)
        let units = net.columns, rows = net.rows
        bias.storage.withUnsafeBufferPointer { b in
            net.storage.withUnsafeMutableBufferPointer { x in
                out.storage.withUnsafeMutableBufferPointer { y in
                    for r in 0..<rows {
                        // Row pointers: see `Activation.forward(net:bias:into:)`.
                        let inputs = x.baseAddress! + r * units, outputs = y.baseAddress! + r * units
                        for k in 0..<units {
                            let v = inputs[k] + b[k]
                            inputs[k] = v
                            outputs[k] = value(v)
                        }
                    }
                }
            }
        }
    }

    public func backward<S: TrainingScalar>(net: MatrixOf<S>, out: MatrixOf<S>, outGradient: MatrixOf<S>,
                                            into netGradient: inout MatrixOf<S>) {
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
