import Foundation
import XCTest
@testable import BackpropCore

/// The core's data parallelism without MPI: N trainers on N threads whose `ProcessGroup`
/// exchanges through shared memory, against one trainer alone.
final class ProcessGroupTests: XCTestCase {
    /// One process group of `size` threads: `allGather` copies each rank's bytes into a shared
    /// buffer, waits for all, copies the whole buffer out, and waits again before the next call
    /// can overwrite it.
    final class ThreadGroup: ProcessGroup, @unchecked Sendable {
        final class Shared: @unchecked Sendable {
            let size: Int
            let condition = NSCondition()
            var buffer: [UInt8] = []
            var arrived = 0
            var generation = 0
            init(size: Int) { self.size = size }

            func barrier() {
                condition.lock()
                let mine = generation
                arrived += 1
                if arrived == size {
                    arrived = 0
                    generation += 1
                    condition.broadcast()
                } else {
                    while generation == mine { condition.wait() }
                }
                condition.unlock()
            }
        }

        let rank: Int
        let shared: Shared
        var size: Int { shared.size }
        private(set) var calls = 0

        init(rank: Int, shared: Shared) {
            self.rank = rank
            self.shared = shared
        }

        func allGather(_ mine: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) {
            shared.condition.lock()
            if shared.buffer.count != mine.count * size { shared.buffer = Array(repeating: 0, count: mine.count * size) }
            shared.condition.unlock()
            shared.barrier()
            shared.buffer.withUnsafeMutableBytes { buffer in
                UnsafeMutableRawBufferPointer(rebasing: buffer[rank * mine.count ..< (rank + 1) * mine.count]).copyMemory(from: mine)
            }
            shared.barrier()
            shared.buffer.withUnsafeBytes { all.copyMemory(from: $0) }
            shared.barrier()
            calls += 1
        }
    }

    /// 45 samples, 45 = 2·20 + 5: batches of 20, 20 and 5, so with 4 ranks the shares are 5 and 1
    /// or 2 samples, and with 8 some are empty.
    static func data() -> Dataset {
        var g = SeededGenerator(seed: 21)
        var x: [Double] = [], y: [Double] = []
        for _ in 0..<45 {
            let a = g.uniform(-1, 1), b = g.uniform(-1, 1)
            x += [a, b]
            y += a * b > 0 ? [1, 0] : [0, 1]
        }
        return Dataset(inputs: Matrix(rows: 45, columns: 2, storage: x), targets: Matrix(rows: 45, columns: 2, storage: y))
    }

    static func network() -> Network {
        var g = SeededGenerator(seed: 4)
        return Network(inputCount: 2, layers: [
            DenseLayer(index: 1, weights: Matrix(rows: 2, columns: 12, storage: XavierUniform().weights(fanIn: 2, fanOut: 12, using: &g)),
                       bias: Array(repeating: 0, count: 12), activation: Tanh()),
            DenseLayer(index: 2, weights: Matrix(rows: 12, columns: 2, storage: XavierUniform().weights(fanIn: 12, fanOut: 2, using: &g)),
                       bias: [0, 0], activation: Softmax()),
        ])
    }

    static let options = TrainingOptions(epochs: 40, batchSize: 20, shuffle: true, measureAccuracy: true,
                                         clipGradientNorm: 0.8, regularization: Regularization(l2: 0.001))

    /// Trains `data` in `precision` with `ranks` threads (nil: alone, no group); rank 0's outcome
    /// and final parameters, after checking every rank ended with the same parameters.
    static func train(_ precision: Precision, ranks: Int?, options: TrainingOptions = options,
                      optimizer: @escaping () -> any Optimizer = { Adam() }, epochs: Int? = nil,
                      resumingFrom state: TrainingState? = nil)
    throws -> (outcome: TrainingOutcome, parameters: [[Double]], calls: Int, states: [TrainingState]) {
        var options = options
        if let epochs { options.epochs = epochs }
        func session(group: (any ProcessGroup)?) -> any TrainingSession {
            precision.trainer(network: network(), loss: CrossEntropy(), optimizer: optimizer(), schedule: ConstantRate(0.02),
                              options: options, generator: SeededGenerator(seed: 8), group: group)
        }
        guard let ranks else {
            let trainer = session(group: nil)
            let outcome = try trainer.train(data(), validation: nil, resumingFrom: state, shouldStop: { false }, onEpoch: { _ in }, onState: nil)
            return (outcome, trainer.state.parameters, 0, [trainer.state])
        }
        let shared = ThreadGroup.Shared(size: ranks)
        let groups = (0..<ranks).map { ThreadGroup(rank: $0, shared: shared) }
        // One thread per rank (not a pool, which would run fewer at once than the barrier
        // waits for); each touches only its own session and result slot.
        final class Ranks: @unchecked Sendable {
            let sessions: [any TrainingSession]
            let results: UnsafeMutableBufferPointer<TrainingOutcome?>
            let done = DispatchGroup()
            init(_ sessions: [any TrainingSession]) {
                self.sessions = sessions
                results = .allocate(capacity: sessions.count)
                results.initialize(repeating: nil)
            }
            deinit { results.deallocate() }
        }
        let work = Ranks(groups.map { session(group: $0) })
        for r in 0..<ranks {
            work.done.enter()
            Thread {
                work.results[r] = try? work.sessions[r].train(data(), validation: nil, resumingFrom: state, shouldStop: { false },
                                                              onEpoch: { _ in }, onState: nil)
                work.done.leave()
            }.start()
        }
        XCTAssertEqual(work.done.wait(timeout: .now() + 120), .success, "a rank did not finish")
        let sessions = work.sessions, results = Array(work.results)
        let parameters = sessions.map { $0.state.parameters }
        for r in 1..<ranks { XCTAssertEqual(parameters[r], parameters[0], "rank \(r) took other steps than rank 0") }
        for r in 1..<ranks { XCTAssertEqual(results[r]?.history, results[0]?.history, "rank \(r)'s history") }
        return (try XCTUnwrap(results[0]), parameters[0], groups[0].calls, sessions.map(\.state))
    }

    func testSharesCoverTheBatchInRankOrder() {
        let shared = ThreadGroup.Shared(size: 3)
        XCTAssertEqual((0..<3).map { ThreadGroup(rank: $0, shared: shared).share(of: 10..<17) }, [10..<12, 12..<14, 14..<17])
        let four = ThreadGroup.Shared(size: 4)
        XCTAssertEqual((0..<4).map { ThreadGroup(rank: $0, shared: four).share(of: 40..<42) }, [40..<40, 40..<41, 41..<41, 41..<42])
    }

    func testOneRankIsBitIdenticalAndMoreRanksFollowTheTrajectoryInFloat64() throws {
        let alone = try Self.train(.float64, ranks: nil)
        let one = try Self.train(.float64, ranks: 1)
        XCTAssertEqual(one.outcome.history, alone.outcome.history)
        XCTAssertEqual(one.parameters, alone.parameters)
        // One rank has no one to exchange with: it trains as a plain run, without exchanges.
        XCTAssertEqual(one.calls, 0)
        for ranks in [2, 4, 8] {
            let parallel = try Self.train(.float64, ranks: ranks)
            // Besides the steps, the untrained loss (the divergence rule's baseline) and the
            // final evaluation are split over the ranks, one exchange each.
            XCTAssertEqual(parallel.calls, 122)
            // Only the order of the gradient sums differs (a few ulps per step); 1e-12 relative
            // is the design's bound over a run.
            assertClose(parallel.outcome.history.map(\.loss), alone.outcome.history.map(\.loss), 1e-12, "\(ranks) ranks' losses")
            assertClose(parallel.outcome.history.flatMap(\.gradientNorms), alone.outcome.history.flatMap(\.gradientNorms), 1e-12,
                        "\(ranks) ranks' gradient norms")
            assertClose(parallel.parameters.flatMap { $0 }, alone.parameters.flatMap { $0 }, 1e-12, "\(ranks) ranks' weights")
            // Accuracy counts every rank's samples: exactly the same correct counts.
            XCTAssertEqual(parallel.outcome.history.map(\.trainAccuracy), alone.outcome.history.map(\.trainAccuracy))
            XCTAssertEqual(parallel.outcome.samplesProcessed, 45 * 40)
        }
    }

    /// Without clipping, two or more ranks split the update (`ShardedStep`): each updates its
    /// range of the parameters, and the ranks share weights after every step and gradient sums
    /// and optimizer buffers after every epoch.
    func testRanksThatSplitTheUpdateFollowTheTrajectoryAndEachHoldTheWholeState() throws {
        var unclipped = Self.options
        unclipped.clipGradientNorm = nil
        let optimizers: [(String, () -> any Optimizer)] = [("adam", { Adam() }), ("sgd momentum", { SGD(momentum: 0.9, nesterov: true) })]
        for (name, optimizer) in optimizers {
            let alone = try Self.train(.float64, ranks: nil, options: unclipped, optimizer: optimizer)
            let one = try Self.train(.float64, ranks: 1, options: unclipped, optimizer: optimizer)
            XCTAssertEqual(one.parameters, alone.parameters, name)
            XCTAssertEqual(one.outcome.history, alone.outcome.history, name)
            let reference = alone.states[0]
            for ranks in [2, 3, 4, 8] {
                let parallel = try Self.train(.float64, ranks: ranks, options: unclipped, optimizer: optimizer)
                // Per step the gradients' exchange and the weights'; per epoch the gradient sums'
                // and the optimizer buffers'; and the untrained and final losses.
                XCTAssertEqual(parallel.calls, 40 * (3 * 2 + 2) + 2, "\(name), \(ranks) ranks")
                assertClose(parallel.outcome.history.map(\.loss), alone.outcome.history.map(\.loss), 1e-12, "\(name), \(ranks) ranks' losses")
                assertClose(parallel.outcome.history.flatMap(\.gradientNorms), alone.outcome.history.flatMap(\.gradientNorms), 1e-12,
                            "\(name), \(ranks) ranks' gradient norms")
                assertClose(parallel.outcome.history.flatMap(\.gradientMeanAbs), alone.outcome.history.flatMap(\.gradientMeanAbs), 1e-12,
                            "\(name), \(ranks) ranks' mean |gradient|")
                assertClose(parallel.parameters.flatMap { $0 }, alone.parameters.flatMap { $0 }, 1e-12, "\(name), \(ranks) ranks' weights")
                XCTAssertEqual(parallel.outcome.history.map(\.trainAccuracy), alone.outcome.history.map(\.trainAccuracy))
                // Every rank holds the whole state a single process would: the epoch's mean
                // gradients (the heatmaps) and every optimizer buffer, not just its range.
                for (r, state) in parallel.states.enumerated() {
                    XCTAssertEqual(Set(state.optimizer.keys), Set(reference.optimizer.keys), "\(name), rank \(r)")
                    for key in reference.optimizer.keys.sorted() {
                        assertClose(state.optimizer[key] ?? [], reference.optimizer[key] ?? [], 1e-12, "\(name), rank \(r) of \(ranks): \(key)")
                    }
                    // A mean gradient is a sum with cancellation: its rounding is bounded relative to
                    // the terms' size, so near-zero elements are compared on the matrix's scale.
                    assertCloseOnScale(state.lastEpochGradients.flatMap(\.storage), reference.lastEpochGradients.flatMap(\.storage), 1e-12,
                                       "\(name), rank \(r) of \(ranks): last epoch's gradients")
                    assertCloseOnScale(state.firstEpochGradients.flatMap(\.storage), reference.firstEpochGradients.flatMap(\.storage), 1e-12,
                                       "\(name), rank \(r) of \(ranks): first epoch's gradients")
                }
            }
            // A state from 3 ranks after 20 epochs resumes in one process as if never split.
            let half = try Self.train(.float64, ranks: 3, options: unclipped, optimizer: optimizer, epochs: 20)
            let resumed = try Self.train(.float64, ranks: nil, options: unclipped, optimizer: optimizer, resumingFrom: half.states[0])
            assertClose(resumed.parameters.flatMap { $0 }, alone.parameters.flatMap { $0 }, 1e-12, "\(name), resumed from 3 ranks")
        }
    }

    func testFloat32RanksFollowTheFloat32Trajectory() throws {
        let alone = try Self.train(.float32, ranks: nil)
        let two = try Self.train(.float32, ranks: 2)
        XCTAssertEqual(try Self.train(.float32, ranks: 1).parameters, alone.parameters)
        // Float sums reordered: ~6e-8 relative per step; 120 steps of Adam keep it below 1e-4.
        assertClose(two.parameters.flatMap { $0 }, alone.parameters.flatMap { $0 }, 1e-4, "float32 weights")
        XCTAssertNotEqual(two.parameters, try Self.train(.float64, ranks: 2).parameters, "float32 really ran in float32")
    }

    /// |actual − expected| ≤ relative · max |expected| for every element.
    func assertCloseOnScale(_ actual: [Double], _ expected: [Double], _ relative: Double, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let scale = expected.map(abs).max() ?? 0
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, relative * scale, "\(what): largest difference \(worst) on a scale of \(scale)", file: file, line: line)
        XCTAssertGreaterThan(scale, 0, what, file: file, line: line)
    }

    func assertClose(_ actual: [Double], _ expected: [Double], _ relative: Double, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let worst = zip(actual, expected).map { a, e in max(abs(a), abs(e)) > 0 ? abs(a - e) / max(abs(a), abs(e)) : 0 }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, relative, "\(what): largest relative difference \(worst)", file: file, line: line)
        XCTAssertGreaterThan(actual.count, 0, what, file: file, line: line)
    }
}
