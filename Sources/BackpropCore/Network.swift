/// A stack of dense layers; layer 1 is nearest the input.
public final class Network {
    public let inputCount: Int
    public let layers: [DenseLayer]
    private var outGradient = Matrix(rows: 0, columns: 0)

    public init(inputCount: Int, layers: [DenseLayer]) {
        precondition(!layers.isEmpty, "a network needs at least one layer")
        self.inputCount = inputCount
        self.layers = layers
    }

    public var outputCount: Int { layers[layers.count - 1].unitCount }

    /// Every parameter in layer order: W1, b1, W2, b2, ...
    public var parameters: [Parameter] { layers.flatMap { [$0.weights, $0.bias] } }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.storage.count } }

    /// (batch, inputs) -> (batch, outputs).
    @discardableResult
    public func forward(_ x: Matrix) -> Matrix {
        var activations = x
        for layer in layers { activations = layer.forward(activations) }
        return activations
    }

    /// Forward, loss, and backward for one batch; gradients accumulate into the parameters.
    /// Returns the batch's mean loss, measured before any update.
    public func lossAndGradient(_ x: Matrix, target: Matrix, loss: any Loss) -> Double {
        forward(x)
        let last = layers[layers.count - 1]
        let value: Double
        var gradient: Matrix
        if let fused = loss as? any FusedOutputLoss, fused.fuses(with: last.activation) {
            value = fused.evaluateFused(net: last.net, output: last.output, target: target, netGradient: &outGradient)
            gradient = last.backward(netGradient: outGradient)
        } else {
            value = loss.evaluate(net: last.net, output: last.output, target: target, outGradient: &outGradient)
            gradient = last.backward(outGradient: outGradient)
        }
        // The backward pass replays the forward calls in reverse.
        for layer in layers.dropLast().reversed() {
            gradient = layer.backward(outGradient: gradient)
        }
        return value
    }

    /// The mean loss of the current parameters on (x, target), without touching gradients.
    public func loss(_ x: Matrix, target: Matrix, loss: any Loss) -> Double {
        forward(x)
        let last = layers[layers.count - 1]
        if let fused = loss as? any FusedOutputLoss, fused.fuses(with: last.activation) {
            return fused.valueFused(net: last.net, output: last.output, target: target)
        }
        return loss.value(net: last.net, output: last.output, target: target)
    }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}
