/// A float64 network: what the pipeline builds, reports and writes to model.json.
public typealias Network = NetworkOf<Double>

/// A stack of dense layers; layer 1 is nearest the input.
public final class NetworkOf<Scalar: TrainingScalar> {
    public let inputCount: Int
    public let layers: [DenseLayerOf<Scalar>]
    /// Every parameter in layer order: W1, b1, W2, b2, ... (kept, so a batch does not build the list).
    public let parameters: [ParameterOf<Scalar>]
    /// ∂E/∂out (or ∂E/∂net, with a fused loss) of the output layer, (batch, outputs).
    private var outGradient = MatrixOf<Scalar>(rows: 0, columns: 0)
    // Scratch for evaluating a dataset in chunks: (chunk, inputs) and (chunk, outputs).
    var chunkInputs = MatrixOf<Scalar>(rows: 0, columns: 0)
    var chunkTargets = MatrixOf<Scalar>(rows: 0, columns: 0)

    public init(inputCount: Int, layers: [DenseLayerOf<Scalar>]) {
        precondition(!layers.isEmpty, "a network needs at least one layer")
        self.inputCount = inputCount
        self.layers = layers
        self.parameters = layers.flatMap { [$0.weights, $0.bias] }
    }

    /// The same network in another precision (weights rounded to `Scalar`).
    public convenience init<Other: TrainingScalar>(converting network: NetworkOf<Other>) {
        self.init(inputCount: network.inputCount, layers: network.layers.map { DenseLayerOf(converting: $0) })
    }

    /// Sets every parameter to `network`'s (rounded to `Scalar`; exact from Float to Double).
    public func assignParameters<Other: TrainingScalar>(from network: NetworkOf<Other>) {
        for (mine, theirs) in zip(parameters, network.parameters) { mine.value = MatrixOf(converting: theirs.value) }
    }

    public var outputCount: Int { layers[layers.count - 1].unitCount }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.storage.count } }

    /// The output layer's output after the last forward pass, (batch, outputs).
    public var output: MatrixOf<Scalar> { layers[layers.count - 1].output }

    /// (batch, inputs) -> (batch, outputs).
    @discardableResult
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func forward(_ x: MatrixOf<Scalar>) -> MatrixOf<Scalar> {
        forwardPass(x)
        return output
    }

    /// Each layer reads the output of the layer below straight from its buffer.
    func forwardPass(_ x: MatrixOf<Scalar>) {
        layers[0].forwardPass(x)
        for l in 1..<layers.count { layers[l].forwardPass(layers[l - 1].output) }
    }

    /// Forward, loss, and backward for one batch; gradients accumulate into the parameters.
    /// Returns the batch's mean loss, measured before any update.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func lossAndGradient(_ x: MatrixOf<Scalar>, target: MatrixOf<Scalar>, loss: any Loss) -> Double {
        gradient(x, target: target, loss: loss, fused: fusedLoss(loss), accumulate: true)
    }

    /// `loss` as a fused output loss when it fuses with the output layer's activation (a
    /// dynamic cast, so the training loop asks once, not every batch).
    func fusedLoss(_ loss: any Loss) -> (any FusedOutputLoss)? {
        guard let fused = loss as? any FusedOutputLoss, fused.fuses(with: layers[layers.count - 1].activation) else { return nil }
        return fused
    }

    /// The same, with the gradients written over (`accumulate: false`, what training does, so
    /// they need no zeroing pass) or added to (`accumulate: true`); `fused` is `fusedLoss(loss)`.
    func gradient(_ x: MatrixOf<Scalar>, target: MatrixOf<Scalar>, loss: any Loss, fused: (any FusedOutputLoss)?,
                  accumulate: Bool) -> Double {
        forwardPass(x)
        let top = layers.count - 1
        let last = layers[top]
        let value: Double
        // The backward pass replays the forward calls in reverse; layer 1 computes no ∂E/∂x.
        if let fused {
            value = Scalar.evaluateFused(fused, net: last.net, output: last.output, target: target, netGradient: &outGradient)
            last.parameterGradients(input: top > 0 ? layers[top - 1].output : x, netGradient: outGradient,
                                    inputGradient: top > 0, accumulate: accumulate)
        } else {
            value = Scalar.evaluate(loss, net: last.net, output: last.output, target: target, outGradient: &outGradient)
            last.backwardPass(input: top > 0 ? layers[top - 1].output : x, outGradient: outGradient,
                              inputGradient: top > 0, accumulate: accumulate)
        }
        for l in stride(from: top - 1, through: 0, by: -1) {
            layers[l].backwardPass(input: l > 0 ? layers[l - 1].output : x, outGradient: layers[l + 1].inputGradient,
                                   inputGradient: l > 0, accumulate: accumulate)
        }
        return value
    }

    /// The mean loss of the current parameters on (x, target), without touching gradients.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func loss(_ x: MatrixOf<Scalar>, target: MatrixOf<Scalar>, loss: any Loss) -> Double {
        forwardPass(x)
        return lossOfLastForward(target: target, loss: loss)
    }

    /// The mean loss of the cached forward pass's outputs against `target`.
    func lossOfLastForward(target: MatrixOf<Scalar>, loss: any Loss) -> Double {
        let last = layers[layers.count - 1]
        if let fused = loss as? any FusedOutputLoss, fused.fuses(with: last.activation) {
            return Scalar.valueFused(fused, net: last.net, output: last.output, target: target)
        }
        return Scalar.value(loss, net: last.net, output: last.output, target: target)
    }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}
