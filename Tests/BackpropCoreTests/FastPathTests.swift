import XCTest
@testable import BackpropCore

/// The training core's fast paths: the direct loop for tiny products against BLAS, buffers
/// kept between batches, no gradient for the data, accuracy from the training forward pass,
/// and the state an interrupted epoch resumes from.
final class FastPathTests: XCTestCase {
    static func random(_ rows: Int, _ columns: Int, _ g: inout SeededGenerator) -> Matrix {
        Matrix(rows: rows, columns: columns, storage: (0..<(rows * columns)).map { _ in g.uniform(-1, 1) })
    }

    /// C = op(A)·op(B) for every transpose pair with m·n·k under `BLAS.directLimit` (the direct
    /// loop), against the same rows computed by BLAS: A gets zero rows appended until the product
    /// is too big for the loop, which changes no sum of the first m rows. Two ways of summing
    /// the same k products differ by at most 2·γ_k·Σ_p |a_ip·b_pj| with γ_k = k·ε/(1 − k·ε)
    /// (Higham, Accuracy and Stability of Numerical Algorithms, §3.1); we allow exactly that.
    func testDirectLoopMatchesBLASWithinTheRoundingBound() {
        var g = SeededGenerator(seed: 21)
        for (m, n, k) in [(1, 2, 2), (3, 5, 7), (8, 4, 30), (16, 16, 4)] {
            XCTAssertLessThanOrEqual(m * n * k, BLAS.directLimit)
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                let padded = BLAS.directLimit / (n * k) + 1 + m
                let a = Self.random(transposeA ? k : m, transposeA ? m : k, &g)
                let b = Self.random(transposeB ? n : k, transposeB ? k : n, &g)
                // The padded A: rows m..<padded of op(A) are zero.
                var big = Matrix(rows: transposeA ? k : padded, columns: transposeA ? padded : k)
                for i in 0..<m {
                    for p in 0..<k {
                        if transposeA { big[p, i] = a[p, i] } else { big[i, p] = a[i, p] }
                    }
                }
                var small = Matrix(rows: m, columns: n)
                var reference = Matrix(rows: padded, columns: n)
                BLAS.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &small)
                BLAS.gemm(big, transposeA: transposeA, b, transposeB: transposeB, into: &reference)
                let gamma = Double(k) * Double.ulpOfOne / 2 / (1 - Double(k) * Double.ulpOfOne / 2)
                for i in 0..<m {
                    for j in 0..<n {
                        var magnitude = 0.0
                        for p in 0..<k {
                            magnitude += abs((transposeA ? a[p, i] : a[i, p]) * (transposeB ? b[j, p] : b[p, j]))
                        }
                        XCTAssertLessThanOrEqual(abs(small[i, j] - reference[i, j]), 2 * gamma * magnitude,
                                                 "\(m)x\(n)x\(k) transposes \(transposeA) \(transposeB) at (\(i), \(j))")
                    }
                }
                for i in m..<padded {
                    for j in 0..<n { XCTAssertEqual(reference[i, j], 0) }
                }
            }
        }
    }

    /// beta = 0 (C zeroed by us, then OpenBLAS with beta = 1) gives OpenBLAS's own beta = 0
    /// result bit for bit, and nothing C held before (NaN, infinity) survives, in both
    /// precisions; a C whose rows are longer than n (ldc > n) keeps the values past column n.
    func testBetaZeroOverwritesWhatCHeldExactlyAsOpenBLASDoes() {
        func check<S: TrainingScalar>(_: S.Type) {
            var g = SeededGenerator(seed: 5)
            let (m, n, k, ldc) = (37, 29, 41, 33)
            XCTAssertGreaterThan(m * n * k, BLAS.directLimit)
            let a = (0..<(m * k)).map { _ in S(g.uniform(-1, 1)) }
            let b = (0..<(k * n)).map { _ in S(g.uniform(-1, 1)) }
            var ours = [S](repeating: .nan, count: m * ldc)
            for i in stride(from: 0, to: ours.count, by: 7) { ours[i] = .infinity }
            var theirs = [S](repeating: 0, count: m * ldc)
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    ours.withUnsafeMutableBufferPointer { c in
                        BLAS.gemm(m: m, n: n, k: k, alpha: 1, a.baseAddress, lda: k, transposeA: false,
                                  b.baseAddress, ldb: n, transposeB: false, beta: 0, c.baseAddress, ldc: ldc)
                    }
                    theirs.withUnsafeMutableBufferPointer { c in
                        S.blasGEMM(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
                                   a.baseAddress!, lda: k, b.baseAddress!, ldb: n, beta: 0, c.baseAddress!, ldc: ldc)
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<n {
                    let mine: S = ours[i * ldc + j], library: S = theirs[i * ldc + j]
                    XCTAssertTrue(mine == library && mine.sign == library.sign, "\(S.self) (\(i), \(j)): \(mine) vs \(library)")
                }
                for j in n..<ldc {
                    let kept: S = ours[i * ldc + j]
                    XCTAssertTrue(!kept.isFinite, "column \(j) past n was written")
                }
            }
        }
        check(Double.self)
        check(Float.self)
    }

    static func xor() -> Dataset {
        Dataset(inputs: Matrix([[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.2]]),
                targets: Matrix([[0], [1], [1], [0], [1]]))
    }

    static func network(seed: UInt64 = 3, width: Int = 4) -> Network {
        var g = SeededGenerator(seed: seed)
        return Network(inputCount: 2, layers: [
            DenseLayer(index: 1, weights: Matrix(rows: 2, columns: width, storage: XavierUniform().weights(fanIn: 2, fanOut: width, using: &g)),
                       bias: Array(repeating: 0.1, count: width), activation: Tanh()),
            DenseLayer(index: 2, weights: Matrix(rows: width, columns: width, storage: XavierUniform().weights(fanIn: width, fanOut: width, using: &g)),
                       bias: Array(repeating: 0, count: width), activation: ReLU()),
            DenseLayer(index: 3, weights: Matrix(rows: width, columns: 1, storage: XavierUniform().weights(fanIn: width, fanOut: 1, using: &g)),
                       bias: [0], activation: Sigmoid()),
        ])
    }

    func testOnlyLayersAboveTheFirstComputeTheirInputGradient() {
        let network = Self.network()
        let data = Self.xor()
        _ = network.lossAndGradient(data.inputs, target: data.targets, loss: BinaryCrossEntropy())
        XCTAssertEqual(network.layers[0].inputGradient.storage.count, 0)
        XCTAssertEqual(network.layers[1].inputGradient.rows, 5)
        XCTAssertEqual(network.layers[1].inputGradient.columns, 4)
        XCTAssertEqual(network.layers[2].inputGradient.columns, 4)
    }

    /// Writing the gradients over (training) gives what zeroing and accumulating gives.
    func testWrittenGradientsEqualZeroedAndAccumulatedOnes() {
        let data = Self.xor()
        let first = Self.network(), second = Self.network()
        for p in second.parameters { p.gradient.fill(123) }
        first.zeroGradients()
        let a = first.lossAndGradient(data.inputs, target: data.targets, loss: BinaryCrossEntropy())
        let b = second.gradient(data.inputs, target: data.targets, loss: BinaryCrossEntropy(),
                                 fused: second.fusedLoss(BinaryCrossEntropy()), accumulate: false)
        XCTAssertEqual(a, b)
        XCTAssertEqual(first.parameters.map(\.gradient), second.parameters.map(\.gradient))
    }

    /// 11 samples in batches of 4 (4, 4, 3): after the first epoch no buffer moves, though the
    /// last batch of each epoch is smaller.
    func testTrainingKeepsItsBuffersFromEpochToEpoch() {
        var inputs: [[Double]] = [], targets: [[Double]] = []
        for i in 0..<11 {
            inputs.append([Double(i % 3) / 2, Double(i % 5) / 4])
            targets.append([Double(i % 2)])
        }
        let data = Dataset(inputs: Matrix(inputs), targets: Matrix(targets))
        func addresses(_ network: Network) -> [UnsafeRawPointer?] {
            network.layers.flatMap { layer in
                [layer.net, layer.output, layer.netGradient, layer.inputGradient, layer.weights.gradient].map { m in
                    m.storage.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
                }
            }
        }
        let network = Self.network()
        var seen: [[UnsafeRawPointer?]] = []
        let trainer = Trainer(network: network, loss: BinaryCrossEntropy(), optimizer: SGD(momentum: 0.9),
                              schedule: ConstantRate(0.1),
                              options: TrainingOptions(epochs: 4, batchSize: 4, shuffle: true, measureAccuracy: true),
                              generator: SeededGenerator(seed: 1))
        _ = trainer.train(data, onEpoch: { _ in seen.append(addresses(network)) })
        XCTAssertEqual(seen.count, 4)
        for epoch in 1..<4 { XCTAssertEqual(seen[epoch], seen[0], "epoch \(epoch + 1)") }
    }

    /// history's train_accuracy counts the forward pass of each batch, before its update: with
    /// one batch per epoch, epoch e's is the accuracy of the parameters after e − 1 updates.
    func testTrainAccuracyIsThatOfEachBatchsForwardPassBeforeItsUpdate() {
        let data = Self.xor()
        var expected: [Double] = []
        let network = Self.network(seed: 8)
        let trainer = Trainer(network: network, loss: BinaryCrossEntropy(), optimizer: Adam(), schedule: ConstantRate(0.05),
                              options: TrainingOptions(epochs: 60, measureAccuracy: true), generator: SeededGenerator(seed: 1))
        expected.append(network.accuracy(on: data))
        let outcome = trainer.train(data, onEpoch: { _ in expected.append(network.accuracy(on: data)) })
        XCTAssertEqual(outcome.history.map(\.trainAccuracy), expected.dropLast().map { Optional($0) })
        XCTAssertEqual(outcome.finalAccuracy, expected.last)
        // The run moved: the accuracies are not all one value.
        XCTAssertGreaterThan(Set(expected).count, 1)
    }

    /// Interrupted between two batches, the trainer resumes from the end of the last complete
    /// epoch: exactly the state `onState` saw then.
    func testAnInterruptionInsideAnEpochResumesFromTheLastCompleteEpoch() throws {
        let data = TrainerTests.data()
        let trainer = TrainerTests.trainer(TrainingOptions(epochs: 10, batchSize: 8, shuffle: true))
        var polls = 0
        var last: TrainingState?
        let outcome = trainer.train(data, shouldStop: {
            polls += 1
            return polls == 12   // after the 2nd batch of epoch 3: 5 polls an epoch, after batches 1-4 and at its end
        }, onState: { last = $0 })
        XCTAssertEqual(outcome.status, .interrupted)
        let expected = try XCTUnwrap(last)
        XCTAssertEqual(expected.nextEpoch, 3)
        XCTAssertEqual(trainer.resumableState, expected)
        XCTAssertNotEqual(trainer.state, expected)
    }
}
