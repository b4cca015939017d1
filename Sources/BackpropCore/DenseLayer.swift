/// A fully connected layer over a batch of row vectors: net = x·W + b, out = f(net).
///
/// Weights keep the seed's orientation: `weights[j][k]` = w^l_jk, from unit j of layer l−1 to
/// unit k of layer l. Forward caches exactly what backward needs (x, net, out); backward turns
/// ∂E/∂out into ∂W, ∂b (accumulated) and ∂E/∂x. Buffers are kept between calls, so a loop over
/// equal-sized batches allocates nothing after the first.
public final class DenseLayer {
    public let inputCount: Int
    public let unitCount: Int
    public let activation: any Activation
    /// (in, out)
    public let weights: Parameter
    /// (1, out)
    public let bias: Parameter

    // Forward caches, (batch, in) / (batch, out) / (batch, out).
    public private(set) var input = Matrix(rows: 0, columns: 0)
    public private(set) var net = Matrix(rows: 0, columns: 0)
    public private(set) var output = Matrix(rows: 0, columns: 0)
    // Backward scratch, (batch, out) / (batch, in).
    private var netGradient = Matrix(rows: 0, columns: 0)
    private var inputGradient = Matrix(rows: 0, columns: 0)

    public init(index: Int, weights: Matrix, bias: [Double], activation: any Activation,
                trainWeights: Bool = true, trainBias: Bool = true) {
        precondition(bias.count == weights.columns, "bias length must equal the layer's units")
        self.inputCount = weights.rows
        self.unitCount = weights.columns
        self.activation = activation
        self.weights = Parameter(name: "W\(index)", value: weights, isTrainable: trainWeights)
        self.bias = Parameter(name: "b\(index)", value: Matrix(rows: 1, columns: bias.count, storage: bias),
                              isTrainable: trainBias)
    }

    /// (batch, in) -> (batch, out). Returns the cached output.
    @discardableResult
    public func forward(_ x: Matrix) -> Matrix {
        // A copy into the layer's own buffer: holding a reference to the layer below's output
        // would make that layer's next forward copy-on-write (an allocation per batch).
        input.assign(x)
        net.resize(rows: x.rows, columns: unitCount)
        // net = x·W, (batch, in) x (in, out) -> (batch, out); then net += b on every row.
        BLAS.gemm(x, weights.value, into: &net)
        let units = unitCount
        bias.value.storage.withUnsafeBufferPointer { b in
            net.storage.withUnsafeMutableBufferPointer { n in
                for r in 0..<x.rows {
                    let base = r * units
                    for k in 0..<units { n[base + k] += b[k] }
                }
            }
        }
        activation.forward(net, into: &output)
        return output
    }

    /// ∂E/∂out (batch, out) -> ∂E/∂x (batch, in); accumulates ∂E/∂W and ∂E/∂b.
    @discardableResult
    public func backward(outGradient: Matrix) -> Matrix {
        activation.backward(net: net, out: output, outGradient: outGradient, into: &netGradient)
        return backward(netGradient: netGradient)
    }

    /// The same from ∂E/∂net (batch, out), for fused output losses.
    @discardableResult
    public func backward(netGradient dNet: Matrix) -> Matrix {
        // ∂E/∂w_jk = Σ_batch x_j · ∂E/∂net_k: (in, batch) x (batch, out) -> (in, out), accumulated.
        BLAS.gemm(input, transposeA: true, dNet, into: &weights.gradient, beta: 1)
        // ∂E/∂b_k = Σ_batch ∂E/∂net_k.
        let units = unitCount
        dNet.storage.withUnsafeBufferPointer { d in
            bias.gradient.storage.withUnsafeMutableBufferPointer { g in
                for r in 0..<dNet.rows {
                    let base = r * units
                    for k in 0..<units { g[k] += d[base + k] }
                }
            }
        }
        // ∂E/∂x_j = Σ_k ∂E/∂net_k · w_jk: (batch, out) x (out, in) -> (batch, in).
        inputGradient.resize(rows: dNet.rows, columns: inputCount)
        BLAS.gemm(dNet, weights.value, transposeB: true, into: &inputGradient)
        return inputGradient
    }
}
