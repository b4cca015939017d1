/// How the training loop runs, independent of where the numbers came from.
public struct TrainingOptions: Sendable {
    public var epochs: Int
    /// Samples per batch; nil means the full training set in one batch.
    public var batchSize: Int?
    /// Shuffle the sample order each epoch (seeded); meaningful for mini-batches only.
    public var shuffle: Bool
    /// Report accuracy (classification targets).
    public var measureAccuracy: Bool
    /// Stop when the monitored loss stops improving; nil trains every epoch.
    public var earlyStopping: EarlyStopping?
    /// Rescale the gradients so their total L2 norm is at most this (torch.nn.utils.clip_grad_norm_).
    public var clipGradientNorm: Double?
    /// L1/L2 penalties on the weights, added to the loss.
    public var regularization: Regularization

    public init(epochs: Int, batchSize: Int? = nil, shuffle: Bool = false, measureAccuracy: Bool = false,
                earlyStopping: EarlyStopping? = nil, clipGradientNorm: Double? = nil,
                regularization: Regularization = Regularization()) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.measureAccuracy = measureAccuracy
        self.earlyStopping = earlyStopping
        self.clipGradientNorm = clipGradientNorm
        self.regularization = regularization
    }
}

/// Keras's EarlyStopping: after each epoch, the monitored value x improves when
/// x < best − min_delta; after `patience` epochs in a row without improvement training stops.
/// With `restoreBest` the parameters of the best epoch are put back when training ends.
public struct EarlyStopping: Sendable, Equatable {
    public var monitor: Monitor
    public var patience: Int
    public var minDelta: Double
    public var restoreBest: Bool

    public init(monitor: Monitor = .validationLoss, patience: Int = 10, minDelta: Double = 0, restoreBest: Bool = false) {
        self.monitor = monitor
        self.patience = patience
        self.minDelta = minDelta
        self.restoreBest = restoreBest
    }
}

/// Early stopping's bookkeeping, part of a `TrainingState`.
public struct EarlyStoppingState: Sendable, Codable, Equatable {
    /// The best monitored value so far (+∞ before the first epoch).
    public var best = Double.infinity
    /// The epoch that reached `best` (0 before the first epoch).
    public var bestEpoch = 0
    /// Epochs since the last improvement.
    public var wait = 0
    /// Parameter values at `bestEpoch`, in `Network.parameters` order (only with restore_best).
    public var bestParameters: [[Double]]?
    /// Whether early stopping has fired.
    public var stopped = false

    public init() {}
}

/// One row of history.csv.
public struct EpochRecord: Sendable, Equatable, Codable {
    public var epoch: Int
    /// Mean of the batch losses of the epoch, each measured before that batch's update
    /// (including the regularization penalty, when there is one).
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
    /// The regularization penalty's part of `loss`, averaged over the batches (nil without one).
    public var regularization: Double?

    public init(epoch: Int, loss: Double, learningRate: Double, gradientNorms: [Double], gradientMeanAbs: [Double],
                validationLoss: Double? = nil, trainAccuracy: Double? = nil, validationAccuracy: Double? = nil,
                regularization: Double? = nil) {
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.gradientNorms = gradientNorms
        self.gradientMeanAbs = gradientMeanAbs
        self.validationLoss = validationLoss
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
        self.regularization = regularization
    }
}

/// How a run ended; the raw values are the contract's `status` strings.
public enum TrainingStatus: String, Sendable, Codable {
    case completed
    case diverged
    case interrupted
    case stoppedEarly = "stopped_early"
}

/// What training produced besides the trained network itself.
public struct TrainingOutcome: Sendable {
    public var status: TrainingStatus
    public var history: [EpochRecord]
    /// Loss of the final parameters on the whole training set, after the last update (and after
    /// restoring the best epoch's parameters, with early stopping's restore_best), penalty included.
    public var finalLoss: Double
    public var finalAccuracy: Double?
    public var finalValidationLoss: Double?
    public var finalValidationAccuracy: Double?
    /// ∂E/∂W per layer, averaged over the batches of the first and of the last epoch.
    public var firstEpochGradients: [Matrix]
    public var lastEpochGradients: [Matrix]
    /// For `diverged`: what went wrong and where.
    public var failure: String?
    /// With early stopping: the epoch with the best monitored value.
    public var bestEpoch: Int? = nil
    /// With regularization: the penalty's part of `finalLoss`.
    public var finalRegularization: Double? = nil
    /// For `diverged`: the epoch, and the 1-based layer where the first non-finite value appeared
    /// (or, for a loss that exploded while finite, the layer whose weights grew the most).
    public var divergedEpoch: Int? = nil
    public var divergedLayer: Int? = nil
    /// Samples whose forward and backward pass ran in this call of `train` (not in the epochs
    /// a resumed state had done): the training set once per whole epoch, plus the batches of an
    /// epoch cut short, the batch that diverged included.
    public var samplesProcessed = 0
}

/// Everything needed to continue a run exactly where it was: restored into a trainer built from
/// the same spec, the remaining epochs give bit-identical parameters and history to a run that
/// was never interrupted.
///
/// Taken at an epoch boundary (the `onState` callback, or `Trainer.state` after `train` returns
/// without an interruption inside an epoch). Codable; note that `earlyStopping.best`, the
/// schedule's state and a diverged history can hold ±∞ or NaN, which JSON needs spelled out
/// (e.g. JSONEncoder's `nonConformingFloatEncodingStrategy`).
public struct TrainingState: Sendable, Codable, Equatable {
    /// The 1-based epoch to run next (epochs done + 1).
    public var nextEpoch: Int
    /// Names of `parameters`, in `Network.parameters` order (W1, b1, W2, ...), for checking.
    public var parameterNames: [String]
    /// Row-major values of every parameter, in the same order.
    public var parameters: [[Double]]
    /// `Optimizer.saveState()`.
    public var optimizer: [String: [Double]]
    /// `LearningRateSchedule.saveState()`.
    public var schedule: [String: Double]
    /// The shuffling generator's four state words.
    public var generator: [UInt64]
    /// The sample order: each epoch's shuffle permutes the previous epoch's order.
    public var order: [Int]
    public var history: [EpochRecord]
    /// The last epoch's summary, which the schedule sees when choosing the next epoch's rate.
    public var previous: EpochSummary?
    public var earlyStopping: EarlyStoppingState
    public var firstEpochGradients: [Matrix]
    public var lastEpochGradients: [Matrix]
    /// The untrained network's loss and weight norms, for the divergence rule (nil in a state
    /// from before the rule, which then is not applied).
    public var divergenceBaseline: DivergenceBaseline? = nil
}

/// The training loop: for each epoch, for each batch, zero the gradients, forward + backward,
/// add the penalty's gradient, clip, one optimizer step; then measure, report and decide
/// whether to stop.
public final class Trainer {
    public let network: Network
    public let loss: any Loss
    public let optimizer: any Optimizer
    public let schedule: any LearningRateSchedule
    public let options: TrainingOptions
    public private(set) var generator: SeededGenerator

    // Progress: with the parameters, optimizer and schedule, exactly what `state` holds.
    /// The 1-based epoch `train` runs next.
    public private(set) var nextEpoch = 1
    public private(set) var history: [EpochRecord] = []
    public private(set) var earlyStoppingState = EarlyStoppingState()
    private var order: [Int] = []
    private var previous: EpochSummary?
    private var firstGradients: [Matrix] = []
    private var lastGradients: [Matrix] = []
    private var baseline: DivergenceBaseline?

    // Scratch reused across batches and epochs.
    private var batchInputs = Matrix(rows: 0, columns: 0)
    private var batchTargets = Matrix(rows: 0, columns: 0)
    private var gradientSums: [Matrix] = []

    public init(network: Network, loss: any Loss, optimizer: any Optimizer,
                schedule: any LearningRateSchedule, options: TrainingOptions, generator: SeededGenerator) {
        self.network = network
        self.loss = loss
        self.optimizer = optimizer
        self.schedule = schedule
        self.options = options
        self.generator = generator
    }

    /// The complete state after the last epoch that ran (see `TrainingState`).
    public var state: TrainingState {
        let parameters = network.parameters
        return TrainingState(nextEpoch: nextEpoch, parameterNames: parameters.map(\.name),
                             parameters: parameters.map(\.value.storage),
                             optimizer: optimizer.saveState(), schedule: schedule.saveState(),
                             generator: generator.stateWords, order: order, history: history,
                             previous: previous, earlyStopping: earlyStoppingState,
                             firstEpochGradients: firstGradients, lastEpochGradients: lastGradients,
                             divergenceBaseline: baseline)
    }

    /// Puts the network, optimizer, schedule, generator and progress back to `state`.
    /// Throws `StateMismatch` when the state does not fit this network.
    public func restore(_ state: TrainingState) throws {
        let parameters = network.parameters
        guard state.parameterNames == parameters.map(\.name), state.parameters.count == parameters.count else {
            throw StateMismatch("the state's parameters \(state.parameterNames) do not match the network's \(parameters.map(\.name))")
        }
        for (parameter, values) in zip(parameters, state.parameters) where values.count != parameter.value.storage.count {
            throw StateMismatch("parameter \(parameter.name) has \(parameter.value.storage.count) values but the state has \(values.count)")
        }
        guard state.generator.count == 4 else { throw StateMismatch("a generator state has four words, found \(state.generator.count)") }
        guard state.nextEpoch >= 1 else { throw StateMismatch("the state's next epoch must be at least 1, found \(state.nextEpoch)") }
        try optimizer.restoreState(state.optimizer, parameters: parameters)
        for (parameter, values) in zip(parameters, state.parameters) { parameter.value.storage = values }
        schedule.restoreState(state.schedule)
        generator = SeededGenerator(state: state.generator)
        order = state.order
        history = state.history
        previous = state.previous
        earlyStoppingState = state.earlyStopping
        firstGradients = state.firstEpochGradients
        lastGradients = state.lastEpochGradients
        baseline = state.divergenceBaseline
        nextEpoch = state.nextEpoch
    }

    /// Samples per batch for a training set of `count` samples.
    func batchSize(for count: Int) -> Int { min(options.batchSize ?? count, max(count, 1)) }

    /// The samples of the first batch `train` would use next, without changing the trainer
    /// (the gradient check measures there).
    public func firstBatch(of training: Dataset) -> Dataset {
        let size = batchSize(for: training.count)
        guard size < training.count else { return training }
        var order = self.order.count == training.count ? self.order : Array(0..<training.count)
        var generator = self.generator
        if options.shuffle { generator.shuffle(&order) }
        return training.subset(Array(order[0..<size]))
    }

    /// Restores `state` (when given), then trains as `train(_:validation:shouldStop:onEpoch:onState:)`.
    public func train(_ training: Dataset, validation: Dataset? = nil, resumingFrom state: TrainingState?,
                      shouldStop: () -> Bool = { false },
                      onEpoch: (EpochRecord) -> Void = { _ in },
                      onState: ((TrainingState) -> Void)? = nil) throws -> TrainingOutcome {
        if let state {
            guard state.order.count == training.count else {
                throw StateMismatch("the state's sample order has \(state.order.count) samples but the training data has \(training.count)")
            }
            try restore(state)
        }
        return train(training, validation: validation, shouldStop: shouldStop, onEpoch: onEpoch, onState: onState)
    }

    /// Trains on `training` from `nextEpoch` up to `options.epochs`, measuring `validation`
    /// after each epoch when given. `onEpoch` sees every record as it is made; `onState` (when
    /// given) the complete state after every epoch that ran to its end; `shouldStop` is polled
    /// after each batch.
    public func train(_ training: Dataset, validation: Dataset? = nil,
                      shouldStop: () -> Bool = { false },
                      onEpoch: (EpochRecord) -> Void = { _ in },
                      onState: ((TrainingState) -> Void)? = nil) -> TrainingOutcome {
        let layerCount = network.layers.count
        let parameters = network.parameters
        let batchSize = batchSize(for: training.count)
        let regularization = options.regularization
        let validation = validation.flatMap { $0.count > 0 ? $0 : nil }
        if order.count != training.count { order = Array(0..<training.count) }
        if gradientSums.count != layerCount {
            gradientSums = network.layers.map { Matrix(rows: $0.inputCount, columns: $0.unitCount) }
        }
        if nextEpoch == 1 && baseline == nil { baseline = DivergenceBaseline(network: network, loss: objective(on: training)) }
        var status = earlyStoppingState.stopped ? TrainingStatus.stoppedEarly : .completed
        var failure: String?
        var divergence: (epoch: Int, layer: Int?)?
        var samplesProcessed = 0

        while nextEpoch <= options.epochs && status == .completed {
            let epoch = nextEpoch
            let rate = schedule.rate(epoch: epoch, previous: previous)
            let gather = batchSize < training.count
            if options.shuffle && gather { generator.shuffle(&order) }
            var lossSum = 0.0, penaltySum = 0.0
            var batches = 0
            var norms = [Double](repeating: 0, count: layerCount)
            var meanAbs = [Double](repeating: 0, count: layerCount)
            for l in 0..<layerCount { gradientSums[l].fill(0) }
            var finishedEpoch = true

            var start = 0
            while start < training.count {
                let end = min(start + batchSize, training.count)
                network.zeroGradients()
                var batchLoss: Double
                if gather {
                    training.inputs.gatherRows(order[start..<end], into: &batchInputs)
                    training.targets.gatherRows(order[start..<end], into: &batchTargets)
                    batchLoss = network.lossAndGradient(batchInputs, target: batchTargets, loss: loss)
                } else {
                    batchLoss = network.lossAndGradient(training.inputs, target: training.targets, loss: loss)
                }
                if regularization.isActive {
                    let penalty = regularization.penalty(network)
                    regularization.addGradient(network)
                    batchLoss += penalty
                    penaltySum += penalty
                }
                lossSum += batchLoss
                batches += 1
                if !batchLoss.isFinite {
                    status = .diverged
                    // The first layer whose net input or output is no longer finite; the output
                    // layer when every layer is finite and the loss itself overflowed.
                    if let layer = Self.firstNonFiniteActivation(network) {
                        divergence = (epoch, layer)
                        failure = "the loss became \(batchLoss) in epoch \(epoch): the outputs of layer \(layer) are no longer finite"
                    } else {
                        divergence = (epoch, network.layers.count)
                        failure = "the loss became \(batchLoss) in epoch \(epoch): the outputs of layer \(network.layers.count) are too large for the loss"
                    }
                    finishedEpoch = false
                    break
                }
                measureGradients(norms: &norms, meanAbs: &meanAbs)
                if let maximum = options.clipGradientNorm { Self.clipGradients(parameters, maximumNorm: maximum) }
                optimizer.step(parameters, learningRate: rate)
                if let bad = Self.firstNonFiniteLayer(network) {
                    status = .diverged
                    divergence = (epoch, bad)
                    failure = "a weight or bias of layer \(bad) became NaN or infinite in epoch \(epoch)"
                    finishedEpoch = false
                    break
                }
                start = end
                if start < training.count && shouldStop() {
                    status = .interrupted
                    finishedEpoch = false
                    break
                }
            }

            // Every batch but the last of an epoch is full.
            samplesProcessed += min(batches * batchSize, training.count)
            let divisor = Double(max(batches, 1))
            var record = EpochRecord(epoch: epoch, loss: lossSum / divisor, learningRate: rate,
                                     gradientNorms: norms.map { $0 / divisor },
                                     gradientMeanAbs: meanAbs.map { $0 / divisor },
                                     regularization: regularization.isActive ? penaltySum / divisor : nil)
            let epochGradients = gradientSums.map { m in
                Matrix(rows: m.rows, columns: m.columns, storage: m.storage.map { $0 / divisor })
            }
            if epoch == 1 { firstGradients = epochGradients }
            lastGradients = epochGradients
            if status != .diverged {
                if let validation {
                    record.validationLoss = objective(on: validation)
                    if options.measureAccuracy { record.validationAccuracy = network.accuracy(on: validation) }
                }
                if options.measureAccuracy { record.trainAccuracy = network.accuracy(on: training) }
            }
            history.append(record)
            if finishedEpoch, let exploded = baseline?.explosion(in: record, network: network) {
                (status, failure, divergence, finishedEpoch) = (.diverged, exploded.failure, (epoch, exploded.layer), false)
            }
            let summary = EpochSummary(epoch: epoch, loss: record.loss, validationLoss: record.validationLoss)
            previous = summary
            nextEpoch = epoch + 1
            if finishedEpoch, let stopping = options.earlyStopping, updateEarlyStopping(stopping, summary, parameters) {
                status = .stoppedEarly
            }
            onEpoch(record)
            if finishedEpoch, let onState { onState(state) }
            if status == .completed && shouldStop() { status = .interrupted }
        }

        if let stopping = options.earlyStopping, stopping.restoreBest, status == .completed || status == .stoppedEarly,
           let best = earlyStoppingState.bestParameters {
            for (parameter, values) in zip(parameters, best) { parameter.value.storage = values }
        }
        let penalty = regularization.isActive ? regularization.penalty(network) : nil
        var outcome = TrainingOutcome(status: status, history: history,
                                      finalLoss: network.meanLoss(on: training, loss: loss) + (penalty ?? 0),
                                      finalAccuracy: nil, finalValidationLoss: nil, finalValidationAccuracy: nil,
                                      firstEpochGradients: firstGradients, lastEpochGradients: lastGradients,
                                      failure: failure)
        outcome.finalRegularization = penalty
        outcome.divergedEpoch = divergence?.epoch
        outcome.divergedLayer = divergence?.layer
        outcome.samplesProcessed = samplesProcessed
        if options.earlyStopping != nil && earlyStoppingState.bestEpoch > 0 { outcome.bestEpoch = earlyStoppingState.bestEpoch }
        if options.measureAccuracy { outcome.finalAccuracy = network.accuracy(on: training) }
        if let validation {
            outcome.finalValidationLoss = objective(on: validation)
            if options.measureAccuracy { outcome.finalValidationAccuracy = network.accuracy(on: validation) }
        }
        return outcome
    }

    /// Mean loss on `data` plus the regularization penalty (what training minimises).
    func objective(on data: Dataset) -> Double {
        let penalty = options.regularization.isActive ? options.regularization.penalty(network) : 0
        return network.meanLoss(on: data, loss: loss) + penalty
    }

    /// Takes the epoch's summary into early stopping's bookkeeping; true when training should stop.
    private func updateEarlyStopping(_ stopping: EarlyStopping, _ summary: EpochSummary, _ parameters: [Parameter]) -> Bool {
        let x = stopping.monitor.value(of: summary)
        if x < earlyStoppingState.best - stopping.minDelta {
            earlyStoppingState.best = x
            earlyStoppingState.bestEpoch = summary.epoch
            earlyStoppingState.wait = 0
            if stopping.restoreBest { earlyStoppingState.bestParameters = parameters.map(\.value.storage) }
        } else {
            earlyStoppingState.wait += 1
            if earlyStoppingState.wait >= stopping.patience {
                earlyStoppingState.stopped = true
                return true
            }
        }
        return false
    }

    /// Adds each layer's ‖∂E/∂W‖₂ and mean |∂E/∂W| to the epoch's sums, and ∂E/∂W to `gradientSums`.
    private func measureGradients(norms: inout [Double], meanAbs: inout [Double]) {
        for (l, layer) in network.layers.enumerated() {
            var squares = 0.0, absolute = 0.0
            let count = layer.weights.gradient.storage.count
            layer.weights.gradient.storage.withUnsafeBufferPointer { g in
                gradientSums[l].storage.withUnsafeMutableBufferPointer { sum in
                    for i in 0..<count {
                        let v = g[i]
                        squares += v * v
                        absolute += abs(v)
                        sum[i] += v
                    }
                }
            }
            norms[l] += squares.squareRoot()
            meanAbs[l] += absolute / Double(max(count, 1))
        }
    }

    /// torch.nn.utils.clip_grad_norm_: total = ‖(‖g₁‖₂, ‖g₂‖₂, ...)‖₂ over the trainable
    /// parameters; when c = max / (total + 1e-6) < 1 every gradient is multiplied by c.
    /// Returns the total norm before clipping.
    @discardableResult
    public static func clipGradients(_ parameters: [Parameter], maximumNorm: Double) -> Double {
        var squares = 0.0
        for parameter in parameters where parameter.isTrainable {
            var sum = 0.0
            parameter.gradient.storage.withUnsafeBufferPointer { g in
                for v in g { sum += v * v }
            }
            let norm = sum.squareRoot()
            squares += norm * norm
        }
        let total = squares.squareRoot()
        let coefficient = maximumNorm / (total + 1e-6)
        if coefficient < 1 {
            for parameter in parameters where parameter.isTrainable {
                parameter.gradient.storage.withUnsafeMutableBufferPointer { g in
                    for i in g.indices { g[i] *= coefficient }
                }
            }
        }
        return total
    }

    /// The 1-based number of the first layer whose cached net input or output holds a NaN or
    /// infinity after a forward pass, if any.
    static func firstNonFiniteActivation(_ network: Network) -> Int? {
        for (l, layer) in network.layers.enumerated()
        where !layer.net.storage.allSatisfy(\.isFinite) || !layer.output.storage.allSatisfy(\.isFinite) {
            return l + 1
        }
        return nil
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
