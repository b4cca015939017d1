import XCTest
@testable import BackpropCore

/// Full-batch loss trajectories against an independent NumPy re-implementation of PyTorch's
/// update rules (the script's formulas are PyTorch's, written out; values printed with repr).
/// A 2-3-2 tanh/sigmoid network with explicit initial weights, MSE, 8 epochs.
final class TrajectoryTests: XCTestCase {
    static let inputs = Matrix([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0], [0.0, -0.5]])
    static let targets = Matrix([[0.1, 0.9], [0.8, 0.3], [0.4, 0.4], [1.0, 0.0]])

    static func network() -> Network {
        Network(inputCount: 2, layers: [
            DenseLayer(index: 1, weights: Matrix([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]), bias: [0.01, -0.02, 0.03], activation: Tanh()),
            DenseLayer(index: 2, weights: Matrix([[0.7, -0.8], [0.9, 0.15], [-0.25, 0.35]]), bias: [0.05, -0.05], activation: Sigmoid()),
        ])
    }

    func trajectory(_ optimizer: any Optimizer, _ schedule: any LearningRateSchedule) -> TrainingOutcome {
        let trainer = Trainer(network: Self.network(), loss: MeanSquaredError(), optimizer: optimizer, schedule: schedule,
                              options: TrainingOptions(epochs: 8), generator: SeededGenerator(seed: 1))
        return trainer.train(Dataset(inputs: Self.inputs, targets: Self.targets))
    }

    func assertTrajectory(_ outcome: TrainingOutcome, _ expected: [Double], final: Double,
                          file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.history.count, expected.count, file: file, line: line)
        // Relative 1e-12 across CPUs and against NumPy: each epoch adds a few ulp (u = 1.1e-16) of
        // rounding that differs between dgemm kernels, and these 8 updates do not amplify it (a
        // relative 1e-10 change of every initial weight moves every epoch's loss by < 3e-12
        // relative, all three optimizers), so the two sides differ by ~8·10u ≈ 1e-14, 100× under.
        for (record, value) in zip(outcome.history, expected) {
            XCTAssertEqual(record.loss, value, accuracy: 1e-12 * value, "epoch \(record.epoch)", file: file, line: line)
        }
        XCTAssertEqual(outcome.finalLoss, final, accuracy: 1e-12 * final, file: file, line: line)
    }

    func testMomentumSGD() {
        assertTrajectory(trajectory(SGD(momentum: 0.9), ConstantRate(0.5)),
                         [0.13520944653867853, 0.13173167031106167, 0.12625533479147677, 0.12069497142349067,
                          0.11658125894635829, 0.11448806955246382, 0.11406660821791065, 0.1145325934770037],
                         final: 0.11514464631564011)
    }

    func testNesterovSGD() {
        assertTrajectory(trajectory(SGD(momentum: 0.9, nesterov: true), ConstantRate(0.5)),
                         [0.13520944653867853, 0.1288787302123525, 0.12258298470808701, 0.11784540748641148,
                          0.11510181407742098, 0.11394870775162111, 0.11367886745831926, 0.11367444588801771],
                         final: 0.11354901084201963)
    }

    func testAdam() {
        assertTrajectory(trajectory(Adam(), ConstantRate(0.05)),
                         [0.13520944653867853, 0.12335741742386361, 0.11677185936953803, 0.11385810582831099,
                          0.11306325494774108, 0.11300943458204935, 0.1128201799757734, 0.11221362344069415],
                         final: 0.11123968169449092)
    }

    func testStepSchedule() {
        let outcome = trajectory(SGD(), StepRate(1.0, stepSize: 3, gamma: 0.5))
        XCTAssertEqual(outcome.history.map(\.learningRate), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
        assertTrajectory(outcome,
                         [0.13520944653867853, 0.1285781735482005, 0.12409025274350131, 0.12104810602620553,
                          0.11995580132890249, 0.11903646259841405, 0.11825858520572341, 0.11792101585738632],
                         final: 0.11760837966748952)
    }
}
