@preconcurrency import Glibc
import Foundation
import TestSupport
import XCTest

/// `sweep:` through the real binary: the run folders, summary.csv, reruns, shards, `report`,
/// `--jobs`, interruption and the sweep folder's policy.
final class SweepTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try Binary.copyOfFixtures("sweep")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// grid.yaml's runs in the sweep's order: activation.type, then learning_rate.value, then seeds.
    static let gridRuns = ["sigmoid_0.1-seed1", "sigmoid_0.1-seed2", "sigmoid_2.0-seed1", "sigmoid_2.0-seed2",
                           "tanh_0.1-seed1", "tanh_0.1-seed2", "tanh_2.0-seed1", "tanh_2.0-seed2"]

    func text(_ path: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path) }

    /// summary.csv as rows of cells (no field here needs quoting).
    func summary(_ sweep: String) throws -> [[String]] {
        try text("\(sweep)/summary.csv").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// summary.csv without its train_seconds column: what must be identical between two sweeps of
    /// the same spec on one machine (the training is deterministic; its duration is not).
    func summaryWithoutTimes(_ sweep: String) throws -> String {
        let rows = try summary(sweep)
        let column = try XCTUnwrap(rows.first?.firstIndex(of: "train_seconds"))
        return rows.map { row in row.enumerated().filter { $0.offset != column }.map(\.element).joined(separator: ",") }
            .joined(separator: "\n")
    }

    /// A number of grid's run `run` as its metrics.json writes it.
    func numberText(_ key: String, inMetricsOf run: String) throws -> String {
        let metrics = try text("runs/grid/\(run)/metrics.json")
        let line = try XCTUnwrap(metrics.split(separator: "\n").first { $0.hasPrefix("  \"\(key)\": ") })
        return String(line.dropFirst(key.count + 6).prefix { $0 != "," })
    }

    /// The modification time of a file, to the nanosecond.
    func modified(_ path: String) throws -> timespec {
        var info = stat()
        XCTAssertEqual(stat(folder.appendingPathComponent(path).path, &info), 0, path)
        return info.st_mtim
    }

    func testSummaryHasOneRowPerRunWithTheRunsOwnFigures() throws {
        let result = try Binary.run(["grid.yaml"], in: folder)
        // tanh with learning rate 2 reaches final_loss < 0.6, sigmoid with 0.1 does not: some expect fails.
        XCTAssertEqual(result.status, 3, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 10, result.stdout)
        XCTAssertEqual(lines[0], "[1/8] sigmoid_0.1-seed1: completed, 15 epochs, final_loss \(try numberText("final_loss", inMetricsOf: "sigmoid_0.1-seed1")), expect: failed")
        XCTAssertEqual(lines[8], "grid: 8 runs: 8 completed")
        XCTAssertEqual(lines[9], "  summary: runs/grid/summary.csv; charts: loss_comparison.png, gradients_by_depth.png")
        for chart in ["loss_comparison.png", "gradients_by_depth.png"] {
            let bytes = try Data(contentsOf: folder.appendingPathComponent("runs/grid/\(chart)"))
            XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], chart)
        }
        let rows = try summary("runs/grid")
        XCTAssertEqual(rows[0], ["run", "activation.type", "learning_rate.value", "seed", "status", "epochs", "final_loss",
                                 "val_loss", "val_accuracy", "test_loss", "test_accuracy", "train_seconds", "expect_passed"])
        XCTAssertEqual(rows.count, 9)
        XCTAssertEqual(rows.dropFirst().map { $0[0] }, Self.gridRuns)
        XCTAssertEqual(rows.dropFirst().map { $0[1] }, ["sigmoid", "sigmoid", "sigmoid", "sigmoid", "tanh", "tanh", "tanh", "tanh"])
        XCTAssertEqual(rows.dropFirst().map { $0[2] }, ["0.1", "0.1", "2.0", "2.0", "0.1", "0.1", "2.0", "2.0"])
        XCTAssertEqual(rows.dropFirst().map { $0[3] }, ["1", "2", "1", "2", "1", "2", "1", "2"])
        var failed = 0
        for row in rows.dropFirst() {
            let metrics = try JSONReader.object(atPath: folder.appendingPathComponent("runs/grid/\(row[0])/metrics.json").path)
            XCTAssertEqual(row[4], "completed")
            XCTAssertEqual(row[5], "15")
            // Every figure is the run's own metrics.json value, to the last digit.
            for (index, key) in [(6, "final_loss"), (7, "val_loss"), (8, "val_accuracy"), (9, "test_loss"), (10, "test_accuracy"),
                                 (11, "train_seconds")] {
                XCTAssertEqual(row[index], try numberText(key, inMetricsOf: row[0]), "\(row[0]) \(key)")
                XCTAssertEqual(Double(row[index]), try XCTUnwrap(metrics[key] as? Double), "\(row[0]) \(key)")
            }
            XCTAssertEqual(metrics["seed"] as? Int, Int(row[3]))
            let loss = try XCTUnwrap(Double(row[6]))
            XCTAssertEqual(row[12], loss < 0.6 ? "true" : "false", row[0])
            if loss >= 0.6 { failed += 1 }
            // Each run is titled by its values, and got history.csv though the spec asks only for metrics.
            XCTAssertEqual(metrics["name"] as? String, "grid (\(row[1]), \(row[2]), seed \(row[3]))")
            XCTAssertTrue(exists("runs/grid/\(row[0])/history.csv"))
            let record = try JSONReader.object(atPath: folder.appendingPathComponent("runs/grid/\(row[0])/sweep-run.json").path)
            XCTAssertEqual(record["folder"] as? String, row[0])
        }
        XCTAssertGreaterThan(failed, 0)
        XCTAssertLessThan(failed, 8)
        // The run's seed replaced the spec's seed: the two seeds of one combination differ.
        XCTAssertNotEqual(rows[1][6], rows[2][6])
    }

    func testRerunSkipsFinishedRunsAndRetriesAFailedOne() throws {
        let arguments = ["grid.yaml", "--set", "sweep.seeds=[1]", "--set", "expect=", "--quiet"]
        // A folder of the user's where run 2 goes: that run refuses it (exit 73), the others run.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("runs/grid/tanh_0.1-seed1"), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: folder.appendingPathComponent("runs/grid/tanh_0.1-seed1/notes.txt"))
        try Data("sweep".utf8).write(to: folder.appendingPathComponent("runs/grid/.bp-pipeline-sweep"))
        let first = try Binary.run(arguments, in: folder)
        XCTAssertEqual(first.status, 1, first.stderr)
        XCTAssertTrue(first.stderr.contains("runs/grid/tanh_0.1-seed1: error: the output folder exists and was not written by bp-pipeline"),
                      first.stderr)
        XCTAssertEqual(try text("runs/grid/tanh_0.1-seed1/notes.txt"), "mine")
        XCTAssertEqual(try text("runs/grid/.tanh_0.1-seed1.failed"), "exit 73\n")
        XCTAssertEqual(try summary("runs/grid").map { $0[4] }, ["status", "completed", "completed", "failed", "completed"])
        let finished = ["sigmoid_0.1-seed1", "sigmoid_2.0-seed1", "tanh_2.0-seed1"]
        let times = try finished.map { try modified("runs/grid/\($0)/metrics.json") }

        try FileManager.default.removeItem(at: folder.appendingPathComponent("runs/grid/tanh_0.1-seed1"))
        let second = try Binary.run(Array(arguments.dropLast()), in: folder)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stdout.split(separator: "\n").prefix(4).map(String.init), [
            "[1/4] sigmoid_0.1-seed1: completed earlier with this spec, skipped",
            "[2/4] sigmoid_2.0-seed1: completed earlier with this spec, skipped",
            "[3/4] tanh_2.0-seed1: completed earlier with this spec, skipped",
        ] + [second.stdout.split(separator: "\n").map(String.init)[3]])
        XCTAssertTrue(second.stdout.contains("[4/4] tanh_0.1-seed1: completed, 15 epochs"), second.stdout)
        // The finished runs were not touched; the failure record is gone.
        for (run, time) in zip(finished, times) {
            let now = try modified("runs/grid/\(run)/metrics.json")
            XCTAssertTrue(now.tv_sec == time.tv_sec && now.tv_nsec == time.tv_nsec, run)
        }
        XCTAssertFalse(exists("runs/grid/.tanh_0.1-seed1.failed"))
        XCTAssertEqual(try summary("runs/grid").map { $0[4] }, ["status", "completed", "completed", "completed", "completed"])

        // A second seed adds runs: only they run; the seed-1 runs keep their folders and are skipped.
        let third = try Binary.run(["grid.yaml", "--set", "sweep.seeds=[1, 2]", "--set", "expect="], in: folder)
        XCTAssertEqual(third.status, 0, third.stderr)
        let lines = third.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasSuffix("-seed1: completed earlier with this spec, skipped") }.count, 4, third.stdout)
        XCTAssertEqual(lines.filter { $0.contains("-seed2: completed, 15 epochs") }.count, 4, third.stdout)
        for (run, time) in zip(finished, times) {
            let now = try modified("runs/grid/\(run)/metrics.json")
            XCTAssertTrue(now.tv_sec == time.tv_sec && now.tv_nsec == time.tv_nsec, run)
        }
    }

    func testShardsThenReportGiveTheUnshardedSummary() throws {
        let whole = try Binary.run(["grid.yaml", "--out", "whole", "--threads", "1", "--quiet"], in: folder)
        XCTAssertEqual(whole.status, 3, whole.stderr)
        for k in 1...3 {
            let shard = try Binary.run(["grid.yaml", "--out", "sharded", "--threads", "1", "--shard", "\(k)/3"], in: folder)
            XCTAssertNotEqual(shard.status, 1, shard.stderr)
            XCTAssertTrue(shard.stdout.contains("grid: 8 runs: "), shard.stdout)
            if k == 1 {
                // Shard 1/3 runs runs 0, 3 and 6 and writes only their folders; its summary shows the rest missing.
                let folders = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("sharded").path)
                    .filter { $0.contains("-seed") && !$0.hasPrefix(".") }.sorted()
                XCTAssertEqual(folders, [Self.gridRuns[0], Self.gridRuns[3], Self.gridRuns[6]])
                XCTAssertEqual(try summary("sharded").map { $0[4] },
                               ["status", "completed", "missing", "missing", "completed", "missing", "missing", "completed", "missing"])
            }
        }
        let report = try Binary.run(["report", "sharded"], in: folder)
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertEqual(report.stdout, "sharded/summary.csv: 8 runs: 8 completed\n  charts: loss_comparison.png, gradients_by_depth.png\n")
        XCTAssertEqual(try summaryWithoutTimes("sharded"), try summaryWithoutTimes("whole"))
        // Two shards at once into one folder (shard 2 starts while shard 1 runs): neither minds the other.
        var second: Binary.Result?
        let first = try Binary.run(["grid.yaml", "--out", "together", "--threads", "1", "--shard", "1/2", "--quiet"], in: folder,
                                   whileRunning: { _ in
            second = try? Binary.run(["grid.yaml", "--out", "together", "--threads", "1", "--shard", "2/2", "--quiet"], in: self.folder)
        })
        XCTAssertEqual(first.status, 3, first.stderr)
        XCTAssertEqual(second?.status, 3, second?.stderr ?? "")
        XCTAssertEqual(try Binary.run(["report", "together", "--quiet"], in: folder).status, 0)
        XCTAssertEqual(try summaryWithoutTimes("together"), try summaryWithoutTimes("whole"))
        // report again changes nothing but the file's time.
        let before = try text("sharded/summary.csv")
        XCTAssertEqual(try Binary.run(["report", "sharded", "--quiet"], in: folder).status, 0)
        XCTAssertEqual(try text("sharded/summary.csv"), before)
    }

    func testJobsTwoGivesTheSameSummaryAsJobsOne() throws {
        let one = try Binary.run(["grid.yaml", "--out", "one", "--threads", "1", "--quiet"], in: folder)
        let two = try Binary.run(["grid.yaml", "--out", "two", "--threads", "1", "--jobs", "2", "--quiet"], in: folder)
        XCTAssertEqual(one.status, 3, one.stderr)
        XCTAssertEqual(two.status, 3, two.stderr)
        XCTAssertEqual(try summaryWithoutTimes("two"), try summaryWithoutTimes("one"))
        for run in Self.gridRuns {
            XCTAssertEqual(try text("two/\(run)/history.csv"), try text("one/\(run)/history.csv"), run)
        }
    }

    func testShardAutoReadsEachSchedulersVariables() throws {
        let cases: [([String: String], [String], String)] = [
            (["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "3"], [],
             "shard 2/3 (from SLURM_ARRAY_TASK_ID=5, SLURM_ARRAY_TASK_MIN=4, SLURM_ARRAY_TASK_COUNT=3)"),
            (["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_STEP": "2"], [],
             "shard 3/3 (from SLURM_ARRAY_TASK_ID=4, SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_COUNT=3, SLURM_ARRAY_TASK_STEP=2)"),
            (["JOB_COMPLETION_INDEX": "0"], ["--shard-count", "3"], "shard 1/3 (from JOB_COMPLETION_INDEX=0, --shard-count 3)"),
            (["CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"], [], "shard 3/3 (from CI_NODE_INDEX=3, CI_NODE_TOTAL=3)"),
        ]
        for (environment, extra, line) in cases {
            let out = "auto-\(environment.keys.sorted().first!)-\(line.count)"
            let result = try Binary.run(["grid.yaml", "--set", "sweep.seeds=[1]", "--set", "expect=", "--out", out, "--shard", "auto"] + extra,
                                        in: folder, environment: environment)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout.split(separator: "\n").first.map(String.init), line)
            let shard = Int(line.split(separator: " ")[1].split(separator: "/")[0])!
            // 4 runs over 3 shards: shard 1 has runs 0 and 3, shard 2 run 1, shard 3 run 2.
            let expected = [1: ["sigmoid_0.1-seed1", "tanh_2.0-seed1"], 2: ["sigmoid_2.0-seed1"], 3: ["tanh_0.1-seed1"]][shard]!
            let folders = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(out).path)
                .filter { $0.hasSuffix("-seed1") }.sorted()
            XCTAssertEqual(folders, expected, line)
        }
    }

    func testShardErrorsAreUsageErrors() throws {
        let cases: [([String: String], [String], String)] = [
            ([:], ["--shard", "auto"],
             "--shard auto: error: no scheduler's shard variables are set (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, CI_NODE_INDEX); give --shard K/N"),
            (["SLURM_ARRAY_TASK_ID": "2"], ["--shard", "auto"],
             "--shard auto: error: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; run inside an array job (sbatch --array), or give --shard K/N"),
            (["SLURM_ARRAY_TASK_ID": "x2", "SLURM_ARRAY_TASK_COUNT": "2"], ["--shard", "auto"],
             "--shard auto: error: SLURM_ARRAY_TASK_ID is 'x2', not a whole number"),
            (["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"], ["--shard", "auto"],
             "--shard auto: error: SLURM_ARRAY_TASK_ID=9, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_COUNT=4 gives shard 9 of 4, which is not between 1 and 4"),
            (["JOB_COMPLETION_INDEX": "2"], ["--shard", "auto"],
             "--shard auto: error: JOB_COMPLETION_INDEX is 2 but Kubernetes does not say how many completions the Job has; give --shard-count N (the Job's spec.completions)"),
            (["JOB_COMPLETION_INDEX": "3"], ["--shard", "auto", "--shard-count", "3"],
             "--shard auto: error: JOB_COMPLETION_INDEX=3, --shard-count 3 gives shard 4 of 3, which is not between 1 and 3"),
            (["CI_NODE_INDEX": "1"], ["--shard", "auto"],
             "--shard auto: error: CI_NODE_INDEX is set but CI_NODE_TOTAL is not; give --shard K/N"),
            (["CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "2"], ["--shard", "auto"],
             "--shard auto: error: CI_NODE_INDEX=0, CI_NODE_TOTAL=2 gives shard 0 of 2, which is not between 1 and 2"),
            ([:], ["--shard", "3/2"], "--shard: error: expected K/N with 1 <= K <= N (for example 2/4), or auto; found '3/2'"),
            ([:], ["--shard", "0/2"], "--shard: error: expected K/N with 1 <= K <= N (for example 2/4), or auto; found '0/2'"),
            ([:], ["--shard", "1/-2"], "--shard: error: expected K/N with 1 <= K <= N (for example 2/4), or auto; found '1/-2'"),
            ([:], ["--shard", "1/2/3"], "--shard: error: expected K/N with 1 <= K <= N (for example 2/4), or auto; found '1/2/3'"),
            ([:], ["--shard", "1/2", "--shard-count", "2"],
             "--shard-count: error: --shard-count goes with --shard auto (the count of a Kubernetes Indexed Job); with --shard K/N the count is N"),
            ([:], ["--shard-count", "2"], "--shard-count: error: --shard-count goes with --shard auto"),
        ]
        for (environment, arguments, message) in cases {
            let result = try Binary.run(["grid.yaml"] + arguments, in: folder, environment: environment)
            XCTAssertEqual(result.status, 64, message)
            XCTAssertEqual(result.stderr, message + "\n")
            XCTAssertEqual(result.stdout, "")
        }
        XCTAssertFalse(exists("runs"), "a refused sweep writes nothing")
    }

    func testInterruptedSweepStopsItsRunsAndStillWritesTheSummary() throws {
        let result = try Binary.run(["slow.yaml", "--jobs", "2", "--threads", "1"], in: folder, whileRunning: { process in
            self.interrupt(process, when: 2, runsOf: "runs/slow", with: SIGINT)
        })
        XCTAssertEqual(result.status, 130, result.stderr)
        XCTAssertFalse(result.signalled)
        let rows = try summary("runs/slow")
        XCTAssertEqual(rows.map { $0[0] }, ["run", "0.5", "0.25", "0.125"])
        XCTAssertEqual(rows.map { $0[3] }, ["status", "interrupted", "interrupted", "missing"])
        // Without seeds every run has the spec's seed, the one not run yet too.
        XCTAssertEqual(rows.map { $0[2] }, ["seed", "3", "3", "3"])
        for run in ["0.5", "0.25"] {
            XCTAssertTrue(exists("runs/slow/\(run)/checkpoint.bin"), run)
            XCTAssertGreaterThan(Int(try summary("runs/slow")[run == "0.5" ? 1 : 2][4]) ?? 0, 0)
        }
        XCTAssertFalse(exists("runs/slow/0.125"), "nothing is launched after the signal")
        XCTAssertTrue(result.stdout.contains("slow: 3 runs: 2 interrupted, 1 missing"), result.stdout)
        // No staging folder is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs/slow").path)
            .filter { $0.contains(".partial-") || $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    /// Waits until `count` runs of the sweep into `sweep` are training (their staging folders
    /// exist), lets them train a little, then sends `signal` to the sweep.
    func interrupt(_ process: Process, when count: Int, runsOf sweep: String, with signal: Int32) {
        let deadline = Date().addingTimeInterval(30)
        func started() -> Int {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(sweep).path)) ?? []
            return entries.filter { $0.contains(".partial-") }.count
        }
        while started() < count && Date() < deadline { usleep(5_000) }
        usleep(300_000)
        kill(process.processIdentifier, signal)
    }

    func testARerunContinuesInterruptedRunsToTheSameResult() throws {
        let first = try Binary.run(["resumable.yaml", "--threads", "1", "--jobs", "2", "--quiet"], in: folder, whileRunning: { process in
            self.interrupt(process, when: 2, runsOf: "runs/resumable", with: SIGTERM)
        })
        XCTAssertEqual(first.status, 143, first.stderr)
        XCTAssertEqual(try summary("runs/resumable").map { $0[3] }, ["status", "interrupted", "interrupted"])
        let stopped = try summary("runs/resumable").dropFirst().map { Int($0[4]) ?? 0 }
        XCTAssertTrue(stopped.allSatisfy { $0 > 0 && $0 < 4000 }, "\(stopped)")

        let second = try Binary.run(["resumable.yaml", "--threads", "1", "--jobs", "2"], in: folder, timeout: 120)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try summary("runs/resumable").map { $0[3] }, ["status", "completed", "completed"])
        // Each continued from its checkpoint: the second process trained only the epochs left
        // (samples processed = samples_per_second × train_seconds, 8 per epoch; a fresh start would be 32000).
        for (run, epochs) in zip(["0.5", "0.25"], stopped) {
            let metrics = try JSONReader.object(atPath: folder.appendingPathComponent("runs/resumable/\(run)/metrics.json").path)
            let samples = try XCTUnwrap(metrics["samples_per_second"] as? Double) * XCTUnwrap(metrics["train_seconds"] as? Double)
            XCTAssertLessThanOrEqual(samples.rounded(), Double((4000 - epochs) * 8 + 8), run)
        }
        // Continued from the checkpoints, the runs end byte-identical to runs never interrupted.
        let whole = try Binary.run(["resumable.yaml", "--threads", "1", "--jobs", "2", "--out", "whole", "--quiet"], in: folder, timeout: 120)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        for run in ["0.5", "0.25"] {
            XCTAssertEqual(try text("runs/resumable/\(run)/history.csv"), try text("whole/\(run)/history.csv"), run)
            XCTAssertEqual(try text("runs/resumable/\(run)/history.csv").split(separator: "\n").count, 4001)
        }
        XCTAssertEqual(try summaryWithoutTimes("runs/resumable"), try summaryWithoutTimes("whole"))
    }

    func testRunsOfASweepKilledOutrightStopAsInterrupted() throws {
        let result = try Binary.run(["slow.yaml", "--jobs", "2", "--threads", "1"], in: folder, whileRunning: { process in
            self.interrupt(process, when: 2, runsOf: "runs/slow", with: SIGKILL)
        })
        XCTAssertTrue(result.signalled)
        XCTAssertEqual(result.status, SIGKILL)
        // The orphaned runs see their sweep gone after their current batch and write their folders.
        let deadline = Date().addingTimeInterval(30)
        func written() -> Bool { exists("runs/slow/0.5/metrics.json") && exists("runs/slow/0.25/metrics.json") }
        while !written() && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(written())
        for run in ["0.5", "0.25"] {
            let metrics = try JSONReader.object(atPath: folder.appendingPathComponent("runs/slow/\(run)/metrics.json").path)
            XCTAssertEqual(metrics["status"] as? String, "interrupted", run)
            XCTAssertTrue(exists("runs/slow/\(run)/checkpoint.bin"), run)
        }
        let report = try Binary.run(["report", "runs/slow"], in: folder)
        XCTAssertEqual(report.stdout, "runs/slow/summary.csv: 3 runs: 2 interrupted, 1 missing\n  charts: loss_comparison.png, gradients_by_depth.png\n")
    }

    func testTheSweepFolderIsNeverAnotherFolder() throws {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("mine"), withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: folder.appendingPathComponent("mine/notes.txt"))
        let foreign = try Binary.run(["grid.yaml", "--out", "mine"], in: folder)
        XCTAssertEqual(foreign.status, 73)
        XCTAssertEqual(foreign.stderr, "mine: error: the output folder exists and was not written by a bp-pipeline sweep; refusing to write into it "
                       + "(choose another --out or output_dir, or remove it)\n")
        XCTAssertEqual(Binary.listing(folder.appendingPathComponent("mine")), ["notes.txt"])

        let plain = try Binary.run(["grid.yaml", "--set", "sweep=", "--out", "plain", "--quiet"], in: folder)
        XCTAssertTrue([0, 3].contains(plain.status), plain.stderr)
        let onPlain = try Binary.run(["grid.yaml", "--out", "plain"], in: folder)
        XCTAssertEqual(onPlain.status, 73)
        XCTAssertEqual(onPlain.stderr, "plain: error: the output folder holds a single run, not a sweep; refusing to write the sweep's runs into it "
                       + "(choose another --out or output_dir, or remove it)\n")

        let report = try Binary.run(["report", "mine"], in: folder)
        XCTAssertEqual(report.status, 66)
        XCTAssertEqual(report.stderr, "mine: error: not a sweep folder: it has no readable sweep.json (a sweep writes one when it starts)\n")
        let missing = try Binary.run(["report", "nowhere"], in: folder)
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "nowhere: error: cannot read the sweep folder: No such file or directory\n")
    }

    func testValidateChecksEveryRunAndWritesNothing() throws {
        let ok = try Binary.run(["validate", "grid.yaml"], in: folder)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "grid.yaml: ok: 'grid', a sweep of 8 runs (4 combinations × 2 seeds) into runs/grid/\n")
        XCTAssertFalse(exists("runs"))
        // Other commands read a sweep's spec as its own values.
        let gradcheck = try Binary.run(["gradcheck", "grid.yaml", "--set", "activation.type=tanh"], in: folder)
        XCTAssertEqual(gradcheck.status, 0, gradcheck.stderr)
        XCTAssertFalse(exists("runs"))
        // The third combination's value is bad: the whole sweep fails before any run, at the value.
        let bad = try Binary.run(["grid.yaml", "--set", "sweep.training.epochs=[5, 0]"], in: folder)
        XCTAssertEqual(bad.status, 64)
        XCTAssertEqual(bad.stderr, """
            --set 'sweep.training.epochs=[5, 0]': error: 'epochs' must be at least 1, found 0
                sweep.training.epochs=[5, 0]
                                          ^

            """)
        XCTAssertFalse(exists("runs"))
    }

    /// Pipelines/activations.yaml, one epoch: sigmoid's first-layer gradient is a small fraction of
    /// its last hidden layer's, relu's is not, for every seed: the seed's vanishing gradient.
    func testActivationsShowTheVanishingGradient() throws {
        let root = Binary.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = root.appendingPathComponent("Pipelines/activations.yaml").path
        let result = try Binary.run([spec, "--set", "training.epochs=1", "--out", "act", "--jobs", "2", "--quiet"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try summary("act")
        XCTAssertEqual(rows.count, 16)
        XCTAssertEqual(rows.dropFirst().map { $0[1] }, ["sigmoid", "tanh", "relu", "leaky_relu", "gelu"].flatMap { Array(repeating: $0, count: 3) })
        for row in rows.dropFirst() where row[1] == "sigmoid" || row[1] == "relu" {
            let history = try text("act/\(row[0])/history.csv").split(separator: "\n")
            let header = history[0].split(separator: ",").map(String.init)
            let cells = history[1].split(separator: ",").map(String.init)
            let first = try XCTUnwrap(Double(cells[try XCTUnwrap(header.firstIndex(of: "grad_norm_1"))]))
            let last = try XCTUnwrap(Double(cells[try XCTUnwrap(header.firstIndex(of: "grad_norm_7"))]))
            // Six sigmoid layers scale the signal by σ' ≤ 1/4 each (≤ 1/4096 in all); measured ratios are
            // near 0.003 and relu's near 0.4, so the bounds hold on any CPU with orders of magnitude to spare.
            if row[1] == "sigmoid" { XCTAssertLessThan(first / last, 0.02, row[0]) } else { XCTAssertGreaterThan(first / last, 0.1, row[0]) }
        }
    }
}
