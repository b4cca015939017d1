import Foundation
import XCTest
@testable import BackpropCore

/// The seed's 2-2-2 sigmoid network with the classic worked-example values, derived by hand
/// from the chain rule below (scalar arithmetic, no matrices) and compared with the core.
final class WorkedExampleTests: XCTestCase {
    // Inputs, targets and initial parameters; w1_jk is from input j to hidden unit k.
    let i1 = 0.05, i2 = 0.10
    let t1 = 0.01, t2 = 0.99
    let w1_11 = 0.15, w1_21 = 0.20, w1_12 = 0.25, w1_22 = 0.30, b1 = 0.35
    let w2_11 = 0.40, w2_21 = 0.45, w2_12 = 0.50, w2_22 = 0.55, b2 = 0.60
    let eta = 0.5

    func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// Everything the seed derives, by hand.
    struct Hand {
        var outH1 = 0.0, outH2 = 0.0, outO1 = 0.0, outO2 = 0.0, eTotal = 0.0
        var dW2_11 = 0.0, dW1_11 = 0.0
        var dW2 = [[Double]](), dW1 = [[Double]]()
    }

    func derive() -> Hand {
        var h = Hand()
        // Forward: net_h1 = i1·w¹11 + i2·w¹21 + b1, out_h1 = σ(net_h1), and so on.
        h.outH1 = sigma(i1 * w1_11 + i2 * w1_21 + b1)
        h.outH2 = sigma(i1 * w1_12 + i2 * w1_22 + b1)
        h.outO1 = sigma(h.outH1 * w2_11 + h.outH2 * w2_21 + b2)
        h.outO2 = sigma(h.outH1 * w2_12 + h.outH2 * w2_22 + b2)
        // E_total = E_o1 + E_o2 = ½(t1 − out_o1)² + ½(t2 − out_o2)²
        h.eTotal = 0.5 * (t1 - h.outO1) * (t1 - h.outO1) + 0.5 * (t2 - h.outO2) * (t2 - h.outO2)
        // ∂E/∂out_ok = −(t_k − out_ok); ∂out/∂net = out(1 − out).
        let deltaO1 = -(t1 - h.outO1) * h.outO1 * (1 - h.outO1)
        let deltaO2 = -(t2 - h.outO2) * h.outO2 * (1 - h.outO2)
        // ∂E/∂w²_jk = δ_ok · out_hj
        h.dW2 = [[deltaO1 * h.outH1, deltaO2 * h.outH1], [deltaO1 * h.outH2, deltaO2 * h.outH2]]
        h.dW2_11 = h.dW2[0][0]
        // ∂E/∂out_h1 = δ_o1·w²11 + δ_o2·w²12: both outputs depend on h1.
        let deltaH1 = (deltaO1 * w2_11 + deltaO2 * w2_12) * h.outH1 * (1 - h.outH1)
        let deltaH2 = (deltaO1 * w2_21 + deltaO2 * w2_22) * h.outH2 * (1 - h.outH2)
        // ∂E/∂w¹_jk = δ_hk · i_j
        h.dW1 = [[deltaH1 * i1, deltaH2 * i1], [deltaH1 * i2, deltaH2 * i2]]
        h.dW1_11 = h.dW1[0][0]
        return h
    }

    func makeNetwork() -> Network {
        Network(inputCount: 2, layers: [
            DenseLayer(index: 1, weights: Matrix([[w1_11, w1_12], [w1_21, w1_22]]), bias: [b1, b1],
                       activation: Sigmoid(), trainBias: false),
            DenseLayer(index: 2, weights: Matrix([[w2_11, w2_12], [w2_21, w2_22]]), bias: [b2, b2],
                       activation: Sigmoid(), trainBias: false),
        ])
    }

    func testHandDerivationMatchesThePublishedWorkedExample() {
        // The values printed in the classic worked example (9 significant digits).
        let h = derive()
        XCTAssertEqual(h.outH1, 0.593269992, accuracy: 5e-10)
        XCTAssertEqual(h.outO1, 0.75136507, accuracy: 5e-9)
        XCTAssertEqual(h.outO2, 0.772928465, accuracy: 5e-10)
        XCTAssertEqual(h.eTotal, 0.298371109, accuracy: 5e-10)
        XCTAssertEqual(h.dW2_11, 0.082167041, accuracy: 5e-10)
        XCTAssertEqual(h.dW1_11, 0.000438568, accuracy: 5e-10)
        XCTAssertEqual(w2_11 - eta * h.dW2_11, 0.35891648, accuracy: 5e-9)
        XCTAssertEqual(w1_11 - eta * h.dW1_11, 0.149780716, accuracy: 5e-10)
    }

    func testFirstStepOfTheCoreMatchesTheChainRuleTo1e12() {
        let h = derive()
        let network = makeNetwork()
        let x = Matrix([[i1, i2]]), t = Matrix([[t1, t2]])
        network.zeroGradients()
        let e = network.lossAndGradient(x, target: t, loss: HalfSquaredError())

        XCTAssertEqual(network.layers[0].output[0, 0], h.outH1, accuracy: 1e-12)
        XCTAssertEqual(network.layers[0].output[0, 1], h.outH2, accuracy: 1e-12)
        XCTAssertEqual(network.layers[1].output[0, 0], h.outO1, accuracy: 1e-12)
        XCTAssertEqual(network.layers[1].output[0, 1], h.outO2, accuracy: 1e-12)
        XCTAssertEqual(e, h.eTotal, accuracy: 1e-12)
        for j in 0..<2 {
            for k in 0..<2 {
                XCTAssertEqual(network.layers[1].weights.gradient[j, k], h.dW2[j][k], accuracy: 1e-12, "dW2[\(j)][\(k)]")
                XCTAssertEqual(network.layers[0].weights.gradient[j, k], h.dW1[j][k], accuracy: 1e-12, "dW1[\(j)][\(k)]")
            }
        }

        SGD().step(network.parameters, learningRate: eta)
        XCTAssertEqual(network.layers[1].weights.value[0, 0], w2_11 - eta * h.dW2_11, accuracy: 1e-12)
        XCTAssertEqual(network.layers[0].weights.value[0, 0], w1_11 - eta * h.dW1_11, accuracy: 1e-12)
        XCTAssertEqual(network.layers[1].weights.value[1, 1], w2_22 - eta * h.dW2[1][1], accuracy: 1e-12)
        // train_bias: false leaves the biases as they were.
        XCTAssertEqual(network.layers[0].bias.value.storage, [b1, b1])
        XCTAssertEqual(network.layers[1].bias.value.storage, [b2, b2])
    }

    func testTenThousandEpochsReachTheWorkedExamplesFinalError() {
        // The worked example reports E_total = 0.0000351085 "after repeating this process 10,000
        // times": that is the loss measured in the 10000th forward pass, before its update, i.e.
        // history's last row. final_loss is one update later; the reference value comes from an
        // independent scalar Python re-implementation of the same loop.
        let network = makeNetwork()
        let trainer = Trainer(network: network, loss: HalfSquaredError(), optimizer: SGD(),
                              schedule: ConstantRate(eta), options: TrainingOptions(epochs: 10000),
                              generator: SeededGenerator(seed: 1))
        let outcome = trainer.train(Dataset(inputs: Matrix([[i1, i2]]), targets: Matrix([[t1, t2]])))
        XCTAssertEqual(outcome.status, .completed)
        XCTAssertEqual(outcome.history.count, 10000)
        XCTAssertEqual(outcome.history[0].loss, derive().eTotal, accuracy: 1e-12)
        // Half a unit in the last published digit.
        XCTAssertEqual(outcome.history[9999].loss, 0.0000351085, accuracy: 5e-11)
        // Across CPUs (dgemm with or without FMA differs in the last bit): each of the 10⁴ updates
        // w ← w − η·g rounds w by ≤ 2u·|w| (u = 1.1e-16, |w| < 4), and near the minimum the update
        // map does not amplify errors, so the 8 weights drift ≤ √8 · 10⁴ · 8.8e-16 ≈ 2.5e-11;
        // times the final gradient norm 2.7e-4, the loss moves ≤ 7e-15.
        XCTAssertEqual(outcome.finalLoss, 3.510187782978859e-05, accuracy: 1e-14)
    }
}
