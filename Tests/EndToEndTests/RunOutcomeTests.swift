@preconcurrency import Glibc
import Foundation
import XCTest

/// All-or-nothing outputs, divergence and interruption, through the real binary.
final class RunOutcomeTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try Binary.copyOfFixtures("outcomes")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func contents(_ relative: String) throws -> [String: Data] {
        let base = folder.appendingPathComponent(relative)
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: base.path) {
            files[name] = try Data(contentsOf: base.appendingPathComponent(name))
        }
        return files
    }

    func metrics(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(relative).appendingPathComponent("metrics.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testRunFailingBeforeTrainingLeavesNothingNewAndKeepsTheEarlierRun() throws {
        let first = try Binary.run(["quick.yaml", "--quiet"], in: folder)
        XCTAssertEqual(first.status, 0, first.stderr)
        let earlier = try contents("runs/quick")
        XCTAssertEqual(Set(earlier.keys), [".bp-pipeline-run", "metrics.json", "history.csv", "model.json"])
        let before = Binary.listing(folder)

        // Into the earlier run's folder, and into a new nested folder: a shape error after the spec loaded.
        for out in ["runs/quick", "new/nested/run"] {
            let failed = try Binary.run(["quick.yaml", "--out", out, "--set", "network.inputs=3"], in: folder)
            XCTAssertEqual(failed.status, 64)
            XCTAssertEqual(failed.stderr, """
                --set 'network.inputs=3': error: network.inputs is 3 but the data has 2 input columns
                    network.inputs=3
                                   ^

                """)
        }
        XCTAssertEqual(Binary.listing(folder), before)
        XCTAssertEqual(try contents("runs/quick"), earlier)
    }

    func testOutputThatCannotBeWrittenLeavesNoHalfWrittenRun() throws {
        XCTAssertEqual(try Binary.run(["quick.yaml", "--quiet"], in: folder).status, 0)
        let earlier = try contents("runs/quick")
        let before = Binary.listing(folder)
        // A 1 KiB file-size limit (SIGXFSZ ignored, so write() fails with EFBIG): metrics.json
        // fits, history.csv of 2000 epochs does not. Into the earlier run and into new folders.
        let binary = try XCTUnwrap(Binary.url).path
        for out in ["runs/quick", "fresh/run"] {
            let shell = "trap '' XFSZ; ulimit -f 2; exec '\(binary)' quick.yaml --set training.epochs=2000 --out \(out)"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shell]
            process.currentDirectoryURL = folder
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 73, stderr)
            XCTAssertTrue(stderr.hasPrefix("\(out)/history.csv: error: cannot write: "), stderr)
        }
        XCTAssertEqual(Binary.listing(folder), before)
        XCTAssertEqual(try contents("runs/quick"), earlier)
    }

    func testRerunReplacesTheEarlierRunAndLeavesNoStagingFolders() throws {
        XCTAssertEqual(try Binary.run(["quick.yaml", "--quiet"], in: folder).status, 0)
        // A staging folder of a run that was killed (its process is gone) is cleared by the next run.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let stale = folder.appendingPathComponent("runs/.quick.partial-\(dead.processIdentifier)")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: false)

        let second = try Binary.run(["quick.yaml", "--set", "training.epochs=7"], in: folder)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stderr, "")
        XCTAssertTrue(second.stdout.hasPrefix("quick: completed after 7 epochs, final loss "), second.stdout)
        XCTAssertEqual(try metrics("runs/quick")["epochs"] as? Int, 7)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs").path), ["quick"])
    }

    func testDivergenceStopsAtOnceWritesOutputsAndExits1() throws {
        let result = try Binary.run(["explodes.yaml"], in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        let metrics = try metrics("runs/explodes")
        XCTAssertEqual(metrics["status"] as? String, "diverged")
        XCTAssertEqual(metrics["epochs"] as? Int, 6)
        XCTAssertEqual(metrics["failure"] as? String, "the loss became inf in epoch 6")
        let history = try String(contentsOf: folder.appendingPathComponent("runs/explodes/history.csv"), encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").count, 1 + 6, "a header and epochs 1...6")
        XCTAssertTrue(history.split(separator: "\n").last?.hasPrefix("6,inf,") ?? false, history)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/explodes/model.json").path))
        XCTAssertTrue(result.stdout.contains("explodes: diverged after 6 epochs"), result.stdout)
        XCTAssertTrue(result.stdout.contains("the loss became inf in epoch 6"), result.stdout)
    }

    /// Sends `signal` once the run is training; it must finish the batch, write the outputs
    /// with status "interrupted" and exit 128 + signal.
    func interrupt(with signal: Int32, expecting code: Int32) throws {
        let result = try Binary.run(["long.yaml"], in: folder, timeout: 60) { process in
            usleep(700_000)
            kill(process.processIdentifier, signal)
        }
        XCTAssertFalse(result.signalled, "killed by the signal instead of stopping cleanly")
        XCTAssertEqual(result.status, code, result.stderr)
        let metrics = try metrics("runs/long")
        XCTAssertEqual(metrics["status"] as? String, "interrupted")
        let epochs = try XCTUnwrap(metrics["epochs"] as? Int)
        XCTAssertGreaterThan(epochs, 0)
        XCTAssertLessThan(epochs, 10_000_000)
        let history = try String(contentsOf: folder.appendingPathComponent("runs/long/history.csv"), encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").count, 1 + epochs)
        XCTAssertTrue(result.stdout.hasPrefix("long: interrupted after \(epochs) epoch"), result.stdout)
    }

    func testSIGINTStopsCleanlyWithExit130() throws {
        try interrupt(with: SIGINT, expecting: 130)
    }

    func testSIGTERMStopsCleanlyWithExit143() throws {
        try interrupt(with: SIGTERM, expecting: 143)
    }
}
