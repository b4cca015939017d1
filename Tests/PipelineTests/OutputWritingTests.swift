import BackpropCore
import Foundation
import XCTest
@testable import Pipeline

/// `Engine.write`: the charts and history.csv are written on several threads at once, with the
/// same bytes as on one, and a failure is reported as if the outputs had run in the spec's order.
final class OutputWritingTests: XCTestCase {
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bp-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
        BLAS.setThreadCount(1)
    }

    static let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Pipelines/seed.yaml").path

    func runSeed(threads: Int, into name: String) throws -> (report: RunReport, folder: String) {
        BLAS.setThreadCount(threads)
        let folder = temporary.appendingPathComponent(name).path
        let request = RunRequest(specPath: Self.seed, overrides: ["training.epochs=300"], outputDirectory: folder)
        return (try Engine.run(try Engine.prepare(try Engine.load(request))).report, folder)
    }

    func testTwoThreadsWriteTheSameFilesAsOne() throws {
        let one = try runSeed(threads: 1, into: "one").folder
        let two = try runSeed(threads: 2, into: "two").folder
        for file in ["loss.png", "gradients.png", "history.csv", "model.json"] {
            let a = try XCTUnwrap(FileManager.default.contents(atPath: one + "/" + file), file)
            let b = try XCTUnwrap(FileManager.default.contents(atPath: two + "/" + file), file)
            XCTAssertGreaterThan(a.count, 100, file)
            XCTAssertEqual(a, b, file)
        }
        // The marker lists the same files.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: one).sorted(),
                       try FileManager.default.contentsOfDirectory(atPath: two).sorted())
    }

    /// history.csv's numbers are written into its buffer directly; they must read exactly as
    /// `description` spells them (what history.csv has always held).
    func testHistoryNumbersAreSpelledAsTheirDescriptions() {
        var doubles: [Double] = [0, -0.0, 1, -1, 0.5, 0.1, 1e-5, 1e-4, 123456.789, 1e15, 1e16, 1e23, 5e-324,
                                 .leastNormalMagnitude, .greatestFiniteMagnitude, .pi, .infinity, -.infinity, .nan,
                                 -.nan, .signalingNaN, Double(nan: 0x1234, signaling: false), 0.0014833401911948725]
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<20_000 {
            doubles.append(Double(bitPattern: generator.next()))
            doubles.append(Double(generator.next() >> 11) * 0x1p-53 * 1e-3)
        }
        for x in doubles {
            var out = CSVBytes()
            out.append(x)
            XCTAssertEqual(String(decoding: out.bytes, as: UTF8.self), x.description, "\(x.bitPattern)")
        }
        for n in [0, 1, 9, 10, 99, 100, 12_345, -1, -10, -987_654_321, Int.max, Int.min] {
            var out = CSVBytes()
            out.append(n)
            XCTAssertEqual(String(decoding: out.bytes, as: UTF8.self), n.description)
        }
    }

    /// Writes its name into its file, or fails with its name; records the thread it ran on.
    struct Probe: OutputStage {
        let file: String
        let fails: Bool
        let writesConcurrently: Bool
        let threads: ThreadLog

        func write(_ report: RunReport, to path: String) throws {
            threads.note(file)
            // Long enough for the other worker to take the next output meanwhile.
            usleep(20_000)
            if fails { throw PipelineError.output("cannot write \(file)", path: path) }
            try Data(file.utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    final class ThreadLog: @unchecked Sendable {
        private let lock = NSLock()
        private var threads: [String: UInt] = [:]
        func note(_ file: String) { lock.withLock { threads[file] = UInt(bitPattern: Int(bitPattern: pthread_self())) } }
        func distinctThreads(among files: [String]) -> Int { lock.withLock { Set(files.compactMap { threads[$0] }).count } }
        var files: Set<String> { lock.withLock { Set(threads.keys) } }
    }

    func testEveryOutputIsAttemptedAndTheFirstFailureInTheSpecsOrderIsThrown() throws {
        let report = try runSeed(threads: 1, into: "seed").report
        let folder = temporary.appendingPathComponent("probes").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Spec order: a (sequential, fine), b (concurrent, fine), c (concurrent, fails),
        // d (sequential, fails), e (concurrent, fine). Sequential outputs run first, so d fails
        // before c is attempted; the error is still c's, the first failure in the spec.
        for threads in [1, 2] {
            let log = ThreadLog()
            let outputs: [any OutputStage] = [
                Probe(file: "a", fails: false, writesConcurrently: false, threads: log),
                Probe(file: "b", fails: false, writesConcurrently: true, threads: log),
                Probe(file: "c", fails: true, writesConcurrently: true, threads: log),
                Probe(file: "d", fails: true, writesConcurrently: false, threads: log),
                Probe(file: "e", fails: false, writesConcurrently: true, threads: log),
            ]
            XCTAssertThrowsError(try Engine.write(outputs, report, into: folder, threads: threads)) { error in
                XCTAssertEqual((error as? PipelineError)?.description, folder + "/c: error: cannot write c")
                XCTAssertEqual((error as? PipelineError)?.exitCode, .cannotCreate)
            }
            XCTAssertEqual(log.files, ["a", "b", "c", "d", "e"])
            for name in ["a", "b", "e"] {
                XCTAssertEqual(FileManager.default.contents(atPath: folder + "/" + name), Data(name.utf8))
                try FileManager.default.removeItem(atPath: folder + "/" + name)
            }
            // One thread: everything on this one; two: the concurrent three on two threads (on a
            // machine with two cores or more: Dispatch runs no more at once than there are).
            XCTAssertEqual(log.distinctThreads(among: ["b", "c", "e"]),
                           min(threads, ProcessInfo.processInfo.activeProcessorCount))
        }
    }
}
