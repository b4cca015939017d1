import XCTest
@testable import BackpropCore

/// `DirectStep`, the plain-loop step of small networks, against the layer path it replaces:
/// both do the same arithmetic in the same order, so every number of a run (history, final
/// loss, parameters, gradients, states, failure texts) must be bit-identical between them, in
/// every situation the trainer handles around a step.
final class DirectStepTests: XCTestCase {
    /// A network of the given widths, all layers' activations from `activations` in turn.
    static func network<Scalar: TrainingScalar>(_ widths: [Int], _ activations: [any Activation], seed: UInt64,
                                                frozenBias: Bool = false) -> NetworkOf<Scalar> {
        var g = SeededGenerator(seed: seed)
        let layers = (1..<widths.count).map { l in
            DenseLayerOf<Scalar>(index: l, weights: MatrixOf(rows: widths[l - 1], columns: widths[l],
                                                              storage: (0..<(widths[l - 1] * widths[l])).map { _ in Scalar(g.uniform(-1, 1)) }),
                                 bias: (0..<widths[l]).map { _ in Scalar(g.uniform(-0.5, 0.5)) },
                                 activation: activations[(l - 1) % activations.count], trainBias: !frozenBias)
        }
        return NetworkOf(inputCount: widths[0], layers: layers)
    }

    static func data<Scalar: TrainingScalar>(samples: Int, inputs: Int, outputs: Int, seed: UInt64) -> DatasetOf<Scalar> {
        var g = SeededGenerator(seed: seed)
        let x = (0..<(samples * inputs)).map { _ in Scalar(g.uniform(-1, 1)) }
        // One-hot-like targets, so accuracy means something.
        var y = [Scalar](repeating: 0, count: samples * outputs)
        for r in 0..<samples { y[r * outputs + (r * 7 + 3) % outputs] = 1 }
        return DatasetOf(inputs: MatrixOf(rows: samples, columns: inputs, storage: x),
                         targets: MatrixOf(rows: samples, columns: outputs, storage: y))
    }

    struct Run<Scalar: TrainingScalar> {
        var outcome: TrainingOutcome
        var parameters: [[Scalar]]
        var states: [TrainingState]
        var resumable: TrainingState
        var trainer: TrainerOf<Scalar>
    }

    /// Trains a fresh network twice, through the direct step and through the layer path.
    static func both<Scalar: TrainingScalar>(
        _ make: () -> NetworkOf<Scalar>, data: DatasetOf<Scalar>, validation: DatasetOf<Scalar>? = nil,
        loss: any Loss = HalfSquaredError(), schedule: () -> any LearningRateSchedule = { ConstantRate(0.5) },
        options: TrainingOptions, stopAfterPolls: Int? = nil, resumeFrom: TrainingState? = nil, watchStates: Bool = true
    ) throws -> (direct: Run<Scalar>, layers: Run<Scalar>) {
        func run(direct: Bool) throws -> Run<Scalar> {
            let trainer = TrainerOf(network: make(), loss: loss, optimizer: SGD(), schedule: schedule(), options: options,
                                    generator: SeededGenerator(seed: 12))
            trainer.allowsDirectStep = direct
            var polls = 0
            var states: [TrainingState] = []
            // Without a state callback (and validation, early stopping) a full batch trains through
            // `directEpochs`, the lean epoch loop.
            let outcome = try trainer.train(data, validation: validation, resumingFrom: resumeFrom, shouldStop: {
                polls += 1
                return polls == stopAfterPolls
            }, onState: watchStates ? { states.append($0) } : nil)
            return Run(outcome: outcome, parameters: trainer.network.parameters.map(\.value.storage), states: states,
                       resumable: trainer.resumableState, trainer: trainer)
        }
        return (try run(direct: true), try run(direct: false))
    }

    /// Every number of the two runs, compared through their bit patterns (NaN included).
    static func assertIdentical<Scalar: TrainingScalar>(_ a: Run<Scalar>, _ b: Run<Scalar>, file: StaticString = #filePath,
                                                        line: UInt = #line) {
        func bits(_ x: Double?) -> UInt64? { x?.bitPattern }
        let (x, y) = (a.outcome, b.outcome)
        XCTAssertEqual(x.status, y.status, file: file, line: line)
        XCTAssertEqual(x.failure, y.failure, file: file, line: line)
        XCTAssertEqual(x.divergedEpoch, y.divergedEpoch, file: file, line: line)
        XCTAssertEqual(x.divergedLayer, y.divergedLayer, file: file, line: line)
        XCTAssertEqual(x.bestEpoch, y.bestEpoch, file: file, line: line)
        XCTAssertEqual(x.samplesProcessed, y.samplesProcessed, file: file, line: line)
        XCTAssertEqual(bits(x.finalLoss), bits(y.finalLoss), file: file, line: line)
        XCTAssertEqual(bits(x.finalAccuracy), bits(y.finalAccuracy), file: file, line: line)
        XCTAssertEqual(bits(x.finalValidationLoss), bits(y.finalValidationLoss), file: file, line: line)
        XCTAssertEqual(x.history.count, y.history.count, file: file, line: line)
        for (r, s) in zip(x.history, y.history) {
            let fields: [Double?] = [r.loss, r.learningRate, r.validationLoss, r.trainAccuracy, r.validationAccuracy] + r.gradientNorms + r.gradientMeanAbs
            let others: [Double?] = [s.loss, s.learningRate, s.validationLoss, s.trainAccuracy, s.validationAccuracy] + s.gradientNorms + s.gradientMeanAbs
            XCTAssertEqual(fields.map(bits), others.map(bits), "epoch \(r.epoch)", file: file, line: line)
        }
        XCTAssertEqual(a.parameters.map { $0.map { Double($0).bitPattern } }, b.parameters.map { $0.map { Double($0).bitPattern } },
                       file: file, line: line)
        XCTAssertEqual(x.firstEpochGradients.map { $0.storage.map(\.bitPattern) }, y.firstEpochGradients.map { $0.storage.map(\.bitPattern) },
                       file: file, line: line)
        XCTAssertEqual(x.lastEpochGradients.map { $0.storage.map(\.bitPattern) }, y.lastEpochGradients.map { $0.storage.map(\.bitPattern) },
                       file: file, line: line)
        XCTAssertEqual(a.states.count, b.states.count, file: file, line: line)
        if x.status != .diverged {
            XCTAssertEqual(a.states, b.states, file: file, line: line)
            XCTAssertEqual(a.resumable, b.resumable, file: file, line: line)
        }
    }

    func testTheSeedNetworkTakesTheDirectStepAndAgreesBitForBit() throws {
        let seed: () -> Network = {
            Network(inputCount: 2, layers: [
                DenseLayer(index: 1, weights: Matrix([[0.15, 0.25], [0.20, 0.30]]), bias: [0.35, 0.35], activation: Sigmoid(), trainBias: false),
                DenseLayer(index: 2, weights: Matrix([[0.40, 0.50], [0.45, 0.55]]), bias: [0.60, 0.60], activation: Sigmoid(), trainBias: false),
            ])
        }
        let data = Dataset(inputs: Matrix([[0.05, 0.10]]), targets: Matrix([[0.01, 0.99]]))
        let options = TrainingOptions(epochs: 300)
        XCTAssertNotNil(DirectStep(network: seed(), loss: HalfSquaredError(), optimizer: SGD(), options: options, batchSize: 1))
        let (direct, layers) = try Self.both(seed, data: data, options: options)
        Self.assertIdentical(direct, layers)
        // The lean epoch loop (no state callback), and one stopped after 120 epochs and resumed.
        let (lean, reference) = try Self.both(seed, data: data, options: options, watchStates: false)
        Self.assertIdentical(lean, reference)
        XCTAssertEqual(lean.outcome.history.count, 300)
        // The two epoch loops of the direct step agree too.
        XCTAssertEqual(lean.outcome.history, direct.outcome.history)
        XCTAssertEqual(lean.parameters, direct.parameters)
        XCTAssertEqual(lean.outcome.lastEpochGradients, direct.outcome.lastEpochGradients)
        let (stopped, stoppedReference) = try Self.both(seed, data: data, options: options, stopAfterPolls: 120, watchStates: false)
        Self.assertIdentical(stopped, stoppedReference)
        XCTAssertEqual(stopped.outcome.status, .interrupted)
        XCTAssertEqual(stopped.resumable.nextEpoch, 121)
        let (resumed, resumedReference) = try Self.both(seed, data: data, options: options, resumeFrom: stopped.resumable,
                                                        watchStates: false)
        Self.assertIdentical(resumed, resumedReference)
        // Resumed, the run ends exactly where the uninterrupted one did.
        XCTAssertEqual(resumed.outcome.history, lean.outcome.history)
        XCTAssertEqual(resumed.parameters, lean.parameters)
        XCTAssertEqual(resumed.outcome.finalLoss, lean.outcome.finalLoss)
        // The worked example's first step, as the seed derives it: E = 0.298371108760003. Four
        // exp calls (each within 1 ulp in any libm) and a dozen roundings stand between the inputs
        // and E, a few ulps of 0.3 (5.6e-17 each): 1e-15 leaves room for every CPU's libm.
        XCTAssertEqual(direct.outcome.history[0].loss, 0.29837110876000272, accuracy: 1e-15)
        XCTAssertLessThan(direct.outcome.finalLoss, direct.outcome.history[0].loss / 10)
    }

    /// Mini-batches with a shuffle, a validation part, accuracy, four kinds of activation
    /// (`.other` included), mse, a schedule that changes the rate, and a state every epoch.
    func testMiniBatchesValidationAccuracyAndEveryActivationKindAgree() throws {
        let activations: [any Activation] = [Tanh(), ReLU(), ELU(alpha: 0.7), Linear(), Sigmoid(), Softplus()]
        for precision in 0..<2 {
            let options = TrainingOptions(epochs: 25, batchSize: 4, shuffle: true, measureAccuracy: true)
            let schedule: () -> any LearningRateSchedule = { ExponentialRate(0.3, gamma: 0.95) }
            if precision == 0 {
                let make: () -> Network = { Self.network([3, 6, 5, 4, 6, 3, 3], activations, seed: 4) }
                XCTAssertNotNil(DirectStep(network: make(), loss: MeanSquaredError(), optimizer: SGD(), options: options, batchSize: 4))
                let (direct, layers) = try Self.both(make, data: Self.data(samples: 11, inputs: 3, outputs: 3, seed: 1),
                                                     validation: Self.data(samples: 5, inputs: 3, outputs: 3, seed: 2),
                                                     loss: MeanSquaredError(), schedule: schedule, options: options)
                Self.assertIdentical(direct, layers)
                XCTAssertEqual(direct.states.count, 25)
                XCTAssertNotNil(direct.outcome.history[24].validationLoss)
            } else {
                let make: () -> NetworkOf<Float> = { Self.network([3, 6, 5, 4, 6, 3, 3], activations, seed: 4) }
                let (direct, layers) = try Self.both(make, data: Self.data(samples: 11, inputs: 3, outputs: 3, seed: 1),
                                                     validation: Self.data(samples: 5, inputs: 3, outputs: 3, seed: 2),
                                                     loss: MeanSquaredError(), schedule: schedule, options: options)
                Self.assertIdentical(direct, layers)
            }
        }
    }

    func testEarlyStoppingWithRestoreBestAgrees() throws {
        let options = TrainingOptions(epochs: 400, batchSize: 3, shuffle: true,
                                      earlyStopping: EarlyStopping(monitor: .validationLoss, patience: 5, restoreBest: true))
        let make: () -> Network = { Self.network([2, 4, 2], [Sigmoid()], seed: 6) }
        let (direct, layers) = try Self.both(make, data: Self.data(samples: 9, inputs: 2, outputs: 2, seed: 3),
                                             validation: Self.data(samples: 4, inputs: 2, outputs: 2, seed: 4),
                                             schedule: { ConstantRate(2) }, options: options)
        Self.assertIdentical(direct, layers)
        XCTAssertEqual(direct.outcome.status, .stoppedEarly)
    }

    /// A loss that explodes while finite (the divergence rule reads the weights), and one that
    /// overflows to infinity (the first non-finite layer is named from the direct step's buffers).
    func testBothWaysOfDivergingAgree() throws {
        for (rate, linear) in [(40.0, true), (1e200, false)] {
            let make: () -> Network = { Self.network([2, 3, 2], linear ? [Linear()] : [Tanh(), Linear()], seed: 5) }
            for watchStates in [true, false] {
                let (direct, layers) = try Self.both(make, data: Self.data(samples: 6, inputs: 2, outputs: 2, seed: 5),
                                                     schedule: { ConstantRate(rate) }, options: TrainingOptions(epochs: 200, measureAccuracy: true),
                                                     watchStates: watchStates)
                Self.assertIdentical(direct, layers)
                XCTAssertEqual(direct.outcome.status, .diverged, "rate \(rate)")
                XCTAssertNotNil(direct.outcome.divergedLayer)
            }
        }
    }

    /// Interrupted between two batches, and resumed from the state it left: the same states,
    /// and the same end, either way.
    func testAnInterruptedAndResumedRunAgrees() throws {
        let make: () -> Network = { Self.network([2, 5, 2], [Tanh(), Sigmoid()], seed: 7) }
        let data: Dataset = Self.data(samples: 10, inputs: 2, outputs: 2, seed: 6)
        let options = TrainingOptions(epochs: 12, batchSize: 3, shuffle: true)
        let (direct, layers) = try Self.both(make, data: data, options: options, stopAfterPolls: 14)
        Self.assertIdentical(direct, layers)
        XCTAssertEqual(direct.outcome.status, .interrupted)
        let (resumedDirect, resumedLayers) = try Self.both(make, data: data, options: options, resumeFrom: direct.resumable)
        Self.assertIdentical(resumedDirect, resumedLayers)
        XCTAssertEqual(resumedDirect.outcome.history.count, 12)
    }

    /// What the direct step does not do takes the layer path.
    func testConfigurationsOutsideTheDirectStepTakeTheLayerPath() {
        let small: Network = Self.network([2, 3, 2], [Sigmoid()], seed: 1)
        let plain = TrainingOptions(epochs: 1)
        XCTAssertNil(DirectStep(network: small, loss: CrossEntropy(), optimizer: SGD(), options: plain, batchSize: 4))
        XCTAssertNil(DirectStep(network: small, loss: HalfSquaredError(), optimizer: Adam(), options: plain, batchSize: 4))
        XCTAssertNil(DirectStep(network: small, loss: HalfSquaredError(), optimizer: SGD(momentum: 0.9), options: plain, batchSize: 4))
        XCTAssertNil(DirectStep(network: small, loss: HalfSquaredError(), optimizer: SGD(), options: plain,
                                batchSize: BLAS.directLimit / 6 + 1))
        XCTAssertNil(DirectStep(network: small, loss: HalfSquaredError(), optimizer: SGD(),
                                options: TrainingOptions(epochs: 1, clipGradientNorm: 1), batchSize: 4))
        XCTAssertNil(DirectStep(network: small, loss: HalfSquaredError(), optimizer: SGD(),
                                options: TrainingOptions(epochs: 1, regularization: Regularization(l2: 0.1)), batchSize: 4))
        let softmax: Network = Self.network([2, 3, 2], [Sigmoid(), Softmax()], seed: 1)
        XCTAssertNil(DirectStep(network: softmax, loss: HalfSquaredError(), optimizer: SGD(), options: plain, batchSize: 4))
        XCTAssertNotNil(DirectStep(network: small, loss: HalfSquaredError(), optimizer: SGD(), options: plain,
                                   batchSize: BLAS.directLimit / 6))
    }
}

/// `EpochHistory`, the column store of a run's records.
final class EpochHistoryTests: XCTestCase {
    static let records = [
        EpochRecord(epoch: 1, loss: 0.5, learningRate: 0.1, gradientNorms: [1, 2], gradientMeanAbs: [0.25, 0.5]),
        EpochRecord(epoch: 2, loss: 0.25, learningRate: 0.1, gradientNorms: [3, 4], gradientMeanAbs: [0.75, 1],
                    validationLoss: 0.375, trainAccuracy: 0.5),
        EpochRecord(epoch: 3, loss: .nan, learningRate: 0.05, gradientNorms: [.infinity, 6], gradientMeanAbs: [1.25, 1.5],
                    regularization: 0.125),
        EpochRecord(epoch: 4, loss: 0.125, learningRate: 0.05, gradientNorms: [7, 8], gradientMeanAbs: [1.75, 2],
                    validationLoss: 0.5, validationAccuracy: 1),
    ]

    func testRecordsComeBackAsTheyWentIn() {
        let history = EpochHistory(Self.records)
        XCTAssertEqual(history.count, 4)
        XCTAssertEqual(history[0], Self.records[0])
        XCTAssertEqual(history[1], Self.records[1])
        XCTAssertTrue(history[2].loss.isNaN)
        XCTAssertEqual(history[2].gradientNorms, [.infinity, 6])
        XCTAssertEqual(history[2].regularization, 0.125)
        XCTAssertNil(history[2].validationLoss)
        XCTAssertEqual(history[3], Self.records[3])
        XCTAssertNil(history[0].validationLoss)
        XCTAssertNil(history[0].regularization)
        XCTAssertEqual(history.column(\.epoch), [1, 2, 3, 4])
        XCTAssertEqual(history.gradientMeanAbs(3, layer: 1), 2)
        XCTAssertTrue(history.hasValidationLoss && history.hasTrainAccuracy && history.hasValidationAccuracy && history.hasRegularization)
        XCTAssertFalse(EpochHistory(Self.records.prefix(1)).hasValidationLoss)
        XCTAssertEqual(Array(history.prefix(2)), Array(Self.records.prefix(2)))
        XCTAssertEqual(history.prefix(-1).count, 0)
        XCTAssertEqual(history.prefix(9).count, 4)
    }

    /// The columns read straight from the rows equal the records' own fields, optional columns
    /// that start after the first epoch included (NaN compared by its bits).
    func testColumnsEqualTheRecordsFields() {
        let history = EpochHistory(Self.records)
        func same(_ a: [Double?], _ b: [Double?], _ name: String) {
            XCTAssertEqual(a.map { $0?.bitPattern }, b.map { $0?.bitPattern }, name)
        }
        XCTAssertEqual(history.column(\.epoch), Self.records.map(\.epoch))
        same(history.column(\.loss), Self.records.map(\.loss), "loss")
        same(history.column(\.learningRate), Self.records.map(\.learningRate), "lr")
        same(history.column(\.validationLoss), [nil, 0.375, nil, 0.5], "validationLoss")
        same(history.column(\.trainAccuracy), [nil, 0.5, nil, nil], "trainAccuracy")
        same(history.column(\.validationAccuracy), [nil, nil, nil, 1], "validationAccuracy")
        same(history.column(\.regularization), [nil, nil, 0.125, nil], "regularization")
        // A field without a stored column goes through the records (their gradients are empty there).
        XCTAssertEqual(history.column(\.gradientNorms), [[], [], [], []])
        XCTAssertEqual(EpochHistory().column(\.loss), [])
    }

    /// Encoded as the array of records it stands for: checkpoints read either way.
    func testItEncodesAsAnArrayOfRecords() throws {
        let finite = EpochHistory([Self.records[0], Self.records[1], Self.records[3]])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let asHistory = try encoder.encode(finite)
        XCTAssertEqual(asHistory, try encoder.encode([Self.records[0], Self.records[1], Self.records[3]]))
        XCTAssertEqual(try JSONDecoder().decode(EpochHistory.self, from: asHistory), finite)
    }
}
