import XCTest
@testable import BackpropCore

/// The training loop's control: early stopping, restore_best, regularization, clipping,
/// mini-batches, determinism and exact resumption from a TrainingState.
final class TrainerTests: XCTestCase {
    /// The finiteness check reads four elements a turn and the rest one by one: a NaN or an
    /// infinity at any position of any length, the tail included, is found, and finite values
    /// (huge ones too, whose products with 0 are still 0) pass.
    func testTheFinitenessCheckFindsANonFiniteValueAtEveryPosition() {
        for count in 1...9 {
            let finite = MatrixOf<Float>(rows: 1, columns: count, storage: (0..<count).map { .greatestFiniteMagnitude / 9 * Float($0) })
            XCTAssertTrue(TrainerOf<Float>.allFinite(finite), "\(count) finite values")
            for position in 0..<count {
                for bad in [Double.nan, .infinity, -.infinity] {
                    var values = [Double](repeating: 1, count: count)
                    values[position] = bad
                    XCTAssertFalse(TrainerOf<Double>.allFinite(MatrixOf(rows: 1, columns: count, storage: values)),
                                   "\(bad) at \(position) of \(count)")
                }
            }
        }
        XCTAssertTrue(TrainerOf<Double>.allFinite(MatrixOf(rows: 0, columns: 0)))
    }

    /// 40 noisy samples of y = sin(2x) on [−2, 2], 1 input, 1 output.
    static func data(seed: UInt64 = 5) -> Dataset {
        var g = SeededGenerator(seed: seed)
        var x: [Double] = [], y: [Double] = []
        for i in 0..<40 {
            let v = -2 + 4 * Double(i) / 39
            x.append(v)
            y.append(sin(2 * v) + 0.1 * g.normal())
        }
        return Dataset(inputs: Matrix(rows: 40, columns: 1, storage: x), targets: Matrix(rows: 40, columns: 1, storage: y))
    }

    static func network(seed: UInt64 = 9) -> Network {
        var g = SeededGenerator(seed: seed)
        return Network(inputCount: 1, layers: [
            DenseLayer(index: 1, weights: Matrix(rows: 1, columns: 16, storage: XavierUniform().weights(fanIn: 1, fanOut: 16, using: &g)),
                       bias: Array(repeating: 0, count: 16), activation: Tanh()),
            DenseLayer(index: 2, weights: Matrix(rows: 16, columns: 1, storage: XavierUniform().weights(fanIn: 16, fanOut: 1, using: &g)),
                       bias: [0], activation: Linear()),
        ])
    }

    static func trainer(_ options: TrainingOptions, optimizer: any Optimizer = Adam(),
                        schedule: any LearningRateSchedule = ConstantRate(0.01)) -> Trainer {
        Trainer(network: network(), loss: MeanSquaredError(), optimizer: optimizer, schedule: schedule,
                options: options, generator: SeededGenerator(seed: 77))
    }

    func testEarlyStoppingFiresAfterPatienceEpochsWithoutImprovement() throws {
        // A rate so large that Adam oscillates: the loss stops improving quickly.
        let options = TrainingOptions(epochs: 500, earlyStopping: EarlyStopping(monitor: .loss, patience: 3, minDelta: 0.001))
        let trainer = Self.trainer(options, schedule: ConstantRate(0.5))
        let outcome = trainer.train(Self.data())
        XCTAssertEqual(outcome.status, .stoppedEarly)
        let best = try XCTUnwrap(outcome.bestEpoch)
        XCTAssertEqual(outcome.history.count, best + 3)
        // Every epoch after the best failed to beat it by min_delta.
        let bestLoss = outcome.history[best - 1].loss
        for record in outcome.history[best...] { XCTAssertGreaterThanOrEqual(record.loss, bestLoss - 0.001) }
    }

    func testRestoreBestPutsBackTheBestEpochsParameters() throws {
        let data = Self.data()
        let validation = Self.data(seed: 6)
        let stopping = EarlyStopping(monitor: .validationLoss, patience: 4, restoreBest: true)
        let trainer = Self.trainer(TrainingOptions(epochs: 300, earlyStopping: stopping), schedule: ConstantRate(0.3))
        var snapshots: [Int: [[Double]]] = [:]
        let outcome = trainer.train(data, validation: validation, onState: { state in
            snapshots[state.nextEpoch - 1] = state.parameters
        })
        XCTAssertEqual(outcome.status, .stoppedEarly)
        let best = try XCTUnwrap(outcome.bestEpoch)
        XCTAssertLessThan(best, outcome.history.count)
        XCTAssertEqual(trainer.network.parameters.map(\.value.storage), snapshots[best])
        XCTAssertEqual(outcome.finalValidationLoss, outcome.history[best - 1].validationLoss)
    }

    func testRegularizationIsAddedToTheLossAndReported() {
        let plain = Self.trainer(TrainingOptions(epochs: 1)).train(Self.data())
        let l2 = Regularization(l2: 0.1)
        let trainer = Self.trainer(TrainingOptions(epochs: 1, regularization: l2))
        let penalty = l2.penalty(trainer.network)
        let regularized = trainer.train(Self.data())
        let record = regularized.history[0]
        XCTAssertEqual(record.regularization, penalty)
        XCTAssertEqual(record.loss, plain.history[0].loss + penalty, accuracy: 1e-15)
        XCTAssertEqual(regularized.finalRegularization, l2.penalty(trainer.network))
        XCTAssertNil(plain.history[0].regularization)
        // Strong L1 drives weights towards zero.
        let sparse = Self.trainer(TrainingOptions(epochs: 300, regularization: Regularization(l1: 0.05)))
        _ = sparse.train(Self.data())
        let small = sparse.network.layers[0].weights.value.storage.filter { abs($0) < 0.02 }.count
        XCTAssertGreaterThan(small, 4)
    }

    func testClipGradNormAsPyTorch() {
        let w = Parameter(name: "W1", value: Matrix([[0, 0]]))
        let b = Parameter(name: "b1", value: Matrix([[0]]))
        let frozen = Parameter(name: "W2", value: Matrix([[0]]), isTrainable: false)
        w.gradient = Matrix([[3, 0]]); b.gradient = Matrix([[4]]); frozen.gradient = Matrix([[100]])
        let total = Trainer.clipGradients([w, b, frozen], maximumNorm: 1)
        XCTAssertEqual(total, 5)
        let c = 1 / (5 + 1e-6)
        XCTAssertEqual(w.gradient.storage, [3 * c, 0])
        XCTAssertEqual(b.gradient.storage, [4 * c])
        XCTAssertEqual(frozen.gradient.storage, [100])
        // Below the limit nothing changes.
        Trainer.clipGradients([w, b], maximumNorm: 10)
        XCTAssertEqual(b.gradient.storage, [4 * c])
    }

    func testMiniBatchesShuffleWithTheSeedAndTwoRunsAreIdentical() {
        let options = TrainingOptions(epochs: 20, batchSize: 8, shuffle: true)
        let a = Self.trainer(options).train(Self.data())
        let trainerB = Self.trainer(options)
        let b = trainerB.train(Self.data())
        XCTAssertEqual(a.history, b.history)
        XCTAssertEqual(a.finalLoss, b.finalLoss)
        XCTAssertEqual(trainerB.state, Self.trainer(options).trainedState(Self.data()))
        // Shuffling changes the trajectory compared with a fixed order.
        let fixed = Self.trainer(TrainingOptions(epochs: 20, batchSize: 8, shuffle: false)).train(Self.data())
        XCTAssertNotEqual(a.history.last?.loss, fixed.history.last?.loss)
    }

    func testResumingFromAnyEpochIsBitIdentical() throws {
        let options = TrainingOptions(epochs: 12, batchSize: 7, shuffle: true,
                                      earlyStopping: EarlyStopping(monitor: .loss, patience: 50, restoreBest: true),
                                      clipGradientNorm: 1, regularization: Regularization(l1: 0.001, l2: 0.001))
        let schedule = { ReduceOnPlateau(0.05, monitor: .loss, factor: 0.5, patience: 1) as any LearningRateSchedule }
        let whole = Self.trainer(options, optimizer: Adam(), schedule: schedule())
        var states: [TrainingState] = []
        let uninterrupted = whole.train(Self.data(), onState: { states.append($0) })
        XCTAssertEqual(states.count, 12)
        for cut in [1, 5, 11] {
            let resumed = Self.trainer(options, optimizer: Adam(), schedule: schedule())
            let outcome = try resumed.train(Self.data(), resumingFrom: states[cut - 1])
            XCTAssertEqual(outcome.history, uninterrupted.history, "resumed after epoch \(cut)")
            XCTAssertEqual(outcome.finalLoss, uninterrupted.finalLoss)
            XCTAssertEqual(resumed.network.parameters.map(\.value.storage), whole.network.parameters.map(\.value.storage))
        }
    }

    func testInterruptionAtAnEpochBoundaryResumesExactly() throws {
        let options = TrainingOptions(epochs: 6, batchSize: 10, shuffle: true)
        let whole = Self.trainer(options, optimizer: SGD(momentum: 0.9))
        let reference = whole.train(Self.data())
        let first = Self.trainer(options, optimizer: SGD(momentum: 0.9))
        var epochsSeen = 0
        let stopped = first.train(Self.data(), shouldStop: { epochsSeen >= 2 }, onEpoch: { _ in epochsSeen += 1 })
        XCTAssertEqual(stopped.status, .interrupted)
        XCTAssertEqual(stopped.history.count, 2)
        let second = Self.trainer(options, optimizer: SGD(momentum: 0.9))
        let rest = try second.train(Self.data(), resumingFrom: first.state)
        XCTAssertEqual(rest.history, reference.history)
    }

    func testSamplesProcessedCountsWholeEpochsAndTheBatchesOfACutShortOne() throws {
        // 40 samples in batches of 16: 16 + 16 + 8. shouldStop is polled after every batch but an
        // epoch's last and once after each epoch, so 3 polls an epoch; stopping at poll 8 ends
        // epoch 3 after its second batch: 2 × 40 + 2 × 16 = 112 samples.
        let options = TrainingOptions(epochs: 5, batchSize: 16)
        var polls = 0
        let stopped = Self.trainer(options).train(Self.data(), shouldStop: { polls += 1; return polls == 8 })
        XCTAssertEqual(stopped.status, .interrupted)
        XCTAssertEqual(stopped.history.count, 3)
        XCTAssertEqual(stopped.samplesProcessed, 112)

        let whole = Self.trainer(options)
        var states: [TrainingState] = []
        XCTAssertEqual(whole.train(Self.data(), onState: { states.append($0) }).samplesProcessed, 5 * 40)
        // A resumed run counts only the epochs it ran itself.
        XCTAssertEqual(try Self.trainer(options).train(Self.data(), resumingFrom: states[1]).samplesProcessed, 3 * 40)

        // A diverging full-batch run counts the batch that diverged.
        let diverged = Self.trainer(TrainingOptions(epochs: 50), optimizer: SGD(), schedule: ConstantRate(1e6)).train(Self.data())
        XCTAssertEqual(diverged.status, .diverged)
        XCTAssertEqual(diverged.samplesProcessed, diverged.history.count * 40)
    }

    func testAStateForAnotherNetworkIsRejected() {
        var state = Self.trainer(TrainingOptions(epochs: 1)).state
        state.parameters[0] = [1, 2]
        XCTAssertThrowsError(try Self.trainer(TrainingOptions(epochs: 1)).restore(state)) { error in
            XCTAssertEqual("\(error)", "parameter W1 has 16 values but the state has 2")
        }
    }

    func testDivergenceIsReported() {
        let outcome = Self.trainer(TrainingOptions(epochs: 50), optimizer: SGD(), schedule: ConstantRate(1e6)).train(Self.data())
        XCTAssertEqual(outcome.status, .diverged)
        XCTAssertNotNil(outcome.failure)
    }

    func testAccuracyIsMeasuredForClassification() {
        let data = Dataset(inputs: Matrix([[0, 0], [0, 1], [1, 0], [1, 1]]), targets: Matrix([[0], [1], [1], [0]]))
        var g = SeededGenerator(seed: 3)
        let network = Network(inputCount: 2, layers: [
            DenseLayer(index: 1, weights: Matrix(rows: 2, columns: 4, storage: XavierUniform().weights(fanIn: 2, fanOut: 4, using: &g)),
                       bias: [0, 0, 0, 0], activation: Tanh()),
            DenseLayer(index: 2, weights: Matrix(rows: 4, columns: 1, storage: XavierUniform().weights(fanIn: 4, fanOut: 1, using: &g)),
                       bias: [0], activation: Sigmoid()),
        ])
        let trainer = Trainer(network: network, loss: BinaryCrossEntropy(), optimizer: Adam(), schedule: ConstantRate(0.05),
                              options: TrainingOptions(epochs: 500, measureAccuracy: true), generator: g)
        let outcome = trainer.train(data)
        XCTAssertEqual(outcome.finalAccuracy, 1)
        XCTAssertEqual(outcome.history.last?.trainAccuracy, 1)
        XCTAssertLessThan(outcome.finalLoss, 0.01)
    }
}

extension Trainer {
    /// Trains and returns the state after the last epoch.
    func trainedState(_ data: Dataset) -> TrainingState {
        _ = train(data)
        return state
    }
}
