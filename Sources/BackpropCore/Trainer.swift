/// How the training loop runs, independent of where the numbers came from.
public struct TrainingOptions: Sendable {
    public var epochs: Int
    /// Samples per batch; nil means the full training set in one batch.
    public var batchSize: Int?
    /// Shuffle the sample order each epoch (seeded); meaningful for mini-batches only.
    public var shuffle: Bool
    /// Report accuracy (classification targets).
    public var measureAccuracy: Bool

    public init(epochs: Int, batchSize: Int? = nil, shuffle: Bool = false, measureAccuracy: Bool = false) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.measureAccuracy = measureAccuracy
    }
}

/// One row of history.csv.
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    /// Mean of the batch losses of the epoch, each measured before that batch's update.
    public var loss: Double
    /// The learning rate used during the epoch.
    public var learningRate: Double
    /// Per layer (index 0 = layer 1): the L2 norm of ∂E/∂W, averaged over the epoch's batches.
    public var gradientNorms: [Double]
    /// Per layer: mean |∂E/∂W| over the weights, averaged over the epoch's batches.
    public var gradientMeanAbs: [Double]
    public var validationLoss: Double?
    public var trainAccuracy: Double?
    public var validationAccuracy: Double?
}

/// How a run ended; the raw values are the contract's `status` strings.
public enum TrainingStatus: String, Sendable {
    case completed
    case diverged
    case interrupted
    case stoppedEarly = "stopped_early"
}

/// What training produced besides the trained network itself.
public struct TrainingOutcome: Sendable {
    public var status: TrainingStatus
    public var history: [EpochRecord]
    /// Loss of the final parameters on the whole training set, after the last update.
    public var finalLoss: Double
    public var finalAccuracy: Double?
    public var finalValidationLoss: Double?
    public var finalValidationAccuracy: Double?
    /// ∂E/∂W per layer, averaged over the batches of the first and of the last epoch.
    public var firstEpochGradients: [Matrix]
    public var lastEpochGradients: [Matrix]
    /// For `diverged`: what went wrong and where.
    public var failure: String?
}

/// The training loop: for each epoch, for each batch, zero the gradients, forward + backward,
/// one optimizer step; then measure and report.
public final class Trainer {
    public let network: Network
    public let loss: any Loss
    public let optimizer: any Optimizer
    public let schedule: any LearningRateSchedule
    public let options: TrainingOptions
    public private(set) var generator: SeededGenerator

    public init(network: Network, loss: any Loss, optimizer: any Optimizer,
                schedule: any LearningRateSchedule, options: TrainingOptions, generator: SeededGenerator) {
        self.network = network
        self.loss = loss
        self.optimizer = optimizer
        self.schedule = schedule
        self.options = options
        self.generator = generator
    }

    /// Trains on `training`, measuring `validation` after each epoch when given.
    /// `onEpoch` sees every record as it is made; `shouldStop` is polled after each batch.
    public func train(_ training: Dataset, validation: Dataset? = nil,
                      shouldStop: () -> Bool = { false },
                      onEpoch: (EpochRecord) -> Void = { _ in }) -> TrainingOutcome {
        let layerCount = network.layers.count
        let parameters = network.parameters
        let batchSize = min(options.batchSize ?? training.count, max(training.count, 1))
        var order = Array(0..<training.count)
        var batchInputs = Matrix(rows: 0, columns: 0)
        var batchTargets = Matrix(rows: 0, columns: 0)
        var history: [EpochRecord] = []
        var previous: EpochSummary?
        var status = TrainingStatus.completed
        var failure: String?
        var firstGradients: [Matrix] = []
        var lastGradients: [Matrix] = []

        epochs: for epoch in 1...max(options.epochs, 1) where options.epochs > 0 {
            let rate = schedule.rate(epoch: epoch, previous: previous)
            if options.shuffle && batchSize < training.count { generator.shuffle(&order) }
            var lossSum = 0.0
            var batches = 0
            var norms = [Double](repeating: 0, count: layerCount)
            var meanAbs = [Double](repeating: 0, count: layerCount)
            var gradientSums = network.layers.map { Matrix(rows: $0.inputCount, columns: $0.unitCount) }

            var start = 0
            while start < training.count {
                let end = min(start + batchSize, training.count)
                let x: Matrix, t: Matrix
                if batchSize == training.count && !options.shuffle {
                    x = training.inputs
                    t = training.targets
                } else {
                    training.inputs.gatherRows(order[start..<end], into: &batchInputs)
                    training.targets.gatherRows(order[start..<end], into: &batchTargets)
                    x = batchInputs
                    t = batchTargets
                }
                network.zeroGradients()
                let batchLoss = network.lossAndGradient(x, target: t, loss: loss)
                if !batchLoss.isFinite {
                    status = .diverged
                    failure = "the loss became \(batchLoss) in epoch \(epoch)"
                    lossSum += batchLoss
                    batches += 1
                    break
                }
                for (l, layer) in network.layers.enumerated() {
                    let g = layer.weights.gradient.storage
                    var squares = 0.0, absolute = 0.0
                    for v in g { squares += v * v; absolute += abs(v) }
                    norms[l] += squares.squareRoot()
                    meanAbs[l] += absolute / Double(max(g.count, 1))
                    for i in g.indices { gradientSums[l].storage[i] += g[i] }
                }
                optimizer.step(parameters, learningRate: rate)
                lossSum += batchLoss
                batches += 1
                if let bad = Self.firstNonFiniteLayer(network) {
                    status = .diverged
                    failure = "a weight or bias of layer \(bad) became NaN or infinite in epoch \(epoch)"
                    break
                }
                start = end
                if shouldStop() { status = .interrupted; break }
            }

            let divisor = Double(max(batches, 1))
            var record = EpochRecord(epoch: epoch, loss: lossSum / divisor, learningRate: rate,
                                     gradientNorms: norms.map { $0 / divisor },
                                     gradientMeanAbs: meanAbs.map { $0 / divisor },
                                     validationLoss: nil, trainAccuracy: nil, validationAccuracy: nil)
            let epochGradients = gradientSums.map { m in
                Matrix(rows: m.rows, columns: m.columns, storage: m.storage.map { $0 / divisor })
            }
            if epoch == 1 { firstGradients = epochGradients }
            lastGradients = epochGradients
            if status != .diverged {
                if let validation, validation.count > 0 {
                    record.validationLoss = network.meanLoss(on: validation, loss: loss)
                    if options.measureAccuracy { record.validationAccuracy = network.accuracy(on: validation) }
                }
                if options.measureAccuracy { record.trainAccuracy = network.accuracy(on: training) }
            }
            history.append(record)
            onEpoch(record)
            previous = EpochSummary(epoch: epoch, loss: record.loss, validationLoss: record.validationLoss)
            if status != .completed { break epochs }
            if shouldStop() { status = .interrupted; break epochs }
        }

        var outcome = TrainingOutcome(status: status, history: history,
                                      finalLoss: network.meanLoss(on: training, loss: loss),
                                      finalAccuracy: nil, finalValidationLoss: nil, finalValidationAccuracy: nil,
                                      firstEpochGradients: firstGradients, lastEpochGradients: lastGradients,
                                      failure: failure)
        if options.measureAccuracy { outcome.finalAccuracy = network.accuracy(on: training) }
        if let validation, validation.count > 0 {
            outcome.finalValidationLoss = network.meanLoss(on: validation, loss: loss)
            if options.measureAccuracy { outcome.finalValidationAccuracy = network.accuracy(on: validation) }
        }
        return outcome
    }

    /// The 1-based number of the first layer with a NaN or infinite weight or bias, if any.
    static func firstNonFiniteLayer(_ network: Network) -> Int? {
        for (l, layer) in network.layers.enumerated() {
            if !layer.weights.value.storage.allSatisfy(\.isFinite) || !layer.bias.value.storage.allSatisfy(\.isFinite) {
                return l + 1
            }
        }
        return nil
    }
}
