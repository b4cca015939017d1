import XCTest
@testable import BackpropCore

/// The core in float32: its gradients against finite differences, its training against the
/// float64 core's on the same problem, and its state round trip.
final class Float32Tests: XCTestCase {
    static func network(_ hidden: any Activation, _ output: any Activation, outputs: Int, seed: UInt64 = 4) -> Network {
        var g = SeededGenerator(seed: seed)
        func layer(_ index: Int, _ fanIn: Int, _ fanOut: Int, _ activation: any Activation) -> DenseLayer {
            DenseLayer(index: index, weights: Matrix(rows: fanIn, columns: fanOut,
                                                     storage: XavierUniform().weights(fanIn: fanIn, fanOut: fanOut, using: &g)),
                       bias: (0..<fanOut).map { _ in g.uniform(-0.1, 0.1) }, activation: activation)
        }
        return Network(inputCount: 3, layers: [layer(1, 3, 5, hidden), layer(2, 5, 4, hidden), layer(3, 4, outputs, output)])
    }

    static let inputs = Matrix([[0.5, -1.2, 0.3], [1.5, 0.2, -0.7], [-0.4, 0.9, 1.1], [0.1, -0.3, -1.6]])

    /// The float32 check's pass mark. Each loss E is computed with a relative error of a few
    /// unit roundoffs u = 2⁻²⁴ ≈ 6e-8; the difference quotient multiplies an error δE by
    /// (1 + 8 + 8 + 1)/12 / h = 48 (h = 2⁻⁵, `GradientCheck.float32`), and relative errors are
    /// measured against at least the floor 1e-3·max(1, |E|): one unit of u costs
    /// 48·u / 1e-3 ≈ 2.9e-3. We allow 3.5 units, 1.0e-2 (`gradcheck`'s float32 default too);
    /// truncation, h⁴/30·|E⁽⁵⁾|, is below 1e-7 for these smooth activations.
    static let tolerance = 3.5 * 48 * Double(Float.ulpOfOne / 2) / GradientCheck.float32.floorScale

    /// Backprop in float32 against float32 fourth-order differences (`tolerance` above).
    func testFloat32GradientsMatchFiniteDifferences() {
        let cases: [(any Activation, any Activation, any Loss, Matrix)] = [
            (Tanh(), Sigmoid(), BinaryCrossEntropy(), Matrix([[1], [0], [1], [0]])),
            (Sigmoid(), Softmax(), CrossEntropy(), Matrix([[1, 0], [0, 1], [0, 1], [1, 0]])),
            (GELU(), Linear(), MeanSquaredError(), Matrix([[0.3], [-0.2], [0.8], [0.1]])),
            (Softplus(), Sigmoid(), HalfSquaredError(), Matrix([[0.9], [0.1], [0.4], [0.6]])),
        ]
        for (hidden, output, loss, targets) in cases {
            let network = NetworkOf<Float>(converting: Self.network(hidden, output, outputs: targets.columns))
            var g = SeededGenerator(seed: 1)
            let results = GradientCheck.float32.run(network: network, loss: loss, regularization: Regularization(l2: 0.01),
                                                    inputs: MatrixOf(converting: Self.inputs),
                                                    targets: MatrixOf(converting: targets), generator: &g)
            let worst = results.map(\.worstError).max() ?? 1
            XCTAssertEqual(results.reduce(0) { $0 + $1.checked }, network.parameterCount)
            XCTAssertLessThan(worst, Self.tolerance, "\(hidden.name) + \(output.name) + \(loss.name)")
        }
    }

    /// A derivative 1% wrong (about 2e-2 here) fails that mark.
    func testAWrongFloat32DerivativeIsCaught() {
        let network = NetworkOf<Float>(converting: Self.network(GradientCheckTests.SlightlyWrongTanh(), Sigmoid(), outputs: 1))
        var g = SeededGenerator(seed: 1)
        let results = GradientCheck.float32.run(network: network, loss: BinaryCrossEntropy(),
                                                inputs: MatrixOf(converting: Self.inputs),
                                                targets: MatrixOf(converting: Matrix([[1], [0], [1], [0]])), generator: &g)
        XCTAssertGreaterThan(results.map(\.worstError).max() ?? 0, Self.tolerance)
    }

    /// The spiral-like XOR of 200 noisy points, 2-16-16-1 tanh/sigmoid with Adam, mini-batches of
    /// 20: float32 and float64 start from the same weights and end at the same accuracy and a
    /// loss within 5% (each step rounds differently, so the paths part slowly, but the problem
    /// and its optimum are the same).
    func testFloat32TrainsAsWellAsFloat64() throws {
        var g = SeededGenerator(seed: 12)
        var x: [Double] = [], t: [Double] = []
        for _ in 0..<200 {
            let a = g.uniform(-1, 1), b = g.uniform(-1, 1)
            x += [a, b]
            t.append((a > 0) != (b > 0) ? 1 : 0)
        }
        let data = Dataset(inputs: Matrix(rows: 200, columns: 2, storage: x), targets: Matrix(rows: 200, columns: 1, storage: t))
        var w = SeededGenerator(seed: 2)
        func layer(_ index: Int, _ fanIn: Int, _ fanOut: Int, _ activation: any Activation) -> DenseLayer {
            DenseLayer(index: index, weights: Matrix(rows: fanIn, columns: fanOut,
                                                     storage: XavierUniform().weights(fanIn: fanIn, fanOut: fanOut, using: &w)),
                       bias: Array(repeating: 0, count: fanOut), activation: activation)
        }
        let network = Network(inputCount: 2, layers: [layer(1, 2, 16, Tanh()), layer(2, 16, 16, Tanh()), layer(3, 16, 1, Sigmoid())])
        let options = TrainingOptions(epochs: 150, batchSize: 20, shuffle: true, measureAccuracy: true)
        func train(_ precision: Precision) throws -> TrainingOutcome {
            let copy = Network(inputCount: 2, layers: network.layers.map { DenseLayerOf<Double>(converting: $0) })
            let trainer = precision.trainer(network: copy, loss: BinaryCrossEntropy(), optimizer: Adam(),
                                            schedule: ConstantRate(0.01), options: options, generator: SeededGenerator(seed: 5))
            return try trainer.train(data, validation: nil, resumingFrom: nil, shouldStop: { false }, onEpoch: { _ in }, onState: nil)
        }
        let double = try train(.float64), float = try train(.float32)
        let doubleAccuracy = try XCTUnwrap(double.finalAccuracy), floatAccuracy = try XCTUnwrap(float.finalAccuracy)
        XCTAssertGreaterThan(doubleAccuracy, 0.95)
        XCTAssertEqual(floatAccuracy, doubleAccuracy, accuracy: 0.02)
        XCTAssertEqual(float.finalLoss, double.finalLoss, accuracy: 0.05 * double.finalLoss)
        XCTAssertNotEqual(float.finalLoss, double.finalLoss, "float32 really ran in float32")
    }

    /// A float32 state holds Floats widened to Double, so restoring it into a fresh float32
    /// trainer and training on gives bit-identical parameters and history to never stopping.
    func testFloat32StateResumesBitIdentically() throws {
        let data = TrainerTests.data()
        func trainer() -> TrainerOf<Float> {
            TrainerOf<Float>(network: NetworkOf(converting: TrainerTests.network()), loss: MeanSquaredError(), optimizer: Adam(),
                             schedule: ConstantRate(0.01), options: TrainingOptions(epochs: 30, batchSize: 8, shuffle: true),
                             generator: SeededGenerator(seed: 77))
        }
        let converted = DatasetOf<Float>(converting: data)
        let whole = trainer()
        let outcome = whole.train(converted)
        var saved: TrainingState?
        let first = trainer()
        _ = first.train(converted, shouldStop: { saved != nil }, onState: { if $0.nextEpoch == 13 { saved = $0 } })
        let state = try XCTUnwrap(saved)
        for values in state.parameters { XCTAssertTrue(values.allSatisfy { Double(Float($0)) == $0 }) }
        let resumed = trainer()
        let rest = try resumed.train(converted, resumingFrom: state)
        XCTAssertEqual(rest.history, outcome.history)
        XCTAssertEqual(resumed.network.parameters.map(\.value), whole.network.parameters.map(\.value))
    }
}
