/// A float64 dense layer.
public typealias DenseLayer = DenseLayerOf<Double>

/// A fully connected layer over a batch of row vectors: net = x·W + b, out = f(net).
///
/// Weights keep the seed's orientation: `weights[j][k]` = w^l_jk, from unit j of layer l−1 to
/// unit k of layer l. Forward caches what backward needs of its own (net, out); the input x is
/// the layer below's output (or the batch), which the network hands to backward again rather
/// than the layer copying it. Backward turns ∂E/∂out into ∂W, ∂b and, when the layer below
/// needs it, ∂E/∂x. Buffers are kept between calls, so a loop over equal-sized batches
/// allocates nothing after the first.
public final class DenseLayerOf<Scalar: TrainingScalar> {
    public let inputCount: Int
    public let unitCount: Int
    public let activation: any Activation
    /// (in, out)
    public let weights: ParameterOf<Scalar>
    /// (1, out)
    public let bias: ParameterOf<Scalar>

    // Forward caches, (batch, out) each.
    public private(set) var net = MatrixOf<Scalar>(rows: 0, columns: 0)
    public private(set) var output = MatrixOf<Scalar>(rows: 0, columns: 0)
    // Backward results, (batch, out) / (batch, in); the second only when asked for.
    public private(set) var netGradient = MatrixOf<Scalar>(rows: 0, columns: 0)
    public private(set) var inputGradient = MatrixOf<Scalar>(rows: 0, columns: 0)

    public init(index: Int, weights: MatrixOf<Scalar>, bias: [Scalar], activation: any Activation,
                trainWeights: Bool = true, trainBias: Bool = true) {
        precondition(bias.count == weights.columns, "bias length must equal the layer's units")
        self.inputCount = weights.rows
        self.unitCount = weights.columns
        self.activation = activation
        self.weights = ParameterOf(name: "W\(index)", value: weights, isTrainable: trainWeights)
        self.bias = ParameterOf(name: "b\(index)", value: MatrixOf(rows: 1, columns: bias.count, storage: bias),
                              isTrainable: trainBias)
    }

    /// The same layer in another precision: weights and bias rounded to `Scalar`, the same
    /// activation, name and trainable flags.
    public convenience init<Other: TrainingScalar>(converting layer: DenseLayerOf<Other>) {
        let index = Int(layer.weights.name.dropFirst()) ?? 0
        self.init(index: index, weights: MatrixOf(converting: layer.weights.value),
                  bias: layer.bias.value.storage.map { Scalar($0) }, activation: layer.activation,
                  trainWeights: layer.weights.isTrainable, trainBias: layer.bias.isTrainable)
    }

    /// (batch, in) -> (batch, out). Returns the cached output.
    @discardableResult
    public func forward(_ x: MatrixOf<Scalar>) -> MatrixOf<Scalar> {
        forwardPass(x)
        return output
    }

    /// The forward pass into `net` and `output`, returning nothing (a returned copy would make
    /// the next pass's write copy-on-write while the caller holds it).
    func forwardPass(_ x: MatrixOf<Scalar>) {
        net.resize(rows: x.rows, columns: unitCount)
        // net = x·W, (batch, in) x (in, out) -> (batch, out); then net += b and out = f(net).
        BLAS.gemm(x, weights.value, into: &net)
        Scalar.forward(activation, net: &net, bias: bias.value, into: &output)
    }

    /// ∂E/∂out (batch, out) -> ∂E/∂x (batch, in); accumulates ∂E/∂W and ∂E/∂b. `input` is the
    /// x of the last forward pass.
    @discardableResult
    public func backward(input: MatrixOf<Scalar>, outGradient: MatrixOf<Scalar>) -> MatrixOf<Scalar> {
        backwardPass(input: input, outGradient: outGradient, inputGradient: true, accumulate: true)
        return inputGradient
    }

    /// ∂E/∂out -> ∂E/∂net (the activation's part), then `backwardPass(input:netGradient:...)`.
    func backwardPass(input: MatrixOf<Scalar>, outGradient: MatrixOf<Scalar>, inputGradient wanted: Bool, accumulate: Bool) {
        Scalar.backward(activation, net: net, out: output, outGradient: outGradient, into: &netGradient)
        parameterGradients(input: input, netGradient: netGradient, inputGradient: wanted, accumulate: accumulate)
    }

    /// From ∂E/∂net (batch, out), for fused output losses: ∂E/∂W and ∂E/∂b, added to the
    /// gradients with `accumulate` or written over them; ∂E/∂x into `inputGradient` when `wanted`
    /// (the first layer's would be the gradient of the data, which nothing uses).
    func parameterGradients(input: MatrixOf<Scalar>, netGradient dNet: MatrixOf<Scalar>, inputGradient wanted: Bool,
                            accumulate: Bool) {
        // ∂E/∂w_jk = Σ_batch x_j · ∂E/∂net_k: (in, batch) x (batch, out) -> (in, out).
        BLAS.gemm(input, transposeA: true, dNet, into: &weights.gradient, beta: accumulate ? 1 : 0)
        // ∂E/∂b_k = Σ_batch ∂E/∂net_k.
        let units = unitCount
        dNet.storage.withUnsafeBufferPointer { d in
            bias.gradient.storage.withUnsafeMutableBufferPointer { g in
                if !accumulate { for k in 0..<units { g[k] = 0 } }
                for r in 0..<dNet.rows {
                    let row = d.baseAddress! + r * units
                    for k in 0..<units { g[k] += row[k] }
                }
            }
        }
        guard wanted else { return }
        // ∂E/∂x_j = Σ_k ∂E/∂net_k · w_jk: (batch, out) x (out, in) -> (batch, in).
        inputGradient.resize(rows: dNet.rows, columns: inputCount)
        BLAS.gemm(dNet, weights.value, transposeB: true, into: &inputGradient)
    }
}
