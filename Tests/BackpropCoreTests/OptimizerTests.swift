import XCTest
@testable import BackpropCore

/// Each optimizer's first steps on one parameter w = [1, −2] with fixed gradients, against the
/// PyTorch update rule worked by hand (each line below is the rule, not the implementation).
final class OptimizerTests: XCTestCase {
    /// Runs `steps` steps with gradients `gradients[t]`, returning w after each.
    func run(_ optimizer: any Optimizer, gradients: [[Double]], rate: Double = 0.1) -> [[Double]] {
        let w = Parameter(name: "W1", value: Matrix([[1, -2]]))
        return gradients.map { g in
            w.gradient = Matrix([g])
            optimizer.step([w], learningRate: rate)
            return w.value.storage
        }
    }

    func assertClose(_ a: [[Double]], _ b: [[Double]], _ tolerance: Double = 1e-15,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) {
            for (u, v) in zip(x, y) { XCTAssertEqual(u, v, accuracy: tolerance, file: file, line: line) }
        }
    }

    let grads: [[Double]] = [[0.5, -1.0], [0.25, 0.5], [-0.5, 0.125]]

    func testPlainSGDIsTheSeedsRule() {
        assertClose(run(SGD(), gradients: grads), [[0.95, -1.9], [0.925, -1.95], [0.975, -1.9625]])
    }

    func testMomentumFollowsPyTorch() {
        // b₁ = g₁; b ← 0.9·b + g; w ← w − 0.1·b
        let b1 = [0.5, -1.0], b2 = [0.9 * 0.5 + 0.25, 0.9 * -1.0 + 0.5], b3 = [0.9 * b2[0] - 0.5, 0.9 * b2[1] + 0.125]
        let w1 = [1 - 0.1 * b1[0], -2 - 0.1 * b1[1]]
        let w2 = [w1[0] - 0.1 * b2[0], w1[1] - 0.1 * b2[1]]
        let w3 = [w2[0] - 0.1 * b3[0], w2[1] - 0.1 * b3[1]]
        assertClose(run(SGD(momentum: 0.9), gradients: grads), [w1, w2, w3])
    }

    func testNesterovAndWeightDecay() {
        // g ← g + 0.01·w; b₁ = g; step g + 0.9·b
        let g1 = [0.5 + 0.01 * 1, -1.0 + 0.01 * -2]
        let w1 = [1 - 0.1 * (g1[0] + 0.9 * g1[0]), -2 - 0.1 * (g1[1] + 0.9 * g1[1])]
        let g2 = [0.25 + 0.01 * w1[0], 0.5 + 0.01 * w1[1]]
        let b2 = [0.9 * g1[0] + g2[0], 0.9 * g1[1] + g2[1]]
        let w2 = [w1[0] - 0.1 * (g2[0] + 0.9 * b2[0]), w1[1] - 0.1 * (g2[1] + 0.9 * b2[1])]
        assertClose(run(SGD(momentum: 0.9, nesterov: true, weightDecay: 0.01), gradients: Array(grads.prefix(2))), [w1, w2])
    }

    func testAdamFirstStepMovesEveryWeightByTheRate() {
        // t = 1: m̂ = g, v̂ = g², so w ← w − η·g/(|g| + ε) ≈ w − η·sign(g).
        let w = run(Adam(), gradients: [grads[0]])[0]
        XCTAssertEqual(w[0], 1 - 0.1 * 0.5 / (0.5 + 1e-8), accuracy: 1e-15)
        XCTAssertEqual(w[1], -2 + 0.1 * 1.0 / (1.0 + 1e-8), accuracy: 1e-15)
    }

    func testAdamSecondStepWithBiasCorrection() {
        let b1 = 0.9, b2 = 0.999, eps = 1e-8, eta = 0.1
        var w = [1.0, -2.0], m = [0.0, 0.0], v = [0.0, 0.0]
        for (t, g) in grads.prefix(2).enumerated() {
            for i in 0..<2 {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(b1, Double(t + 1))), vHat = v[i] / (1 - pow(b2, Double(t + 1)))
                w[i] -= eta * mHat / (vHat.squareRoot() + eps)
            }
        }
        assertClose([run(Adam(), gradients: Array(grads.prefix(2)))[1]], [w], 1e-14)
    }

    func testAdamL2VersusAdamWDecoupled() {
        // Adam: g ← g + λw before the moments (first step ≈ −η·sign(g + λw));
        // AdamW: w ← w(1 − ηλ) first, then the plain Adam step.
        let adam = run(Adam(weightDecay: 0.5), gradients: [[0.1, -0.1]])[0]
        XCTAssertEqual(adam[0], 1 - 0.1 * (0.1 + 0.5) / ((0.1 + 0.5) + 1e-8), accuracy: 1e-15)
        let adamw = run(Adam(weightDecay: 0.5, decoupled: true), gradients: [[0.1, -0.1]])[0]
        XCTAssertEqual(adamw[0], 1 * (1 - 0.1 * 0.5) - 0.1 * 0.1 / (0.1 + 1e-8), accuracy: 1e-15)
        XCTAssertEqual(adamw[1], -2 * (1 - 0.1 * 0.5) + 0.1 * 0.1 / (0.1 + 1e-8), accuracy: 1e-15)
    }

    func testRMSprop() {
        // s ← 0.99·s + 0.01·g²; w ← w − η·g/(√s + ε)
        var s = [0.0, 0.0], w = [1.0, -2.0]
        for g in grads {
            for i in 0..<2 {
                s[i] = 0.99 * s[i] + 0.01 * g[i] * g[i]
                w[i] -= 0.1 * g[i] / (s[i].squareRoot() + 1e-8)
            }
        }
        assertClose([run(RMSprop(), gradients: grads)[2]], [w], 1e-14)
    }

    func testCenteredRMSpropWithMomentum() {
        var s = [0.0, 0.0], a = [0.0, 0.0], b = [0.0, 0.0], w = [1.0, -2.0]
        for g in grads {
            for i in 0..<2 {
                s[i] = 0.9 * s[i] + 0.1 * g[i] * g[i]
                a[i] = 0.9 * a[i] + 0.1 * g[i]
                b[i] = 0.5 * b[i] + g[i] / ((s[i] - a[i] * a[i]).squareRoot() + 1e-8)
                w[i] -= 0.1 * b[i]
            }
        }
        assertClose([run(RMSprop(alpha: 0.9, momentum: 0.5, centered: true), gradients: grads)[2]], [w], 1e-13)
    }

    func testAdagrad() {
        // s ← s + g²; w ← w − η·g/(√s + ε)
        var s = [0.0, 0.0], w = [1.0, -2.0]
        for g in grads {
            for i in 0..<2 {
                s[i] += g[i] * g[i]
                w[i] -= 0.1 * g[i] / (s[i].squareRoot() + 1e-10)
            }
        }
        assertClose([run(Adagrad(), gradients: grads)[2]], [w], 1e-15)
    }

    func testFrozenParametersDoNotMove() {
        let w = Parameter(name: "W1", value: Matrix([[1, 2]]), isTrainable: false)
        w.gradient = Matrix([[1, 1]])
        for optimizer: any Optimizer in [SGD(momentum: 0.9), Adam(), RMSprop(), Adagrad()] {
            optimizer.step([w], learningRate: 0.1)
        }
        XCTAssertEqual(w.value.storage, [1, 2])
    }

    func testStateRoundTripContinuesIdentically() throws {
        for make in [{ SGD(momentum: 0.9) as any Optimizer }, { Adam() }, { RMSprop(centered: true) }, { Adagrad() }] {
            let first = make()
            let w = Parameter(name: "W1", value: Matrix([[1, -2]]))
            for g in grads.prefix(2) { w.gradient = Matrix([g]); first.step([w], learningRate: 0.1) }
            let saved = first.saveState()
            let second = make()
            let copy = Parameter(name: "W1", value: w.value)
            try second.restoreState(saved, parameters: [copy])
            w.gradient = Matrix([grads[2]]); copy.gradient = Matrix([grads[2]])
            first.step([w], learningRate: 0.1)
            second.step([copy], learningRate: 0.1)
            XCTAssertEqual(w.value.storage, copy.value.storage, first.name)
        }
    }

    func testRestoringAStateOfOtherShapesFails() {
        let adam = Adam()
        XCTAssertThrowsError(try adam.restoreState(["exp_avg/W1": [1, 2, 3]], parameters: [Parameter(name: "W1", value: Matrix([[1, 2]]))])) { error in
            XCTAssertEqual("\(error)", "optimizer buffer exp_avg/W1 has 3 values but the parameter has 2")
        }
        XCTAssertThrowsError(try adam.restoreState(["momentum/W9": [1]], parameters: [Parameter(name: "W1", value: Matrix([[1, 2]]))])) { error in
            XCTAssertEqual("\(error)", "the adam optimizer state has an entry these parameters do not fit: 'momentum/W9'")
        }
    }
}
