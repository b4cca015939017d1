import XCTest
@testable import BackpropCore

/// Loss values at chosen points, and the stable forms where the naive ones break down.
final class LossTests: XCTestCase {
    func testMSEIsTheMeanOverEveryOutput() {
        var g = Matrix(rows: 0, columns: 0)
        let out = Matrix([[1, 2], [3, 4]]), t = Matrix([[0, 2], [3, 2]])
        XCTAssertEqual(MeanSquaredError().evaluate(net: out, output: out, target: t, outGradient: &g), (1 + 0 + 0 + 4) / 4.0)
        XCTAssertEqual(g.storage, [0.5, 0, 0, 1])
    }

    func testFusedCrossEntropyIsStableForHugeNets() {
        let net = Matrix([[1000, 0, -1000]]), t = Matrix([[0, 1, 0]])
        var out = Matrix(rows: 0, columns: 0)
        Softmax().forward(net, into: &out)
        XCTAssertEqual(out.storage, [1, 0, 0])
        var d = Matrix(rows: 0, columns: 0)
        // −ln softmax₂ = logsumexp − net₂ = 1000 − 0.
        XCTAssertEqual(CrossEntropy().evaluateFused(net: net, output: out, target: t, netGradient: &d), 1000)
        XCTAssertEqual(d.storage, [1, -1, 0])
        XCTAssertEqual(CrossEntropy().valueFused(net: net, output: out, target: t), 1000)
    }

    func testCrossEntropyWithProbabilityTargets() {
        let net = Matrix([[0, 0]]), t = Matrix([[0.25, 0.75]])
        var out = Matrix(rows: 0, columns: 0), d = Matrix(rows: 0, columns: 0)
        Softmax().forward(net, into: &out)
        XCTAssertEqual(CrossEntropy().evaluateFused(net: net, output: out, target: t, netGradient: &d), log(2), accuracy: 1e-15)
        XCTAssertEqual(d.storage, [0.25, -0.25])
    }

    func testBinaryCrossEntropyFromNetNeverOverflows() {
        let net = Matrix([[40], [-800]]), t = Matrix([[0], [1]])
        var out = Matrix(rows: 0, columns: 0), d = Matrix(rows: 0, columns: 0)
        Sigmoid().forward(net, into: &out)
        XCTAssertEqual(out.storage[0], 1)   // σ(40) rounds to 1: ln(1 − out) would be −∞
        let value = BinaryCrossEntropy().evaluateFused(net: net, output: out, target: t, netGradient: &d)
        XCTAssertEqual(value, (40 + log1p(exp(-40)) + 800) / 2, accuracy: 1e-12)
        XCTAssertEqual(d.storage, [0.5, -0.5])
        XCTAssertTrue(BinaryCrossEntropy().fuses(with: Sigmoid()))
        XCTAssertFalse(BinaryCrossEntropy().fuses(with: Tanh()))
    }

    func testNetworkLossUsesTheFusedValue() {
        let network = Network(inputCount: 1, layers: [DenseLayer(index: 1, weights: Matrix([[1]]), bias: [0], activation: Sigmoid())])
        XCTAssertEqual(network.loss(Matrix([[-800]]), target: Matrix([[1]]), loss: BinaryCrossEntropy()), 800)
    }
}
