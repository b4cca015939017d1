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
    public var history: EpochHistory
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
    /// Seconds in the epoch loop of this call: every batch's forward and backward pass and
    /// update, and each epoch's validation, record and state callback; not the untrained loss
    /// measured before it nor the final measurement after it (what `samples_per_second` divides by).
    public var loopSeconds = 0.0
    /// Data-parallel: the part of `loopSeconds` spent in the group's exchanges (nil without a group).
    public var loopExchangeSeconds: Double? = nil
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
    public var history: EpochHistory
    /// The last epoch's summary, which the schedule sees when choosing the next epoch's rate.
    public var previous: EpochSummary?
    public var earlyStopping: EarlyStoppingState
    public var firstEpochGradients: [Matrix]
    public var lastEpochGradients: [Matrix]
    /// The untrained network's loss and weight norms, for the divergence rule (nil in a state
    /// from before the rule, which then is not applied).
    public var divergenceBaseline: DivergenceBaseline? = nil
}

/// The float64 trainer.
public typealias Trainer = TrainerOf<Double>

/// The training loop: for each epoch, for each batch, zero the gradients, forward + backward,
/// add the penalty's gradient, clip, one optimizer step; then measure, report and decide
/// whether to stop.
public final class TrainerOf<Scalar: TrainingScalar> {
    public let network: NetworkOf<Scalar>
    public let loss: any Loss
    public let optimizer: any Optimizer
    public let schedule: any LearningRateSchedule
    public let options: TrainingOptions
    public private(set) var generator: SeededGenerator
    /// Data-parallel training: the processes sharing every batch (nil: this process alone).
    /// Each computes its share of the batch, one exchange per step sums the gradients, loss,
    /// correct count and stop requests over all of them, and every process takes the same step.
    public var group: (any ProcessGroup)?

    // Progress: with the parameters, optimizer and schedule, exactly what `state` holds.
    /// The 1-based epoch `train` runs next.
    public private(set) var nextEpoch = 1
    public private(set) var history = EpochHistory()
    public private(set) var earlyStoppingState = EarlyStoppingState()
    private var order: [Int] = []
    private var previous: EpochSummary?
    private var firstGradients: [Matrix] = []
    private var baseline: DivergenceBaseline?
    /// The last epoch's mean ∂E/∂W per layer, made from `lastGradientSums` / `lastBatches` only
    /// when asked for (`state`, the outcome), not every epoch; nil batches: `restoredLastGradients`.
    private var lastGradientSums: [MatrixOf<Scalar>] = []
    private var lastBatches: Int?
    private var restoredLastGradients: [Matrix] = []

    // Scratch reused across batches and epochs.
    private var batchInputs = MatrixOf<Scalar>(rows: 0, columns: 0)
    private var batchTargets = MatrixOf<Scalar>(rows: 0, columns: 0)
    private var gradientSums: [MatrixOf<Scalar>] = []
    private var norms: [Double] = []
    /// Data-parallel with a sharded step: this process's per-layer Σg² and Σ|g|, then the sums.
    private var partialSquares: [Double] = []
    private var partialMagnitudes: [Double] = []
    private var meanAbs: [Double] = []
    /// The state at the start of the epoch running now, kept only when the epoch has several
    /// batches (so it can be interrupted between two of them), without its history.
    private var epochStart: TrainingState?
    private var interruptedInsideEpoch = false
    /// Whether `train` may take a small network's steps through `DirectStep` (tests turn it off
    /// to compare the two paths).
    var allowsDirectStep = true

    public init(network: NetworkOf<Scalar>, loss: any Loss, optimizer: any Optimizer,
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
                             parameters: parameters.map { $0.value.storage.map { Double($0) } },
                             optimizer: optimizer.saveState(), schedule: schedule.saveState(),
                             generator: generator.stateWords, order: order, history: history,
                             previous: previous, earlyStopping: earlyStoppingState,
                             firstEpochGradients: firstGradients, lastEpochGradients: lastGradients,
                             divergenceBaseline: baseline)
    }

    /// The state to resume from after `train` returned: `state`, or after an interruption
    /// between two batches of an epoch, the state at the end of the last complete epoch (so
    /// resuming repeats the interrupted epoch from its start).
    public var resumableState: TrainingState {
        guard interruptedInsideEpoch, var start = epochStart else { return state }
        start.history = history.prefix(start.nextEpoch - 1)
        return start
    }

    /// Each layer's ∂E/∂W averaged over the batches of the last epoch that ran.
    private var lastGradients: [Matrix] {
        guard let batches = lastBatches else { return restoredLastGradients }
        let divisor = Scalar(max(batches, 1))
        return lastGradientSums.map { m in
            Matrix(rows: m.rows, columns: m.columns, storage: m.storage.map { Double($0 / divisor) })
        }
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
        for (parameter, values) in zip(parameters, state.parameters) { parameter.value.storage = values.map { Scalar($0) } }
        schedule.restoreState(state.schedule)
        generator = SeededGenerator(state: state.generator)
        order = state.order
        history = state.history
        previous = state.previous
        earlyStoppingState = state.earlyStopping
        firstGradients = state.firstEpochGradients
        restoredLastGradients = state.lastEpochGradients
        lastBatches = nil
        baseline = state.divergenceBaseline
        nextEpoch = state.nextEpoch
    }

    /// Samples per batch for a training set of `count` samples.
    func batchSize(for count: Int) -> Int { min(options.batchSize ?? count, max(count, 1)) }

    /// The samples of the first batch `train` would use next, without changing the trainer
    /// (the gradient check measures there).
    public func firstBatch(of training: DatasetOf<Scalar>) -> DatasetOf<Scalar> {
        let size = batchSize(for: training.count)
        guard size < training.count else { return training }
        var order = self.order.count == training.count ? self.order : Array(0..<training.count)
        var generator = self.generator
        if options.shuffle { generator.shuffle(&order) }
        return training.subset(Array(order[0..<size]))
    }

    /// Restores `state` (when given), then trains as `train(_:validation:shouldStop:onEpoch:onState:)`.
    public func train(_ training: DatasetOf<Scalar>, validation: DatasetOf<Scalar>? = nil, resumingFrom state: TrainingState?,
                      shouldStop: () -> Bool = { false },
                      onEpoch: ((EpochRecord) -> Void)? = nil,
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
    public func train(_ training: DatasetOf<Scalar>, validation: DatasetOf<Scalar>? = nil,
                      shouldStop: () -> Bool = { false },
                      onEpoch: ((EpochRecord) -> Void)? = nil,
                      onState: ((TrainingState) -> Void)? = nil) -> TrainingOutcome {
        let layerCount = network.layers.count
        let parameters = network.parameters
        let batchSize = batchSize(for: training.count)
        let regularization = options.regularization
        let measureAccuracy = options.measureAccuracy
        let fused = network.fusedLoss(loss)
        let validation = validation.flatMap { $0.count > 0 ? $0 : nil }
        if order.count != training.count { order = Array(0..<training.count) }
        if gradientSums.count != layerCount {
            gradientSums = network.layers.map { MatrixOf(rows: $0.inputCount, columns: $0.unitCount) }
            lastGradientSums = gradientSums
            norms = Array(repeating: 0, count: layerCount)
            meanAbs = norms
            partialSquares = norms
            partialMagnitudes = norms
        }
        if nextEpoch == 1 && baseline == nil { baseline = DivergenceBaseline(network: network, loss: objective(on: training)) }
        var status = earlyStoppingState.stopped ? TrainingStatus.stoppedEarly : .completed
        var failure: String?
        var divergence: (epoch: Int, layer: Int?)?
        var samplesProcessed = 0
        let gather = batchSize < training.count
        // One process (N = 1 under a launcher) has no one to exchange with: it trains as a plain
        // run. Two or more split the update (`ShardedStep`), except with gradient clipping, whose
        // coefficient needs the whole gradient's norm before any element is updated.
        let group = self.group.flatMap { $0.size > 1 ? $0 : nil }
        let sharded = group.flatMap { options.clipGradientNorm == nil ? ShardedStep<Scalar>(group: $0, parameters: parameters) : nil }
        let exchange = sharded == nil ? group.map { StepExchange(group: $0, parameters: parameters) } : nil
        let parallel = group != nil
        // A small network's steps run as plain loops over one block, which holds the parameters
        // until `syncDirect` copies them back: before anything else reads them.
        let direct = allowsDirectStep && !parallel
            ? DirectStep(network: network, loss: loss, optimizer: optimizer, options: options, batchSize: batchSize) : nil
        defer { direct?.deallocate() }
        func syncDirect() { direct?.store(network, lastSums: &lastGradientSums) }
        // Full-batch training reads the inputs where they are (byte inputs decoded once here);
        // mini-batches and a data-parallel step's share are gathered (and decoded) per batch.
        let wholeInputs = gather || parallel ? MatrixOf<Scalar>(rows: 0, columns: 0) : training.inputs
        // Copies rows `rows` of `inputs` and `targets` into the direct step's block.
        func gatherDirect(_ rows: Range<Int>, of inputs: MatrixOf<Scalar>, _ targets: MatrixOf<Scalar>) {
            inputs.storage.withUnsafeBufferPointer { x in
                targets.storage.withUnsafeBufferPointer { t in direct?.gather(rows, inputs: x.baseAddress!, targets: t.baseAddress!) }
            }
        }
        // A full batch goes into the direct step's block once.
        if !gather && training.count > 0 { gatherDirect(0..<training.count, of: wholeInputs, training.targets) }
        // Room for the epochs to come, up to a million (history's rows are a few dozen bytes):
        // growing by doubling copied the seed's history and touched its pages twice.
        if history.isEmpty { history = EpochHistory(layers: layerCount) }
        history.reserveCapacity(min(max(options.epochs - nextEpoch + 1, 0), 1 << 20))
        // The divergence rule's bound on an epoch's loss, read once rather than every epoch.
        let explosionLimit = baseline?.limit ?? .infinity
        interruptedInsideEpoch = false
        epochStart = nil
        let clock = ContinuousClock()
        let loopStart = clock.now
        let exchangeStart = self.group?.exchangeNanoseconds ?? 0

        if let direct, !gather, training.count > 0, validation == nil, options.earlyStopping == nil, onEpoch == nil, onState == nil {
            directEpochs(direct, count: training.count, explosionLimit: explosionLimit, shouldStop: shouldStop,
                         status: &status, failure: &failure, divergence: &divergence, samplesProcessed: &samplesProcessed)
        }
        while nextEpoch <= options.epochs && status == .completed {
            let epoch = nextEpoch
            if gather {
                syncDirect()
                epochStart = state
                epochStart?.history = []
            }
            let rate = schedule.rate(epoch: epoch, previous: previous)
            if options.shuffle && gather { generator.shuffle(&order) }
            var lossSum = 0.0, penaltySum = 0.0
            var batches = 0, seen = 0, correct = 0
            if let direct {
                direct.beginEpoch()
            } else {
                for l in 0..<layerCount {
                    gradientSums[l].fill(0)
                    norms[l] = 0
                    meanAbs[l] = 0
                }
            }
            var finishedEpoch = true
            // With a group, the stop request every process agreed on in the last exchange.
            var agreedStop = false

            var start = 0
            while start < training.count {
                let end = min(start + batchSize, training.count)
                var batchLoss: Double
                var nonFiniteLayer: Int?
                // Gradients are written over, not added to: no zeroing pass.
                if parallel {
                    let totals = sharedGradient(training, start..<end, exchange: exchange, sharded: sharded, fused: fused,
                                                stop: shouldStop())
                    (batchLoss, nonFiniteLayer, agreedStop) = (totals.loss, totals.nonFiniteLayer, totals.stop)
                    correct += totals.correct
                } else if let direct {
                    if gather {
                        training.gatherInputs(order[start..<end], into: &batchInputs)
                        training.targets.gatherRows(order[start..<end], into: &batchTargets)
                        gatherDirect(0..<(end - start), of: batchInputs, batchTargets)
                    }
                    let step = direct.gradient(count: end - start, countCorrect: measureAccuracy)
                    batchLoss = step.loss
                    correct += step.correct
                } else if gather {
                    training.gatherInputs(order[start..<end], into: &batchInputs)
                    training.targets.gatherRows(order[start..<end], into: &batchTargets)
                    batchLoss = network.gradient(batchInputs, target: batchTargets, loss: loss, fused: fused, accumulate: false)
                    if measureAccuracy { correct += NetworkOf.correctCount(network.output, batchTargets) }
                } else {
                    batchLoss = network.gradient(wholeInputs, target: training.targets, loss: loss, fused: fused,
                                                 accumulate: false)
                    if measureAccuracy { correct += NetworkOf.correctCount(network.output, training.targets) }
                }
                seen += end - start
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
                    let layer = parallel ? nonFiniteLayer
                        : direct.map { $0.firstNonFiniteActivation(count: end - start) } ?? Self.firstNonFiniteActivation(network)
                    (divergence, failure) = nonFiniteLoss(batchLoss, epoch: epoch, layer: layer)
                    finishedEpoch = false
                    break
                }
                let bad: Int?
                if let sharded {
                    // This process's range only; the weights exchange completes the step.
                    measureGradients(elements: sharded.ownRange)
                    Scalar.step(optimizer, parameters, learningRate: rate, elements: sharded.ownRange)
                    let mine = Self.firstNonFiniteLayer(network, elements: sharded.ownRange)
                    bad = sharded.shareWeights(parameters, squares: &partialSquares, magnitudes: &partialMagnitudes,
                                               nonFiniteLayer: mine)
                    for (l, layer) in network.layers.enumerated() {
                        norms[l] += partialSquares[l].squareRoot()
                        meanAbs[l] += partialMagnitudes[l] / Double(max(layer.weights.gradient.storage.count, 1))
                    }
                } else if let direct {
                    bad = direct.update(learningRate: rate)
                } else {
                    measureGradients()
                    if let maximum = options.clipGradientNorm { Self.clipGradients(parameters, maximumNorm: maximum) }
                    Scalar.step(optimizer, parameters, learningRate: rate, elements: 0..<Int.max)
                    bad = Self.firstNonFiniteLayer(network)
                }
                if let bad {
                    status = .diverged
                    (divergence, failure) = Self.nonFiniteParameter(layer: bad, epoch: epoch)
                    finishedEpoch = false
                    break
                }
                start = end
                if start < training.count && (parallel ? agreedStop : shouldStop()) {
                    status = .interrupted
                    interruptedInsideEpoch = true
                    finishedEpoch = false
                    break
                }
            }

            if let sharded {
                // Every process left the batches at the same step (on the same totals).
                sharded.shareSums(parameters, &gradientSums)
                sharded.shareOptimizerState(optimizer, parameters)
            }
            // Every batch but the last of an epoch is full.
            samplesProcessed += min(batches * batchSize, training.count)
            let divisor = Double(max(batches, 1))
            let epochLoss = lossSum / divisor
            swap(&gradientSums, &lastGradientSums)
            direct?.endEpoch()
            lastBatches = batches
            if epoch == 1 {
                syncDirect()
                firstGradients = lastGradients
            }
            var validationLoss: Double?, validationAccuracy: Double?, trainAccuracy: Double?
            if status != .diverged {
                if let validation {
                    syncDirect()
                    (validationLoss, validationAccuracy) = evaluate(validation, accuracy: measureAccuracy)
                }
                // The samples the epoch's forward passes classified correctly, each before its
                // batch's update (Keras's training accuracy): no extra pass over the data.
                if measureAccuracy { trainAccuracy = seen > 0 ? Double(correct) / Double(seen) : .nan }
            }
            // The record goes straight into history's row (a record of its own holds two arrays).
            func record(_ n: UnsafeBufferPointer<Double>, _ m: UnsafeBufferPointer<Double>) {
                history.append(epoch: epoch, loss: epochLoss, learningRate: rate, gradientNorms: n, gradientMeanAbs: m,
                               divisor: divisor, validationLoss: validationLoss, trainAccuracy: trainAccuracy,
                               validationAccuracy: validationAccuracy,
                               regularization: regularization.isActive ? penaltySum / divisor : nil)
            }
            if let direct {
                record(UnsafeBufferPointer(start: direct.norms, count: layerCount),
                       UnsafeBufferPointer(start: direct.meanAbs, count: layerCount))
            } else {
                norms.withUnsafeBufferPointer { n in meanAbs.withUnsafeBufferPointer { m in record(n, m) } }
            }
            if finishedEpoch, epochLoss > explosionLimit, let baseline {
                syncDirect()
                if let exploded = baseline.explosion(epoch: epoch, loss: epochLoss, network: network) {
                    (status, failure, divergence, finishedEpoch) = (.diverged, exploded.failure, (epoch, exploded.layer), false)
                }
            }
            let summary = EpochSummary(epoch: epoch, loss: epochLoss, validationLoss: validationLoss)
            previous = summary
            nextEpoch = epoch + 1
            if finishedEpoch, let stopping = options.earlyStopping {
                if stopping.restoreBest { syncDirect() }
                if updateEarlyStopping(stopping, summary, parameters) { status = .stoppedEarly }
            }
            onEpoch?(history[history.count - 1])
            if finishedEpoch, let onState {
                syncDirect()
                onState(state)
            }
            if status == .completed && (parallel ? agreedStop : shouldStop()) { status = .interrupted }
        }

        syncDirect()
        let loop = (clock.now - loopStart).components
        let loopSeconds = Double(loop.seconds) + Double(loop.attoseconds) * 1e-18
        let loopExchangeSeconds = self.group.map { Double($0.exchangeNanoseconds - exchangeStart) / 1e9 }

        if let stopping = options.earlyStopping, stopping.restoreBest, status == .completed || status == .stoppedEarly,
           let best = earlyStoppingState.bestParameters {
            for (parameter, values) in zip(parameters, best) { parameter.value.storage = values.map { Scalar($0) } }
        }
        let final = evaluate(training, accuracy: measureAccuracy)
        var outcome = TrainingOutcome(status: status, history: history,
                                      finalLoss: final.loss, finalAccuracy: final.accuracy,
                                      finalValidationLoss: nil, finalValidationAccuracy: nil,
                                      firstEpochGradients: firstGradients, lastEpochGradients: lastGradients,
                                      failure: failure)
        outcome.finalRegularization = regularization.isActive ? regularization.penalty(network) : nil
        outcome.divergedEpoch = divergence?.epoch
        outcome.divergedLayer = divergence?.layer
        outcome.samplesProcessed = samplesProcessed
        outcome.loopSeconds = loopSeconds
        outcome.loopExchangeSeconds = loopExchangeSeconds
        if options.earlyStopping != nil && earlyStoppingState.bestEpoch > 0 { outcome.bestEpoch = earlyStoppingState.bestEpoch }
        if let validation {
            let measured = evaluate(validation, accuracy: measureAccuracy)
            outcome.finalValidationLoss = measured.loss
            outcome.finalValidationAccuracy = measured.accuracy
        }
        return outcome
    }

    /// The epoch loop of `train` for a small network on one full batch that nothing watches
    /// epoch by epoch (no validation part, early stopping, progress or state callback): the same
    /// steps, records and checks, in the same order, without the branches for what is absent,
    /// and with the history and progress in locals (a class's stored property is checked for
    /// exclusive access at every write). For the seed's network every step is an epoch, and the
    /// general loop's bookkeeping was a fifth of it. `DirectStepTests` compares both loops'
    /// results bit for bit.
    private func directEpochs(_ direct: DirectStep<Scalar>, count: Int, explosionLimit: Double, shouldStop: () -> Bool,
                              status: inout TrainingStatus, failure: inout String?, divergence: inout (epoch: Int, layer: Int?)?,
                              samplesProcessed: inout Int) {
        guard nextEpoch <= options.epochs && status == .completed else { return }
        let layerCount = network.layers.count, measureAccuracy = options.measureAccuracy
        let norms = UnsafeBufferPointer(start: direct.norms, count: layerCount)
        let meanAbs = UnsafeBufferPointer(start: direct.meanAbs, count: layerCount)
        var history = self.history, next = nextEpoch, previous = self.previous
        self.history = EpochHistory()
        defer { (self.history, nextEpoch, self.previous) = (history, next, previous) }
        lastBatches = 1
        while next <= options.epochs && status == .completed {
            let epoch = next
            let rate = schedule.rate(epoch: epoch, previous: previous)
            // The epoch's one update starts its statistics and sums from 0 (`first`), so
            // `beginEpoch` is needed only when no update comes.
            let step = direct.gradient(count: count, countCorrect: measureAccuracy)
            var finished = true
            if !step.loss.isFinite {
                direct.beginEpoch()
                status = .diverged
                (divergence, failure) = nonFiniteLoss(step.loss, epoch: epoch, layer: direct.firstNonFiniteActivation(count: count))
                finished = false
            } else if let bad = direct.update(learningRate: rate, first: true) {
                status = .diverged
                (divergence, failure) = Self.nonFiniteParameter(layer: bad, epoch: epoch)
                finished = false
            }
            samplesProcessed += count
            // The general loop's sum over one batch and its mean: (0 + loss) / 1.
            var lossSum = 0.0
            lossSum += step.loss
            let epochLoss = lossSum / 1
            direct.endEpoch()
            if epoch == 1 {
                direct.store(network, lastSums: &lastGradientSums)
                firstGradients = lastGradients
            }
            let trainAccuracy = status != .diverged && measureAccuracy ? (count > 0 ? Double(step.correct) / Double(count) : .nan) : nil
            history.append(epoch: epoch, loss: epochLoss, learningRate: rate, gradientNorms: norms, gradientMeanAbs: meanAbs,
                           divisor: 1, trainAccuracy: trainAccuracy)
            if finished, epochLoss > explosionLimit, let baseline {
                direct.store(network, lastSums: &lastGradientSums)
                if let exploded = baseline.explosion(epoch: epoch, loss: epochLoss, network: network) {
                    (status, failure, divergence) = (.diverged, exploded.failure, (epoch, exploded.layer))
                }
            }
            previous = EpochSummary(epoch: epoch, loss: epochLoss, validationLoss: nil)
            next = epoch + 1
            if status == .completed && shouldStop() { status = .interrupted }
        }
    }

    /// What `diverged` says of a batch loss that is not finite: the first layer whose net input or
    /// output is not finite (`layer`), or the output layer when every layer is finite and the loss
    /// itself overflowed.
    private func nonFiniteLoss(_ loss: Double, epoch: Int, layer: Int?) -> (divergence: (epoch: Int, layer: Int?), failure: String) {
        if let layer {
            return ((epoch, layer), "the loss became \(loss) in epoch \(epoch): the outputs of layer \(layer) are no longer finite")
        }
        let top = network.layers.count
        return ((epoch, top), "the loss became \(loss) in epoch \(epoch): the outputs of layer \(top) are too large for the loss")
    }

    /// What `diverged` says when an update left a weight or bias of `layer` not finite.
    private static func nonFiniteParameter(layer: Int, epoch: Int) -> (divergence: (epoch: Int, layer: Int?), failure: String) {
        ((epoch, layer), "a weight or bias of layer \(layer) became NaN or infinite in epoch \(epoch)")
    }

    /// A data-parallel step's forward and backward pass over this process's share of the
    /// positions `batch` of the sample order, then the exchange: afterwards the gradients, the
    /// loss and the correct count are the whole batch's, as one process would have computed them
    /// up to the order of the sums. `stop` is this process's stop request.
    private func sharedGradient(_ training: DatasetOf<Scalar>, _ batch: Range<Int>, exchange: StepExchange<Scalar>?,
                                sharded: ShardedStep<Scalar>?,
                                fused: (any FusedOutputLoss)?, stop: Bool) -> StepTotals {
        let share = group!.share(of: batch)
        var value = 0.0, correct = 0, nonFinite: Int?
        if !share.isEmpty {
            training.gatherInputs(order[share], into: &batchInputs)
            training.targets.gatherRows(order[share], into: &batchTargets)
            value = network.gradient(batchInputs, target: batchTargets, loss: loss, fused: fused, accumulate: false)
            if options.measureAccuracy { correct = NetworkOf.correctCount(network.output, batchTargets) }
            if !value.isFinite { nonFinite = Self.firstNonFiniteActivation(network) }
        }
        if let sharded {
            return sharded.reduce(network.parameters, share: share.count, of: batch.count, loss: value, correct: correct,
                                  stop: stop, nonFiniteLayer: nonFinite)
        }
        return exchange!.reduce(network.parameters, share: share.count, of: batch.count, loss: value, correct: correct,
                               stop: stop, nonFiniteLayer: nonFinite)
    }

    /// Mean loss on `data` plus the regularization penalty (what training minimises) and, when
    /// asked, the accuracy: one pass over the data.
    func evaluate(_ data: DatasetOf<Scalar>, accuracy: Bool) -> (loss: Double, accuracy: Double?) {
        let penalty = options.regularization.isActive ? options.regularization.penalty(network) : 0
        let measured: (loss: Double, accuracy: Double?)
        if let group, group.size > 1, data.count > 0 {
            measured = sharedEvaluation(data, accuracy: accuracy, group: group)
        } else {
            measured = network.evaluate(on: data, loss: loss, accuracy: accuracy)
        }
        return (measured.loss + penalty, measured.accuracy)
    }

    /// `NetworkOf.evaluate` split over the group: each process sums the loss and the correct
    /// count over its share of the samples, one exchange adds the shares in rank order.
    private func sharedEvaluation(_ data: DatasetOf<Scalar>, accuracy: Bool, group: any ProcessGroup) -> (loss: Double, accuracy: Double?) {
        let share = group.share(of: 0..<data.count)
        let part = network.sums(on: data, rows: share, loss: loss, accuracy: accuracy)
        let mine = [part.loss, Double(part.correct)]
        var all = [Double](repeating: 0, count: 2 * group.size)
        mine.withUnsafeBytes { bytes in all.withUnsafeMutableBytes { group.allGather(bytes, into: $0) } }
        var total = 0.0, correct = 0.0
        for r in 0..<group.size {
            total += all[2 * r]
            correct += all[2 * r + 1]
        }
        let count = Double(data.count)
        return (total / count, accuracy ? correct / count : nil)
    }

    /// Mean loss on `data` plus the regularization penalty (what training minimises).
    func objective(on data: DatasetOf<Scalar>) -> Double { evaluate(data, accuracy: false).loss }

    /// Takes the epoch's summary into early stopping's bookkeeping; true when training should stop.
    private func updateEarlyStopping(_ stopping: EarlyStopping, _ summary: EpochSummary, _ parameters: [ParameterOf<Scalar>]) -> Bool {
        let x = stopping.monitor.value(of: summary)
        if x < earlyStoppingState.best - stopping.minDelta {
            earlyStoppingState.best = x
            earlyStoppingState.bestEpoch = summary.epoch
            earlyStoppingState.wait = 0
            if stopping.restoreBest { earlyStoppingState.bestParameters = parameters.map { $0.value.storage.map { Double($0) } } }
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
    private func measureGradients() {
        for (l, layer) in network.layers.enumerated() {
            let count = layer.weights.gradient.storage.count
            let (squares, magnitudes) = layer.weights.gradient.storage.withUnsafeBufferPointer { g in
                gradientSums[l].storage.withUnsafeMutableBufferPointer { sum in
                    Scalar.squaresAndMagnitudes(g, addingTo: sum)
                }
            }
            norms[l] += Double(squares.squareRoot())
            meanAbs[l] += Double(magnitudes / Scalar(max(count, 1)))
        }
    }

    /// `measureGradients` on the weights' elements in `elements` (places in the parameters'
    /// concatenation): their Σg² and Σ|g| per layer into `partialSquares` and
    /// `partialMagnitudes`, and the gradients into `gradientSums` there.
    private func measureGradients(elements: Range<Int>) {
        for l in 0..<partialSquares.count {
            partialSquares[l] = 0
            partialMagnitudes[l] = 0
        }
        for (index, parameter, part) in ParameterParts(network.parameters, elements) where index % 2 == 0 && !part.isEmpty {
            let l = index / 2
            let (squares, magnitudes) = parameter.gradient.storage.withUnsafeBufferPointer { g in
                gradientSums[l].storage.withUnsafeMutableBufferPointer { sum in
                    Scalar.squaresAndMagnitudes(UnsafeBufferPointer(rebasing: g[part]),
                                                addingTo: UnsafeMutableBufferPointer(rebasing: sum[part]))
                }
            }
            partialSquares[l] = Double(squares)
            partialMagnitudes[l] = Double(magnitudes)
        }
    }

    /// torch.nn.utils.clip_grad_norm_: total = ‖(‖g₁‖₂, ‖g₂‖₂, ...)‖₂ over the trainable
    /// parameters; when c = max / (total + 1e-6) < 1 every gradient is multiplied by c.
    /// Returns the total norm before clipping.
    @discardableResult
    public static func clipGradients(_ parameters: [ParameterOf<Scalar>], maximumNorm: Double) -> Double {
        var squares = 0.0
        for parameter in parameters where parameter.isTrainable {
            var sum: Scalar = 0
            parameter.gradient.storage.withUnsafeBufferPointer { g in
                for v in g { sum += v * v }
            }
            let norm = Double(sum.squareRoot())
            squares += norm * norm
        }
        let total = squares.squareRoot()
        let coefficient = maximumNorm / (total + 1e-6)
        if coefficient < 1 {
            let factor = Scalar(coefficient)
            for parameter in parameters where parameter.isTrainable {
                parameter.gradient.storage.withUnsafeMutableBufferPointer { g in
                    for i in g.indices { g[i] *= factor }
                }
            }
        }
        return total
    }

    /// The 1-based number of the first layer whose cached net input or output holds a NaN or
    /// infinity after a forward pass, if any.
    static func firstNonFiniteActivation(_ network: NetworkOf<Scalar>) -> Int? {
        for (l, layer) in network.layers.enumerated() where !allFinite(layer.net) || !allFinite(layer.output) {
            return l + 1
        }
        return nil
    }

    /// The 1-based number of the first layer with a NaN or infinite weight or bias, if any.
    static func firstNonFiniteLayer(_ network: NetworkOf<Scalar>) -> Int? {
        firstNonFiniteLayer(network, elements: 0..<Int.max)
    }

    /// `firstNonFiniteLayer` over the places `elements` of the parameters' concatenation
    /// (W1, b1, W2, ..., so parameter i belongs to layer i/2 + 1).
    static func firstNonFiniteLayer(_ network: NetworkOf<Scalar>, elements: Range<Int>) -> Int? {
        for (index, parameter, part) in ParameterParts(network.parameters, elements) where !part.isEmpty {
            let finite = parameter.value.storage.withUnsafeBufferPointer { Scalar.allFinite(UnsafeBufferPointer(rebasing: $0[part])) }
            if !finite { return index / 2 + 1 }
        }
        return nil
    }

    /// Whether every element is finite (this runs after every step).
    static func allFinite(_ m: MatrixOf<Scalar>) -> Bool {
        m.storage.withUnsafeBufferPointer { Scalar.allFinite($0) }
    }
}
