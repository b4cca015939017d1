@preconcurrency import Glibc
import Foundation
import TestSupport
import XCTest

/// A sweep under `mpirun -np N`: rank r runs shard r+1 of N (each run a plain process of its
/// own), rank 0 writes the summary over all of them, every rank exits with the sweep's code.
extension SweepTests {
    /// Every line `rank R: [k/m] NAME: ...` of a sweep's stdout, as (R, NAME).
    func runLines(_ stdout: String) -> [(rank: Int, run: String)] {
        stdout.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("rank "), let colon = line.firstIndex(of: ":"), let rank = Int(line[line.index(line.startIndex, offsetBy: 5)..<colon]),
                  let close = line.firstIndex(of: "]") else { return nil }
            let rest = line[line.index(close, offsetBy: 2)...]
            return (rank, String(rest.prefix { $0 != ":" }))
        }
    }

    func testRanksShareTheSweepsRunsAndRankZeroWritesThePlainSweepsSummary() throws {
        let plain = try Binary.run(["grid.yaml", "--out", "runs/plain", "--threads", "1", "--quiet"], in: folder)
        XCTAssertEqual(plain.status, 3, plain.stderr)
        // 8 runs over 2 ranks (with 2 jobs each) and over 3 ranks, which get 3, 3 and 2 runs.
        for (ranks, extra) in [(2, ["--jobs", "2"]), (3, [])] {
            let out = "runs/ranks\(ranks)"
            let result = try Binary.mpirun([(ranks, ["grid.yaml", "--out", out, "--threads", "1"] + extra)], in: folder)
            XCTAssertEqual(result.status, 3, result.stderr)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, 11, result.stdout)
            XCTAssertEqual(lines.first, "grid: 8 runs over \(ranks) ranks (rank r runs the runs r, r+\(ranks), ...)")
            XCTAssertEqual(lines.suffix(2), ["grid: 8 runs: 8 completed",
                                             "  summary: \(out)/summary.csv; charts: loss_comparison.png, gradients_by_depth.png"])
            // Each run ran once, on the rank whose shard holds it, and every rank printed its own.
            let ran = runLines(result.stdout)
            XCTAssertEqual(ran.map(\.run).sorted(), Self.gridRuns.sorted(), result.stdout)
            for (rank, run) in ran {
                XCTAssertEqual(Self.gridRuns.firstIndex(of: run).map { $0 % ranks }, rank, run)
            }
            for (index, line) in lines.dropFirst().dropLast(2).enumerated() {
                XCTAssertTrue(line.contains(": completed, 15 epochs, final_loss "), "\(index): \(line)")
            }
            XCTAssertEqual(try summaryWithoutTimes(out), try summaryWithoutTimes("runs/plain"))
            // The failed expectations, once each, named by their run's folder as in the plain sweep.
            XCTAssertEqual(result.stderr.split(separator: "\n").sorted(),
                           plain.stderr.replacingOccurrences(of: "runs/plain/", with: "\(out)/").split(separator: "\n").sorted())
            for chart in ["loss_comparison.png", "gradients_by_depth.png"] {
                let bytes = try Data(contentsOf: folder.appendingPathComponent("\(out)/\(chart)"))
                XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], chart)
            }
        }
    }

    func testAFailedRunOnAnotherRankMakesEveryRankExit1() throws {
        // Run 1 (rank 1's first) finds a folder of the user's where it goes and refuses it (exit 73).
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("runs/grid/sigmoid_2.0-seed1"),
                                                withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: folder.appendingPathComponent("runs/grid/sigmoid_2.0-seed1/notes.txt"))
        try Data("sweep".utf8).write(to: folder.appendingPathComponent("runs/grid/.bp-pipeline-sweep"))
        let result = try Binary.mpirun([(2, ["grid.yaml", "--set", "sweep.seeds=[1]", "--set", "expect=", "--threads", "1"])], in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stderr.components(separatedBy: "runs/grid/sigmoid_2.0-seed1: error: the output folder exists").count, 2,
                       result.stderr)
        XCTAssertTrue(result.stdout.contains("rank 1: [1/2] sigmoid_2.0-seed1: failed (exit 73)\n"), result.stdout)
        XCTAssertTrue(result.stdout.hasSuffix("grid: 4 runs: 3 completed, 1 failed\n  summary: runs/grid/summary.csv; "
                                              + "charts: loss_comparison.png, gradients_by_depth.png\n"), result.stdout)
        XCTAssertEqual(try text("runs/grid/sigmoid_2.0-seed1/notes.txt"), "mine")
        XCTAssertEqual(try text("runs/grid/.sigmoid_2.0-seed1.failed"), "exit 73\n")
        XCTAssertEqual(try summary("runs/grid").map { $0[4] }, ["status", "completed", "failed", "completed", "completed"])
    }

    func testShardUnderALauncherIsRefusedOnceWithExit64() throws {
        for words in [["--shard", "1/2"], ["--shard", "auto"], ["--shard-count", "2"]] {
            let result = try Binary.mpirun([(2, ["grid.yaml"] + words)], in: folder)
            XCTAssertEqual(result.status, 64, words.joined(separator: " "))
            XCTAssertEqual(result.stderr, "--shard: error: under mpirun or srun the sweep spreads its runs over the ranks itself "
                           + "(rank r runs shard r+1 of N); give --shard only to a sweep started without a launcher, "
                           + "such as each task of an array job\n")
            XCTAssertEqual(result.stdout, "")
            XCTAssertFalse(exists("runs/grid"))
        }
    }

    func testRanksStartPlainRunsAndSIGTERMReachesThemAndEveryRankExits143() throws {
        // slow.yaml's 3 runs over 2 ranks: rank 0 runs 0.5 then 0.125, rank 1 runs 0.25. Slurm
        // signals every task of the step; so does this test, once both ranks' runs are training.
        var runs: [(arguments: [String], environment: [String])] = []
        let result = try Binary.mpirun([(2, ["slow.yaml"])], in: folder) { process in
            let ranks = Binary.rankProcesses(of: process, count: 2)
            self.interrupt(process, when: 2, runsOf: "runs/slow", with: 0)  // signal 0: it only waits
            // Each rank's run, as the kernel has it: its command line and its environment.
            for pid in ranks.values {
                let children = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "")
                    .split(separator: " ").compactMap { pid_t($0) }
                for child in children {
                    func words(_ file: String) -> [String] {
                        (FileManager.default.contents(atPath: "/proc/\(child)/\(file)") ?? Data()).split(separator: 0)
                            .map { String(decoding: $0, as: UTF8.self) }
                    }
                    runs.append((words("cmdline"), words("environ")))
                }
            }
            for pid in ranks.values { kill(pid, SIGTERM) }
        }
        XCTAssertEqual(runs.count, 2)
        // Two ranks on this machine share its cores: each run gets cores / 2 threads, at least 1.
        let threads = String(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)) / 2))
        for run in runs {
            XCTAssertEqual(run.arguments.firstIndex(of: "--threads").map { run.arguments[$0 + 1] }, threads, "\(run.arguments)")
            // The rank has Open MPI's variables (it is one); its run has none, so it never initialises MPI.
            XCTAssertEqual(run.environment.filter { $0.hasPrefix("OMPI_") || $0.hasPrefix("PMIX_") || $0.hasPrefix("PMI_") }, [])
            XCTAssertTrue(run.environment.contains { $0.hasPrefix("PATH=") })
        }
        XCTAssertEqual(result.status, 143, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let rows = try summary("runs/slow")
        XCTAssertEqual(rows.map { $0[0] }, ["run", "0.5", "0.25", "0.125"])
        XCTAssertEqual(rows.map { $0[3] }, ["status", "interrupted", "interrupted", "missing"])
        for run in ["0.5", "0.25"] { XCTAssertTrue(exists("runs/slow/\(run)/checkpoint.bin"), run) }
        XCTAssertFalse(exists("runs/slow/0.125"), "rank 0 launches nothing after the signal")
        XCTAssertTrue(result.stdout.hasSuffix("slow: 3 runs: 2 interrupted, 1 missing\n  summary: runs/slow/summary.csv; "
                                              + "charts: loss_comparison.png, gradients_by_depth.png\n"), result.stdout)
    }
}
