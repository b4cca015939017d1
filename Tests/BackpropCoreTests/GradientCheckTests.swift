import XCTest
@testable import BackpropCore

/// Backprop against finite differences (through the core's GradientCheck, the code behind
/// `bp-pipeline gradcheck`) for every activation × loss pair that makes sense.
final class GradientCheckTests: XCTestCase {
    static let inputs = Matrix([[0.5, -1.2, 0.3], [1.5, 0.2, -0.7], [-0.4, 0.9, 1.1], [0.1, -0.3, -1.5], [2.0, 1.0, 0.05]])
    /// Probabilities (rows sum to 1), so every loss accepts them.
    static let targets = Matrix([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5], [0.0, 1.0], [1.0, 0.0]])

    /// The largest relative error a correct gradient can show here, from GradientCheck's method
    /// (fourth-order differences, h = 1e-3, relative to max(|a|, |n|, 1e-5·max(1, |E|))):
    /// - rounding: each loss E is computed to within k ulp(E) (a 5-sample mean through three
    ///   layers of length-≤5 dot products and exp/log/tanh; k ≤ 5 measured on every OpenBLAS
    ///   kernel, Prescott to Cooperlake), so the stencil's sum (|1| + |−8| + |8| + |−1|)/12 = 1.5
    ///   carries 1.5·k·ulp(E)/h. Against the floor, with ulp(E) ≤ 1.1e-16 for E < 1 (every network
    ///   below): 1.5 · 5 · 1.1e-16 / (1e-3 · 1e-5) = 8.3e-8. This is what a gradient below
    ///   the floor shows (swish → softmax's b1[2] = 4.2e-6: 1.4e-8 with FMA kernels, 5.7e-9 without).
    /// - truncation: (h⁴/30)·|E⁽⁵⁾| relative to |a|: under 1e-10 for sigmoid/tanh, but swish and
    ///   gelu have large fifth derivatives, up to 2e-9 here (gelu → softmax's W2[6]); it cannot be
    ///   bounded tightly without E⁽⁵⁾, so it is the measured value with margin.
    /// Sum 8.5e-8, so 1e-7. A wrong derivative shows orders of magnitude more (1% wrong: > 1e-3).
    static let bound = 1e-7

    static let hidden: [any Activation] = [Sigmoid(), Tanh(), ReLU(), LeakyReLU(alpha: 0.1), ELU(alpha: 0.7), SELU(),
                                           Softplus(), GELU(), Swish(), Linear(), Softmax()]

    func network(hidden: any Activation, output: any Activation, seed: UInt64 = 11) -> Network {
        var generator = SeededGenerator(seed: seed)
        let init1 = NormalInitializer(standardDeviation: 0.8)
        func layer(_ index: Int, _ fanIn: Int, _ fanOut: Int, _ activation: any Activation) -> DenseLayer {
            DenseLayer(index: index, weights: Matrix(rows: fanIn, columns: fanOut,
                                                     storage: init1.weights(fanIn: fanIn, fanOut: fanOut, using: &generator)),
                       bias: (0..<fanOut).map { _ in generator.uniform(-0.5, 0.5) }, activation: activation)
        }
        return Network(inputCount: 3, layers: [layer(1, 3, 5, hidden), layer(2, 5, 4, hidden), layer(3, 4, 2, output)])
    }

    func worst(_ network: Network, _ loss: any Loss, regularization: Regularization = Regularization()) -> (Double, Int) {
        var generator = SeededGenerator(seed: 1)
        let results = GradientCheck().run(network: network, loss: loss, regularization: regularization,
                                          inputs: Self.inputs, targets: Self.targets, generator: &generator)
        XCTAssertEqual(results.map(\.name), ["W1", "b1", "W2", "b2", "W3", "b3"])
        let checked = results.reduce(0) { $0 + $1.checked }
        // Of the 54 parameters, kinks may skip a few; a worst error over none would pass anything.
        XCTAssertGreaterThan(checked, 40, "\(network.layers.map(\.activation.name)) × \(loss.name)")
        return (results.map(\.worstError).max() ?? .infinity, checked)
    }

    func testEveryActivationWithHalfSquaredErrorAndMSE() {
        for activation in Self.hidden {
            for loss: any Loss in [HalfSquaredError(), MeanSquaredError()] {
                let (error, _) = worst(network(hidden: activation, output: activation), loss)
                XCTAssertLessThan(error, Self.bound, "\(activation.name) × \(loss.name)")
            }
        }
    }

    func testSoftmaxWithCrossEntropyAndSigmoidWithBinaryCrossEntropy() {
        for activation in Self.hidden {
            let (ce, _) = worst(network(hidden: activation, output: Softmax()), CrossEntropy())
            XCTAssertLessThan(ce, Self.bound, "\(activation.name) → softmax × cross_entropy")
            let (bce, _) = worst(network(hidden: activation, output: Sigmoid()), BinaryCrossEntropy())
            XCTAssertLessThan(bce, Self.bound, "\(activation.name) → sigmoid × binary_cross_entropy")
        }
        // The unfused forms behind other outputs (probabilities from softmax via the Jacobian).
        let (plain, _) = worst(network(hidden: Tanh(), output: Sigmoid()), CrossEntropy())
        XCTAssertLessThan(plain, Self.bound)
        let (bceLinear, _) = worst(network(hidden: Tanh(), output: Softmax()), BinaryCrossEntropy())
        XCTAssertLessThan(bceLinear, Self.bound)
    }

    func testRegularizationGradients() {
        let (error, _) = worst(network(hidden: Tanh(), output: Sigmoid()), MeanSquaredError(),
                               regularization: Regularization(l1: 0.01, l2: 0.05))
        XCTAssertLessThan(error, Self.bound)
    }

    /// A derivative that is wrong by 1% in one activation must fail the check.
    struct SlightlyWrongTanh: ElementwiseActivation {
        var name: String { "tanh" }
        func value<S: TrainingScalar>(_ x: S) -> S { S.tanh(x) }
        func derivative<S: TrainingScalar>(x: S, y: S) -> S { 1.01 * (1 - y * y) }
    }

    func testAWrongDerivativeIsCaught() {
        let (error, _) = worst(network(hidden: SlightlyWrongTanh(), output: Sigmoid()), MeanSquaredError())
        XCTAssertGreaterThan(error, 1e-3)
    }

    func testReLUKinksAreSkippedNotReported() {
        // Put unit 1 of layer 1 exactly at its kink for sample 1: net = 0.
        let network = network(hidden: ReLU(), output: Sigmoid())
        let layer = network.layers[0]
        var net = 0.0
        for j in 0..<3 { net += Self.inputs[0, j] * layer.weights.value[j, 0] }
        layer.bias.value.storage[0] = -net
        var generator = SeededGenerator(seed: 1)
        let results = GradientCheck().run(network: network, loss: MeanSquaredError(), inputs: Self.inputs,
                                          targets: Self.targets, generator: &generator)
        XCTAssertGreaterThan(results[1].skipped, 0)
        XCTAssertGreaterThan(results.reduce(0) { $0 + $1.checked }, 40)
        XCTAssertLessThan(results.map(\.worstError).max() ?? 1, Self.bound)
    }

    func testLargeNetworksAreSampledWithTheSeed() {
        var g = SeededGenerator(seed: 3)
        let wide = Network(inputCount: 3, layers: [
            DenseLayer(index: 1, weights: Matrix(rows: 3, columns: 2000, storage: XavierUniform().weights(fanIn: 3, fanOut: 2000, using: &g)),
                       bias: Array(repeating: 0, count: 2000), activation: Tanh()),
            DenseLayer(index: 2, weights: Matrix(rows: 2000, columns: 2, storage: XavierUniform().weights(fanIn: 2000, fanOut: 2, using: &g)),
                       bias: [0, 0], activation: Sigmoid()),
        ])
        var generator = SeededGenerator(seed: 1)
        let results = GradientCheck().run(network: wide, loss: MeanSquaredError(), inputs: Self.inputs,
                                          targets: Self.targets, generator: &generator)
        XCTAssertEqual(results.map(\.checked), [100, 100, 100, 2])
        // Length-2000 dot products, but E = 0.15 (ulp 2.8e-17) and its noise measured ≤ 3 ulp:
        // the rounding term is 1.3e-8 against the floor, inside the same bound.
        XCTAssertLessThan(results.map(\.worstError).max() ?? 1, Self.bound)
    }
}
