import XCTest
@testable import BackpropCore

/// The divergence rule: a finite loss more than 10⁴ times the untrained network's ends the run
/// as `diverged`; healthy and tiny losses never trip it.
final class DivergenceTests: XCTestCase {
    static func record(_ epoch: Int, _ loss: Double) -> EpochRecord {
        EpochRecord(epoch: epoch, loss: loss, learningRate: 0.1, gradientNorms: [1], gradientMeanAbs: [1])
    }

    /// A 1-1 linear network whose single weight is `w`.
    static func network(weight w: Double) -> Network {
        Network(inputCount: 1, layers: [DenseLayer(index: 1, weights: Matrix(rows: 1, columns: 1, storage: [w]), bias: [0], activation: Linear())])
    }

    func testTheRuleFiresAboveTenThousandTimesTheUntrainedLossOnly() throws {
        let baseline = DivergenceBaseline(loss: 0.5, weightNorms: [2])
        let network = Self.network(weight: 3000)
        // Exactly 10⁴·L₀ is not yet divergence; just above is.
        XCTAssertNil(baseline.explosion(in: Self.record(3, 5000), network: network))
        let exploded = try XCTUnwrap(baseline.explosion(in: Self.record(3, 5000.5), network: network))
        XCTAssertEqual(exploded.layer, 1)
        XCTAssertEqual(exploded.failure, "the loss grew from 0.5 before training to 5001 in epoch 3 (more than 10000 times); "
                       + "the weights of layer 1 grew the most, 1500 times: the learning rate is probably too large")
        // The seed's tiny losses: from 0.298 down to 3.5e-5 and back up to 0.1 is healthy.
        let seed = DivergenceBaseline(loss: 0.298, weightNorms: [1])
        XCTAssertNil(seed.explosion(in: Self.record(9000, 0.1), network: network))
        // A regression loss that starts at 1e4 trips only above 1e8.
        let large = DivergenceBaseline(loss: 1e4, weightNorms: [1])
        XCTAssertNil(large.explosion(in: Self.record(2, 9.9e7), network: network))
        XCTAssertNotNil(large.explosion(in: Self.record(2, 1.01e8), network: network))
        // No baseline to compare with: a zero or non-finite untrained loss never trips it.
        XCTAssertNil(DivergenceBaseline(loss: 0, weightNorms: [1]).explosion(in: Self.record(2, 1e300), network: network))
        XCTAssertNil(DivergenceBaseline(loss: .nan, weightNorms: [1]).explosion(in: Self.record(2, 1e300), network: network))
        // Weights that started at zero cannot say which layer grew.
        let zero = try XCTUnwrap(DivergenceBaseline(loss: 1, weightNorms: [0]).explosion(in: Self.record(2, 1e5), network: network))
        XCTAssertNil(zero.layer)
        XCTAssertEqual(zero.failure, "the loss grew from 1 before training to 100000 in epoch 2 (more than 10000 times): the learning rate is probably too large")
    }

    func testNumbersInTheMessageHaveFourSignificantDigits() {
        let cases: [(Double, String)] = [
            (0.2983711087600027, "0.2984"), (0.73, "0.73"), (1, "1"), (12345.6, "12350"), (319_874.2, "319900"),
            (1_574_321, "1.574e+6"), (3.6123e126, "3.612e+126"), (9.9996e7, "1e+8"), (0.0012345, "0.001235"),
            (3.5101e-5, "3.51e-5"), (-42, "-42"), (.infinity, "inf"), (0, "0"),
        ]
        for (value, text) in cases { XCTAssertEqual(DivergenceBaseline.short(value), text, "\(value)") }
    }

    /// SGD at rate 1e6 on the sin regression (tanh 16, linear output, MSE), full batch: the loss
    /// goes from 0.87 to 3.2e9 in epoch 2. Without the rule training went on until the numbers
    /// overflowed, many epochs later.
    func testAnExplodingRegressionDivergesInItsFirstEpochsWithTheLayerThatGrew() throws {
        let trainer = TrainerTests.trainer(TrainingOptions(epochs: 50), optimizer: SGD(), schedule: ConstantRate(1e6))
        let outcome = trainer.train(TrainerTests.data())
        XCTAssertEqual(outcome.status, .diverged)
        let epoch = try XCTUnwrap(outcome.divergedEpoch)
        XCTAssertEqual(outcome.history.count, epoch)
        XCTAssertEqual(epoch, 2)
        let baseline = try XCTUnwrap(trainer.state.divergenceBaseline)
        let last = try XCTUnwrap(outcome.history.last)
        XCTAssertGreaterThan(last.loss, DivergenceBaseline.factor * baseline.loss)
        XCTAssertTrue(last.loss.isFinite, "caught while finite, long before an overflow")
        // Every earlier epoch was under the limit.
        for record in outcome.history.dropLast() { XCTAssertLessThanOrEqual(record.loss, DivergenceBaseline.factor * baseline.loss) }
        let failure = try XCTUnwrap(outcome.failure)
        XCTAssertTrue(failure.hasPrefix("the loss grew from \(DivergenceBaseline.short(baseline.loss)) before training to \(DivergenceBaseline.short(last.loss)) in epoch \(epoch) (more than 10000 times); the weights of layer "), failure)
        XCTAssertTrue(failure.hasSuffix(": the learning rate is probably too large"), failure)
        XCTAssertNotNil(outcome.divergedLayer)
        // The baseline is the untrained network's loss on the whole training set.
        let untrained = TrainerTests.trainer(TrainingOptions(epochs: 1))
        XCTAssertEqual(baseline.loss, untrained.network.meanLoss(on: TrainerTests.data(), loss: MeanSquaredError()))
        XCTAssertEqual(baseline.weightNorms, untrained.network.layers.map { $0.weights.value.storage.reduce(0) { $0 + $1 * $1 }.squareRoot() })
    }

    /// Healthy runs: Adam's early oscillation at a large rate (the early-stopping test's setting)
    /// and a plain run both stay far below the limit and complete.
    func testHealthyRunsNeverTripIt() throws {
        for rate in [0.01, 0.5] {
            let trainer = TrainerTests.trainer(TrainingOptions(epochs: 200), schedule: ConstantRate(rate))
            let outcome = trainer.train(TrainerTests.data())
            XCTAssertEqual(outcome.status, .completed, "rate \(rate): \(outcome.failure ?? "")")
            let baseline = try XCTUnwrap(trainer.state.divergenceBaseline)
            let worst = try XCTUnwrap(outcome.history.map(\.loss).max())
            XCTAssertLessThan(worst, 100 * baseline.loss, "rate \(rate)")
        }
    }

    /// A resumed run keeps the baseline of the run it continues (from its state), so the rule
    /// fires at the same epoch with the same message.
    func testAResumedRunAppliesTheRuleAsTheUninterruptedOne() throws {
        // Full-batch SGD at rate 1: 0.87, 13, 343, 7913, then 7.4e5 in epoch 5.
        let options = TrainingOptions(epochs: 50)
        let whole = TrainerTests.trainer(options, optimizer: SGD(), schedule: ConstantRate(1))
        var states: [TrainingState] = []
        let reference = whole.train(TrainerTests.data(), onState: { states.append($0) })
        XCTAssertEqual(reference.status, .diverged)
        XCTAssertEqual(reference.divergedEpoch, 5)
        XCTAssertEqual(states.count, 4, "no state for the epoch that diverged")
        let cut = states[2]
        XCTAssertEqual(cut.divergenceBaseline, states[0].divergenceBaseline)
        let resumed = TrainerTests.trainer(options, optimizer: SGD(), schedule: ConstantRate(1))
        let outcome = try resumed.train(TrainerTests.data(), resumingFrom: cut)
        XCTAssertEqual(outcome.status, .diverged)
        XCTAssertEqual(outcome.failure, reference.failure)
        XCTAssertEqual(outcome.history, reference.history)
    }
}
