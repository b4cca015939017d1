@preconcurrency import Glibc
import Foundation
import TestSupport
import XCTest

/// `mpirun -np N bp-pipeline SPEC`: one model trained data-parallel by N processes, through the
/// real binary and Open MPI's real launcher (installed by Scripts/install-packages.sh; without it
/// these tests fail, they do not skip).
final class DataParallelTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try Binary.copyOfFixtures("parallel")
        let iris = Binary.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data/iris.csv")
        try FileManager.default.copyItem(at: iris, to: folder.appendingPathComponent("iris.csv"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// `mpirun` in the test's folder (see `Binary.mpirun`).
    func mpirun(_ contexts: [(ranks: Int, arguments: [String])], timeout: TimeInterval = 120,
                whileRunning: ((Process) -> Void)? = nil) throws -> Binary.Result {
        try Binary.mpirun(contexts, in: folder, timeout: timeout, whileRunning: whileRunning)
    }

    func mpirun(ranks: Int, _ arguments: [String], whileRunning: ((Process) -> Void)? = nil) throws -> Binary.Result {
        try mpirun([(ranks, arguments)], whileRunning: whileRunning)
    }

    func file(_ relative: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(relative)) }

    func metrics(_ run: String) throws -> [String: Any] {
        try JSONReader.object(atPath: folder.appendingPathComponent("runs/\(run)/metrics.json").path)
    }

    /// Every number of model.json's layers (weights, then biases, layer by layer).
    func weights(_ run: String) throws -> [Double] {
        let model = try JSONReader.object(atPath: folder.appendingPathComponent("runs/\(run)/model.json").path)
        var numbers: [Double] = []
        func walk(_ value: Any) {
            if let number = value as? Double { numbers.append(number) }
            if let number = value as? Int { numbers.append(Double(number)) }
            if let array = value as? [Any] { array.forEach(walk) }
        }
        for layer in try XCTUnwrap(model["layers"] as? [[String: Any]]) {
            walk(layer["weights"] as Any)
            walk(layer["bias"] as Any)
        }
        return numbers
    }

    /// history.csv's header and its rows of numbers (empty fields read as nil).
    func history(_ run: String) throws -> (header: String, rows: [[Double?]]) {
        let text = try String(contentsOf: folder.appendingPathComponent("runs/\(run)/history.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        return (lines[0], lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) } })
    }

    /// Asserts `actual` follows `expected` to `relative` × the larger magnitude, element by element.
    func assertClose(_ actual: [Double?], _ expected: [Double?], relative: Double, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        var worst = 0.0
        for (a, e) in zip(actual, expected) {
            guard let a, let e else {
                XCTAssertTrue(a == nil && e == nil, "\(what): a value is missing on one side", file: file, line: line)
                continue
            }
            let scale = max(abs(a), abs(e))
            if scale > 0 { worst = max(worst, abs(a - e) / scale) }
        }
        XCTAssertLessThanOrEqual(worst, relative, "\(what): largest relative difference \(worst)", file: file, line: line)
    }

    /// The trajectory (every history.csv column of every epoch) and the final weights of `run`
    /// against `reference`'s. Only the order of the gradient sums differs between rank counts
    /// (rank r's share summed apart, then the ranks in order), a few ulps per step (~1e-16
    /// relative); 80 epochs of Adam carry that to about 1e-14 here, and 1e-12 is the bound the
    /// design promises.
    func assertSameTrajectory(_ run: String, as reference: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try history(reference), actual = try history(run)
        XCTAssertEqual(actual.header, expected.header, file: file, line: line)
        XCTAssertEqual(actual.rows.count, expected.rows.count, file: file, line: line)
        assertClose(actual.rows.flatMap { $0 }, expected.rows.flatMap { $0 }, relative: 1e-12, "\(run) history", file: file, line: line)
        assertClose(try weights(run), try weights(reference), relative: 1e-12, "\(run) weights", file: file, line: line)
    }

    func testOneTwoAndFourRanksFollowThePlainRunsTrajectory() throws {
        let plain = try Binary.run(["parallel.yaml", "--out", "runs/plain", "--quiet"], in: folder)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        for ranks in [1, 2, 4] {
            let result = try mpirun(ranks: ranks, ["parallel.yaml", "--out", "runs/n\(ranks)", "--threads", "1"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stderr, "")
            // Rank 0 alone prints the summary (the other ranks' stdout goes nowhere).
            XCTAssertEqual(result.stdout.components(separatedBy: "parallel: completed after 80 epochs").count, 2, result.stdout)
            let metrics = try metrics("n\(ranks)")
            XCTAssertEqual(metrics["ranks"] as? Int, ranks)
            XCTAssertEqual(metrics["training_samples"] as? Int, 111)
            // Samples are counted once, whichever rank computed them: 111 × 80.
            let seconds = try XCTUnwrap(metrics["train_seconds"] as? Double), rate = try XCTUnwrap(metrics["samples_per_second"] as? Double)
            XCTAssertEqual((seconds * rate).rounded(), 8880)
            let exchange = try XCTUnwrap(metrics["exchange_seconds"] as? Double)
            if ranks == 1 {
                // One rank trains as a plain run: nothing to exchange.
                XCTAssertEqual(exchange, 0)
            } else {
                XCTAssertGreaterThan(exchange, 0)
                XCTAssertLessThanOrEqual(exchange, seconds)
            }
            try assertSameTrajectory("n\(ranks)", as: "plain")
        }
        // One rank trains as a plain run, to the bit.
        XCTAssertEqual(try file("runs/n1/history.csv"), try file("runs/plain/history.csv"))
        XCTAssertEqual(try file("runs/n1/model.json"), try file("runs/plain/model.json"))
        XCTAssertEqual(try metrics("plain")["ranks"] as? Int, 1)
        XCTAssertNil(try metrics("plain")["exchange_seconds"])
        // The other ranks wrote nothing: no folder, staging folder or checkpoint besides rank 0's.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs").path).sorted(),
                       ["n1", "n2", "n4", "plain"])
    }

    func testTwoRunsWithTheSameRankCountAreByteIdentical() throws {
        for run in ["first", "second"] {
            let result = try mpirun(ranks: 2, ["parallel.yaml", "--out", "runs/\(run)", "--quiet", "--threads", "1"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        XCTAssertEqual(try file("runs/first/history.csv"), try file("runs/second/history.csv"))
        XCTAssertEqual(try file("runs/first/model.json"), try file("runs/second/model.json"))
        var first = try metrics("first"), second = try metrics("second")
        for timing in ["train_seconds", "samples_per_second", "exchange_seconds"] {
            first[timing] = nil
            second[timing] = nil
        }
        XCTAssertEqual(NSDictionary(dictionary: first), NSDictionary(dictionary: second))
    }

    func testBadDataOnOneRankIsReportedOnceAndEndsEveryRankWithItsCode() throws {
        // Rank 1 reads a copy of the data with a damaged row (MPMD: one context per rank).
        var rows = try String(contentsOf: folder.appendingPathComponent("iris.csv"), encoding: .utf8).components(separatedBy: "\n")
        rows[4] = "4.6,3.1,1.x,setosa"
        try rows.joined(separator: "\n").write(to: folder.appendingPathComponent("damaged.csv"), atomically: true, encoding: .utf8)
        let result = try mpirun([(1, ["parallel.yaml"]), (1, ["parallel.yaml", "--set", "data.path=damaged.csv"])])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stderr, "damaged.csv:5:5: error: row has 4 fields but the header has 5\n")
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(Binary.listing(folder).filter { $0.hasPrefix("runs") }, [], "no rank wrote anything")
    }

    func testOtherDataOnOneRankIsRefusedBeforeTraining() throws {
        // Valid but different: the first ten flowers' petals 0.1 cm wider on rank 1's copy (some
        // of them are in the training part, whichever the validation split holds out).
        var rows = try String(contentsOf: folder.appendingPathComponent("iris.csv"), encoding: .utf8).components(separatedBy: "\n")
        XCTAssertEqual(rows[1], "5.1,3.5,1.4,0.2,setosa")
        for r in 1...10 {
            var fields = rows[r].split(separator: ",").map(String.init)
            fields[3] = String(Double(fields[3])! + 0.1)
            rows[r] = fields.joined(separator: ",")
        }
        try rows.joined(separator: "\n").write(to: folder.appendingPathComponent("other.csv"), atomically: true, encoding: .utf8)
        let result = try mpirun([(1, ["parallel.yaml"]), (1, ["parallel.yaml", "--set", "data.path=other.csv"])])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stderr, "error: rank 1 of 2 loaded other training data than rank 0 (111 samples against 111, or other values); every rank must read the same files\n")
        XCTAssertEqual(Binary.listing(folder).filter { $0.hasPrefix("runs") }, [])
    }

    func testUsageErrorsArePrintedOnceWithTheirCode() throws {
        let typo = try mpirun(ranks: 2, ["valdate", "parallel.yaml"])
        XCTAssertEqual(typo.status, 64)
        XCTAssertEqual(typo.stderr, "bp-pipeline: error: unknown command 'valdate'; did you mean 'validate' or 'evaluate'?\n")
        let missing = try mpirun(ranks: 2, ["missing.yaml"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "missing.yaml: error: no such file\n")
    }

    func testAFailedExpectationIsPrintedOnceAndEveryRankExits3() throws {
        let plain = try Binary.run(["parallel.yaml", "--out", "runs/plain", "--quiet", "--set", "expect.final_loss=< 0.0001"], in: folder)
        XCTAssertEqual(plain.status, 3, plain.stderr)
        let result = try mpirun(ranks: 2, ["parallel.yaml", "--quiet", "--set", "expect.final_loss=< 0.0001"])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("parallel.yaml: error: expect: final_loss "), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, plain.stderr.split(separator: "\n").count, result.stderr)
        XCTAssertEqual(try metrics("parallel")["expect_passed"] as? Bool, false)
    }

    func testDivergenceIsAgreedAndReportedAsInAPlainRun() throws {
        // One sample: rank 0's share of every batch is empty, the overflow happens on rank 1 alone.
        let plain = try Binary.run(["explodes.yaml", "--out", "runs/plain"], in: folder)
        XCTAssertEqual(plain.status, 1, plain.stderr)
        let result = try mpirun(ranks: 2, ["explodes.yaml", "--out", "runs/two"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stdout, plain.stdout.replacingOccurrences(of: "runs/plain", with: "runs/two"))
        let expected = try metrics("plain"), actual = try metrics("two")
        for key in ["status", "epochs", "failure", "diverged_epoch", "diverged_layer"] {
            XCTAssertEqual("\(actual[key] ?? "none")", "\(expected[key] ?? "none")", key)
        }
        XCTAssertEqual(actual["status"] as? String, "diverged")
    }

    /// Starts `ranks` ranks on parallel.yaml for 2000 epochs (about 1.5 s of training on a
    /// 2-core machine, so a machine several times faster still stops in the middle: 400 epochs
    /// came to within the signal's delay) and, once training has run 0.3 s,
    /// sends SIGTERM to rank `signalled` alone (Slurm signals every task; one is the harder case:
    /// the others learn it in the next exchange).
    func interrupt(ranks: Int, signalled: Int) throws -> Binary.Result {
        try mpirun(ranks: ranks, ["parallel.yaml", "--set", "training.epochs=2000", "--threads", "1"]) { process in
            let processes = Binary.rankProcesses(of: process, count: ranks)
            let runs = self.folder.appendingPathComponent("runs")
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
                if entries.contains(where: { $0.hasPrefix(".parallel.partial-") }) { break }
                usleep(5_000)
            }
            usleep(300_000)
            if let pid = processes[signalled] { kill(pid, SIGTERM) }
        }
    }

    func testSIGTERMOnOneRankCheckpointsOnceAndResumesWithAnotherRankCount() throws {
        let epochs = ["--set", "training.epochs=2000", "--threads", "1"]
        let plain = try Binary.run(["parallel.yaml", "--out", "runs/plain", "--quiet"] + epochs, in: folder)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let two = try mpirun(ranks: 2, ["parallel.yaml", "--out", "runs/two", "--quiet"] + epochs)
        XCTAssertEqual(two.status, 0, two.stderr)

        // Two ranks stopped by a SIGTERM to rank 1, resumed by one plain process.
        let stopped = try interrupt(ranks: 2, signalled: 1)
        XCTAssertEqual(stopped.status, 143, stopped.stderr)
        XCTAssertEqual(stopped.stderr, "")
        XCTAssertEqual(try metrics("parallel")["status"] as? String, "interrupted")
        let stoppedAt = try XCTUnwrap(try metrics("parallel")["epochs"] as? Int)
        XCTAssertLessThan(stoppedAt, 2000)
        XCTAssertTrue(stopped.stdout.hasPrefix("parallel: interrupted after \(stoppedAt) epoch"), stopped.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs/parallel").path).sorted(),
                       [".bp-pipeline-run", "checkpoint.bin", "history.csv", "metrics.json", "model.json"])
        let resumed = try Binary.run(["parallel.yaml", "--resume", "runs/parallel", "--quiet"] + epochs, in: folder)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try metrics("parallel")["ranks"] as? Int, 1)
        // Epochs before the stop summed over two ranks, the rest in one: close to both runs.
        try assertSameTrajectory("parallel", as: "two")
        try assertSameTrajectory("parallel", as: "plain")

        // The same with two ranks again: bit-identical to the uninterrupted two-rank run.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("runs/parallel"))
        let again = try interrupt(ranks: 2, signalled: 0)
        XCTAssertEqual(again.status, 143, again.stderr)
        let resumedTwo = try mpirun(ranks: 2, ["parallel.yaml", "--resume", "runs/parallel", "--quiet"] + epochs)
        XCTAssertEqual(resumedTwo.status, 0, resumedTwo.stderr)
        XCTAssertEqual(try file("runs/parallel/history.csv"), try file("runs/two/history.csv"))
        XCTAssertEqual(try file("runs/parallel/model.json"), try file("runs/two/model.json"))
    }

    func testAPlainCheckpointResumesWithTwoRanks() throws {
        let epochs = ["--set", "training.epochs=2000", "--threads", "1"]
        let plain = try Binary.run(["parallel.yaml", "--out", "runs/plain", "--quiet"] + epochs, in: folder)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let stopped = try Binary.run(["parallel.yaml", "--quiet"] + epochs, in: folder) { process in
            Binary.signal(SIGTERM, to: process, into: "runs/parallel", in: self.folder, after: 0.2)
        }
        XCTAssertEqual(stopped.status, 143, stopped.stderr)
        let stoppedAt = try XCTUnwrap(try metrics("parallel")["epochs"] as? Int)
        XCTAssertLessThan(stoppedAt, 2000)
        let resumed = try mpirun(ranks: 2, ["parallel.yaml", "--resume", "runs/parallel", "--quiet"] + epochs)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try metrics("parallel")["ranks"] as? Int, 2)
        XCTAssertEqual(try metrics("parallel")["status"] as? String, "completed")
        try assertSameTrajectory("parallel", as: "plain")
    }
}
