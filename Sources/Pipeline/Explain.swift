import BackpropCore
import Foundation

/// `--weight L:J,K`: the weight w^L_JK, from unit J of layer L−1 (input J when L = 1) to unit K
/// of layer L, all 1-based as in the seed; in the core it is `layers[L−1].weights[J−1][K−1]`.
public struct WeightIndex: Sendable, Equatable, CustomStringConvertible {
    public let layer: Int
    public let from: Int
    public let to: Int

    public init(layer: Int, from: Int, to: Int) {
        self.layer = layer
        self.from = from
        self.to = to
    }

    /// Reads `L:J,K` (positive decimal integers, no spaces); nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let units = parts[1].split(separator: ",", omittingEmptySubsequences: false)
        guard units.count == 2 else { return nil }
        let numbers = [parts[0], units[0], units[1]].map { part -> Int? in
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(part).flatMap { $0 >= 1 ? $0 : nil }
        }
        guard let layer = numbers[0], let from = numbers[1], let to = numbers[2] else { return nil }
        self.init(layer: layer, from: from, to: to)
    }

    public var description: String { "\(layer):\(from),\(to)" }
}

/// The output formats of `bp-pipeline explain`.
public enum ExplainFormat: String, CaseIterable, Sendable {
    case text, markdown, latex
}

/// The chain-rule derivation of one ∂E/∂w, as the seed writes it, with every factor's value.
public struct Explanation {
    public let weight: WeightIndex
    /// The chain rule's result: the mean over the batch of the per-sample products, plus the
    /// regularization penalty's derivative.
    public let derived: Double
    /// The trainer's own gradient for the weight (the backward pass of `Network`, BLAS).
    public let backprop: Double
    /// Σ over the samples of |∂Eₛ/∂w| / B + |penalty term|: the scale against which the two
    /// gradients' rounding differences are measured (they sum the same terms in other orders).
    public let magnitude: Double
    /// The weight after the spec's optimizer's step with this gradient.
    public let updated: Double
    let document: ExplainDocument

    public func render(_ format: ExplainFormat) -> String { document.render(format) }
}

/// Derives ∂E/∂w^L_jk symbolically on the network's own forward pass (the layers' cached net
/// and out), unit by unit in scalar arithmetic, so every factor can be shown; then checks it
/// against the backward pass and applies the optimizer's step.
public enum Explain {
    /// Units listed per layer before the rest is summarised ("… 54 more").
    public static let listed = 10

    /// Explains `weight` at the initial parameters (`afterEpochs` 0) or after training that many
    /// epochs (nothing is written), on the first batch training would use next.
    public static func explain(_ prepared: PreparedRun, weight: WeightIndex, afterEpochs epochs: Int) throws -> Explanation {
        let definition = prepared.definition
        let network = prepared.network
        try check(weight, in: network, spec: definition.specPath)
        let spec = definition.specPath
        guard epochs >= 0, epochs <= definition.training.epochs else {
            throw PipelineError(.usage, "\(spec): error: --epoch \(epochs): the spec trains \(definition.training.epochs) epoch\(definition.training.epochs == 1 ? "" : "s"); choose 0 to \(definition.training.epochs) (or raise training.epochs with --set)")
        }
        var options = definition.training.options(for: prepared.data.task)
        options.epochs = epochs
        let trainer = Trainer(network: network, loss: definition.loss, optimizer: definition.training.optimizer,
                              schedule: definition.schedule, options: options, generator: prepared.generator)
        var trainedNote: String?
        if epochs > 0 {
            let outcome = trainer.train(prepared.data.training, validation: prepared.data.validation)
            if outcome.status == .diverged {
                throw PipelineError(.trainingFailed, "\(spec): error: training diverged before the parameters of epoch \(epochs) could be explained: \(outcome.failure ?? "diverged")")
            }
            let ran = outcome.history.count
            trainedNote = ran < epochs
                ? "Early stopping ended training after epoch \(ran); these are its parameters."
                : "Parameters after \(ran) epoch\(ran == 1 ? "" : "s") of training (last epoch's loss \(ExplainNumber.text(outcome.history.last?.loss ?? .nan)))."
        }
        let batch = trainer.firstBatch(of: prepared.data.training)
        let epoch = trainer.nextEpoch
        let previous = trainer.history.last.map { EpochSummary(epoch: $0.epoch, loss: $0.loss, validationLoss: $0.validationLoss) }
        let rate = definition.schedule.rate(epoch: epoch, previous: previous)

        // The trainer's gradient: forward, loss, backward, penalty, exactly as in a training step.
        network.zeroGradients()
        _ = network.lossAndGradient(batch.inputs, target: batch.targets, loss: definition.loss)
        let regularization = options.regularization
        if regularization.isActive { regularization.addGradient(network) }
        let layer = network.layers[weight.layer - 1]
        let (j, k) = (weight.from - 1, weight.to - 1)
        let backprop = layer.weights.gradient[j, k]
        let value = layer.weights.value[j, k]

        let derivation = Derivation(network: network, loss: definition.loss, inputs: batch.inputs, targets: batch.targets, weight: weight)
        let perSample = (0..<batch.count).map { derivation.sampleGradient($0) }
        let mean = perSample.reduce(0, +) / Double(max(batch.count, 1))
        var penalty = 0.0
        if regularization.isActive && layer.weights.isTrainable {
            let sign: Double = value > 0 ? 1 : (value < 0 ? -1 : 0)
            penalty = regularization.l1 * sign + 2 * regularization.l2 * value
        }
        let derived = mean + penalty
        let magnitude = perSample.reduce(0) { $0 + abs($1) } / Double(max(batch.count, 1)) + abs(penalty)

        // The optimizer's real step (after clipping, as the trainer does it); then the
        // parameters go back, so the derivation below reads the weights it was made with.
        let parameters = network.parameters
        let saved = parameters.map(\.value)
        var clipNorm: Double?
        if let maximum = options.clipGradientNorm { clipNorm = Trainer.clipGradients(parameters, maximumNorm: maximum) }
        let clipped = layer.weights.gradient[j, k]
        definition.training.optimizer.step(parameters, learningRate: rate)
        let updated = layer.weights.value[j, k]
        for (parameter, value) in zip(parameters, saved) { parameter.value = value }

        let writer = ExplainWriter(derivation: derivation, definition: definition, batch: batch,
                                   trainingCount: prepared.data.training.count, epoch: epoch, afterEpochs: epochs,
                                   trainedNote: trainedNote, value: value, perSample: perSample, penalty: penalty,
                                   regularization: regularization, derived: derived, backprop: backprop, rate: rate,
                                   clip: clipNorm.map { (options.clipGradientNorm ?? 0, $0, clipped) }, updated: updated,
                                   trainable: layer.weights.isTrainable)
        return Explanation(weight: weight, derived: derived, backprop: backprop, magnitude: magnitude, updated: updated,
                           document: writer.document())
    }

    /// Exit 64 with the valid ranges when the weight is not in the network.
    static func check(_ weight: WeightIndex, in network: Network, spec: String) throws {
        let layers = network.layers.count
        func fail(_ message: String) -> PipelineError { PipelineError(.usage, "\(spec): error: --weight \(weight): \(message)") }
        guard weight.layer <= layers else {
            throw fail("the network has \(layers) layer\(layers == 1 ? "" : "s"), so L is 1\(layers == 1 ? "" : " to \(layers)")")
        }
        let layer = network.layers[weight.layer - 1]
        guard weight.from <= layer.inputCount else {
            let below = weight.layer == 1 ? "the network has \(layer.inputCount) input\(layer.inputCount == 1 ? "" : "s")"
                : "layer \(weight.layer - 1) has \(layer.inputCount) unit\(layer.inputCount == 1 ? "" : "s")"
            throw fail("\(below), so J is 1\(layer.inputCount == 1 ? "" : " to \(layer.inputCount)")")
        }
        guard weight.to <= layer.unitCount else {
            throw fail("layer \(weight.layer) has \(layer.unitCount) unit\(layer.unitCount == 1 ? "" : "s"), so K is 1\(layer.unitCount == 1 ? "" : " to \(layer.unitCount)")")
        }
    }
}

/// The chain rule of one sample, in scalar arithmetic on the layers' cached forward values
/// (`net`, `output`, each (batch, units)) and the batch's inputs (batch, inputs).
///
///     output layer N:  δᴺₘ = ∂E/∂outᴺₘ · f′(netᴺₘ)   (fused losses: δᴺₘ = ∂E/∂netᴺₘ directly)
///     hidden layer l:  ∂E/∂outˡₘ = Σ_q δˡ⁺¹_q · wˡ⁺¹ₘ_q,   δˡₘ = ∂E/∂outˡₘ · f′(netˡₘ)
///     the weight:      ∂Eₛ/∂wᴸⱼₖ = δᴸₖ · outᴸ⁻¹ⱼ   (iⱼ for L = 1)
///
/// Activations that are not elementwise (softmax) use their Jacobian, read column by column
/// from their own backward: ∂E/∂netₘ = Σᵢ ∂E/∂outᵢ · ∂outᵢ/∂netₘ.
struct Derivation {
    let network: Network
    let loss: any Loss
    /// The batch the forward pass ran on: out⁰ (layers keep no copy of their input).
    let inputs: Matrix
    let targets: Matrix
    let weight: WeightIndex
    /// Whether the loss gives the output layer's ∂E/∂net itself.
    let fused: Bool

    init(network: Network, loss: any Loss, inputs: Matrix, targets: Matrix, weight: WeightIndex) {
        self.network = network
        self.loss = loss
        self.inputs = inputs
        self.targets = targets
        self.weight = weight
        let last = network.layers[network.layers.count - 1]
        fused = (loss as? any FusedOutputLoss)?.fuses(with: last.activation) ?? false
    }

    var outputLayer: Int { network.layers.count }

    /// outˡ of `sample` (l = 0: the inputs).
    func out(_ layer: Int, _ sample: Int) -> [Double] {
        layer == 0 ? Array(inputs.row(sample)) : Array(network.layers[layer - 1].output.row(sample))
    }

    func net(_ layer: Int, _ sample: Int) -> [Double] { Array(network.layers[layer - 1].net.row(sample)) }

    /// The loss's gradient for this one sample, as a batch of one: ∂Eₛ/∂outᴺ, or ∂Eₛ/∂netᴺ when fused.
    func lossGradient(_ sample: Int) -> [Double] {
        let last = network.layers[outputLayer - 1]
        let width = last.unitCount
        let net = Matrix(rows: 1, columns: width, storage: net(outputLayer, sample))
        let output = Matrix(rows: 1, columns: width, storage: out(outputLayer, sample))
        let target = Matrix(rows: 1, columns: width, storage: Array(targets.row(sample)))
        var gradient = Matrix(rows: 1, columns: width)
        if fused, let fusedLoss = loss as? any FusedOutputLoss {
            _ = fusedLoss.evaluateFused(net: net, output: output, target: target, netGradient: &gradient)
        } else {
            _ = loss.evaluate(net: net, output: output, target: target, outGradient: &gradient)
        }
        return gradient.storage
    }

    /// f′(netˡₘ) for an elementwise activation, nil otherwise.
    func derivative(_ layer: Int, _ unit: Int, _ sample: Int) -> Double? {
        guard let activation = network.layers[layer - 1].activation as? any ElementwiseActivation else { return nil }
        let l = network.layers[layer - 1]
        return activation.derivative(x: l.net[sample, unit], y: l.output[sample, unit])
    }

    /// ∂outˡᵢ/∂netˡₘ for every i, from the activation's backward with ∂E/∂out = eᵢ.
    func jacobianColumn(_ layer: Int, _ unit: Int, _ sample: Int) -> [Double] {
        let l = network.layers[layer - 1]
        let width = l.unitCount
        let net = Matrix(rows: 1, columns: width, storage: net(layer, sample))
        let output = Matrix(rows: 1, columns: width, storage: out(layer, sample))
        var column = [Double](repeating: 0, count: width)
        var result = Matrix(rows: 1, columns: width)
        for i in 0..<width {
            var unitVector = Matrix(rows: 1, columns: width)
            unitVector[0, i] = 1
            l.activation.backward(net: net, out: output, outGradient: unitVector, into: &result)
            column[i] = result[0, unit]
        }
        return column
    }

    /// ∂Eₛ/∂outˡ and δˡ = ∂Eₛ/∂netˡ for the layers from the output down to `weight.layer`;
    /// `dOut[N]` is nil when the loss is fused.
    struct Trace {
        var dOut: [Int: [Double]] = [:]
        var delta: [Int: [Double]] = [:]
    }

    func trace(_ sample: Int) -> Trace {
        var trace = Trace()
        let top = outputLayer
        for l in stride(from: top, through: weight.layer, by: -1) {
            let units = network.layers[l - 1].unitCount
            if l == top && fused {
                trace.delta[l] = lossGradient(sample)
                continue
            }
            var dOut: [Double]
            if l == top {
                dOut = lossGradient(sample)
            } else {
                let above = network.layers[l]
                let deltaAbove = trace.delta[l + 1] ?? []
                dOut = (0..<units).map { m in
                    var sum = 0.0
                    for q in 0..<above.unitCount { sum += deltaAbove[q] * above.weights.value[m, q] }
                    return sum
                }
            }
            trace.dOut[l] = dOut
            trace.delta[l] = (0..<units).map { m in
                if let d = derivative(l, m, sample) { return dOut[m] * d }
                let column = jacobianColumn(l, m, sample)
                var sum = 0.0
                for i in 0..<units { sum += dOut[i] * column[i] }
                return sum
            }
        }
        return trace
    }

    /// ∂Eₛ/∂w = δᴸₖ · outᴸ⁻¹ⱼ for one sample.
    func sampleGradient(_ sample: Int) -> Double {
        let delta = trace(sample).delta[weight.layer]?[weight.to - 1] ?? .nan
        return delta * out(weight.layer - 1, sample)[weight.from - 1]
    }
}
