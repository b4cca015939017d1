@preconcurrency import Glibc
import Foundation
import TestSupport
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
        try JSONReader.object(atPath: folder.appendingPathComponent(relative).appendingPathComponent("metrics.json").path)
    }

    /// samples_per_second × train_seconds: the samples the run processed, which must come out a
    /// whole number (the two are written from it to the last bits, so 1e-9 is ample).
    func samplesProcessed(_ metrics: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let seconds = try XCTUnwrap(metrics["train_seconds"] as? Double, file: file, line: line)
        let rate = try XCTUnwrap(metrics["samples_per_second"] as? Double, file: file, line: line)
        XCTAssertGreaterThan(seconds, 0, file: file, line: line)
        XCTAssertGreaterThan(rate, 0, file: file, line: line)
        let product = seconds * rate
        XCTAssertEqual(product, product.rounded(), accuracy: 1e-9 * product, file: file, line: line)
        return Int(product.rounded())
    }

    func testMetricsHaveTrainSecondsAndSamplesPerSecond() throws {
        let result = try Binary.run(["quick.yaml", "--quiet"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try metrics("runs/quick")
        XCTAssertNil(metrics["training_seconds"], "train_seconds replaced it")
        // 2 samples × 50 epochs.
        XCTAssertEqual(try samplesProcessed(metrics), 100)
        let seconds = try XCTUnwrap(metrics["train_seconds"] as? Double)
        XCTAssertEqual(seconds, (seconds * 1e6).rounded() / 1e6, "written to the microsecond")
        XCTAssertLessThan(seconds, 60)
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

    /// A loss that explodes while every number is finite: SGD at rate 1e6 on XOR, which used to
    /// end "completed" with exit 0 (loss 1.2e6). The numbers are printed to 4 significant
    /// digits, which BLAS kernels' last-bit differences do not reach (L₀ = 0.72998, L₂ = 11981.95).
    func testALossThatExplodesWhileFiniteEndsDivergedWithExit1() throws {
        let result = try Binary.run(["too-fast.yaml"], in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        let failure = "the loss grew from 0.73 before training to 11980 in epoch 2 (more than 10000 times); "
            + "the weights of layer 2 grew the most, 659600 times: the learning rate is probably too large"
        let metrics = try metrics("runs/too-fast")
        XCTAssertEqual(metrics["status"] as? String, "diverged")
        XCTAssertEqual(metrics["epochs"] as? Int, 2)
        XCTAssertEqual(metrics["failure"] as? String, failure)
        XCTAssertEqual(metrics["diverged_epoch"] as? Int, 2)
        XCTAssertEqual(metrics["diverged_layer"] as? Int, 2)
        let history = try String(contentsOf: folder.appendingPathComponent("runs/too-fast/history.csv"), encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").count, 1 + 2, "a header and epochs 1 and 2")
        XCTAssertTrue(result.stdout.hasPrefix("too-fast: diverged after 2 epochs, final loss "), result.stdout)
        XCTAssertTrue(result.stdout.contains("\n  \(failure)\n"), result.stdout)
    }

    /// With restore_best the final parameters are the best epoch's, not the last epoch's: the
    /// run summary and metrics.json give the same final loss, the loss of those parameters.
    func testRestoreBestFinalLossIsTheSameInMetricsAndOnStdout() throws {
        let result = try Binary.run(["quick.yaml", "--set", "training.validation=0.5", "--set", "training.epochs=400",
                                     "--set", "learning_rate.value=20",
                                     "--set", "training.early_stopping.patience=3", "--set", "training.early_stopping.restore_best=true"],
                                    in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try metrics("runs/quick")
        XCTAssertEqual(metrics["status"] as? String, "stopped_early")
        XCTAssertNotEqual(metrics["final_loss"] as? Double, metrics["last_epoch_loss"] as? Double, "restore_best put back an earlier epoch")
        // Compared as text, both written in Swift's shortest round-trip form (Foundation's JSON
        // parser on Linux can miss the last bit).
        let text = try String(contentsOf: folder.appendingPathComponent("runs/quick/metrics.json"), encoding: .utf8)
        let written = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("\"final_loss\": ") })
        let line = try XCTUnwrap(result.stdout.split(separator: "\n").first)
        let printed = try XCTUnwrap(line.split(separator: ",").first { $0.contains("final loss") }?.split(separator: " ").last)
        XCTAssertEqual(String(written), "  \"final_loss\": \(printed),", String(line))
    }

    func testDivergenceStopsAtOnceWritesOutputsAndExits1() throws {
        let result = try Binary.run(["explodes.yaml"], in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        let metrics = try metrics("runs/explodes")
        XCTAssertEqual(metrics["status"] as? String, "diverged")
        XCTAssertEqual(metrics["epochs"] as? Int, 2)
        XCTAssertEqual(metrics["failure"] as? String, "the loss became inf in epoch 2: the outputs of layer 2 are too large for the loss")
        XCTAssertEqual(metrics["diverged_epoch"] as? Int, 2)
        XCTAssertEqual(metrics["diverged_layer"] as? Int, 2)
        XCTAssertEqual(try samplesProcessed(metrics), 2, "one sample in each of 2 epochs, the diverging one included")
        let history = try String(contentsOf: folder.appendingPathComponent("runs/explodes/history.csv"), encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").count, 1 + 2, "a header and epochs 1 and 2")
        XCTAssertTrue(history.split(separator: "\n").last?.hasPrefix("2,inf,") ?? false, history)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/explodes/model.json").path))
        XCTAssertTrue(result.stdout.contains("explodes: diverged after 2 epochs"), result.stdout)
        XCTAssertTrue(result.stdout.contains("the loss became inf in epoch 2"), result.stdout)
    }

    func signal(_ signal: Int32, to process: Process, into target: String, after seconds: Double) {
        Binary.signal(signal, to: process, into: target, in: folder, after: seconds)
    }

    /// Sends `signal` once the run is training; it must finish the batch, write the outputs
    /// with status "interrupted" and exit 128 + signal.
    func interrupt(with signal: Int32, expecting code: Int32) throws {
        let result = try Binary.run(["long.yaml"], in: folder, timeout: 60) { process in
            self.signal(signal, to: process, into: "runs/long", after: 0.3)
        }
        XCTAssertFalse(result.signalled, "killed by the signal instead of stopping cleanly")
        XCTAssertEqual(result.status, code, result.stderr)
        let metrics = try metrics("runs/long")
        XCTAssertEqual(metrics["status"] as? String, "interrupted")
        let epochs = try XCTUnwrap(metrics["epochs"] as? Int)
        XCTAssertGreaterThan(epochs, 0)
        XCTAssertLessThan(epochs, 10_000_000)
        // 16 samples in batches of 1, stopped after a batch: the last epoch counts its batches.
        let samples = try samplesProcessed(metrics)
        XCTAssertGreaterThan(samples, 16 * (epochs - 1))
        XCTAssertLessThanOrEqual(samples, 16 * epochs)
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

    func testResumeAfterSIGINTEndsByteIdenticalToAnUninterruptedRun() throws {
        try resumeAfterSIGINT([])
    }

    func testFloat32ResumeAfterSIGINTEndsByteIdenticalToAnUninterruptedRun() throws {
        try resumeAfterSIGINT(["--set", "training.precision=float32"])
        // The float32 run is a different run: its model differs from the float64 one's.
        let float64 = try Binary.run(["resumable.yaml", "--out", "runs/float64"], in: folder)
        XCTAssertEqual(float64.status, 0, float64.stderr)
        XCTAssertFalse(try contents("runs/float64")["model.json"] == contents("runs/resumable")["model.json"])
    }

    /// Interrupts `resumable.yaml` (with `extra` arguments), resumes it, and compares its files
    /// with an uninterrupted run's.
    func resumeAfterSIGINT(_ extra: [String]) throws {
        let full = try Binary.run(["resumable.yaml", "--out", "runs/uninterrupted"] + extra, in: folder)
        XCTAssertEqual(full.status, 0, full.stderr)

        let stopped = try Binary.run(["resumable.yaml"] + extra, in: folder) { process in
            self.signal(SIGINT, to: process, into: "runs/resumable", after: 0.4)
        }
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        XCTAssertEqual(try metrics("runs/resumable")["status"] as? String, "interrupted")
        let stoppedAt = try XCTUnwrap(try metrics("runs/resumable")["epochs"] as? Int)
        XCTAssertLessThan(stoppedAt, 3000)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/resumable/checkpoint.bin").path))

        let resumed = try Binary.run(["resumable.yaml", "--resume", "runs/resumable"] + extra, in: folder)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try metrics("runs/resumable")["status"] as? String, "completed")
        // The resumed process trained only the remaining epochs, from epoch stoppedAt + 1, or
        // stoppedAt when the signal cut that one short.
        let resumedMetrics = try metrics("runs/resumable")
        let resumedSamples = try samplesProcessed(resumedMetrics)
        let perEpoch = try XCTUnwrap(resumedMetrics["training_samples"] as? Int)
        XCTAssertEqual(perEpoch, 11, "16 samples less a stratified 25 % validation part")
        XCTAssertTrue([3000 - stoppedAt, 3001 - stoppedAt].map { $0 * perEpoch }.contains(resumedSamples), "\(resumedSamples)")
        let expected = try contents("runs/uninterrupted"), actual = try contents("runs/resumable")
        for file in ["history.csv", "model.json", "loss_curve.png", "gradient_heatmap.png"] {
            XCTAssertNotNil(expected[file], file)
            XCTAssertTrue(expected[file] == actual[file], "\(file) differs after resuming from epoch \(stoppedAt)")
        }
        XCTAssertNil(actual["checkpoint.bin"], "a completed run without checkpoint_every keeps no checkpoint")
    }

    func testPeriodicCheckpointLetsARunKilledOutrightResume() throws {
        let full = try Binary.run(["resumable.yaml", "--out", "runs/uninterrupted"], in: folder)
        XCTAssertEqual(full.status, 0, full.stderr)
        let every = ["--set", "training.checkpoint_every=100"]

        let killed = try Binary.run(["resumable.yaml"] + every, in: folder) { process in
            self.signal(SIGKILL, to: process, into: "runs/resumable", after: 0.8)
        }
        XCTAssertTrue(killed.signalled)
        let periodic = folder.appendingPathComponent("runs/.resumable.checkpoint.bin")
        XCTAssertTrue(FileManager.default.fileExists(atPath: periodic.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/resumable").path),
                       "nothing is in place before the run ends")

        let resumed = try Binary.run(["resumable.yaml", "--resume", "runs/resumable"] + every, in: folder)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let expected = try contents("runs/uninterrupted"), actual = try contents("runs/resumable")
        for file in ["history.csv", "model.json", "loss_curve.png", "gradient_heatmap.png"] {
            XCTAssertNotNil(expected[file], file)
            XCTAssertTrue(expected[file] == actual[file], "\(file) differs after resuming a killed run")
        }
        XCTAssertNotNil(actual["checkpoint.bin"], "with checkpoint_every the final state is kept")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs").path).sorted(),
                       ["resumable", "uninterrupted"], "the periodic checkpoint and the killed run's staging folder are gone")
    }

    func testCheckpointFromAnotherSpecOrDamagedIsRefused() throws {
        // A completed run with checkpoint_every keeps its final checkpoint.
        let finished = try Binary.run(["resumable.yaml", "--set", "training.checkpoint_every=1000", "--set", "training.epochs=1000"], in: folder)
        XCTAssertEqual(finished.status, 0, finished.stderr)
        let other = try Binary.run(["quick.yaml", "--resume", "runs/resumable"], in: folder)
        XCTAssertEqual(other.status, 64)
        XCTAssertTrue(other.stderr.hasPrefix("runs/resumable/checkpoint.bin: error: this checkpoint is from a run of a different spec or --set options: it was written for spec sha256 "),
                      other.stderr)
        XCTAssertTrue(other.stderr.contains(" with --set training.checkpoint_every=1000 --set training.epochs=1000, this run is quick.yaml (sha256 "), other.stderr)
        XCTAssertTrue(other.stderr.hasSuffix(") without --set\n    hint: resume with the spec file and --set options the interrupted run used, or start afresh without --resume\n"),
                      other.stderr)

        let checkpoint = folder.appendingPathComponent("runs/resumable/checkpoint.bin")
        var bytes = try Data(contentsOf: checkpoint)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: checkpoint)
        let damaged = try Binary.run(["resumable.yaml", "--set", "training.checkpoint_every=1000", "--set", "training.epochs=1000",
                                      "--resume", "runs/resumable"], in: folder)
        XCTAssertEqual(damaged.status, 65)
        XCTAssertEqual(damaged.stderr, "runs/resumable/checkpoint.bin: error: not a usable checkpoint: its checksum does not match (the file is truncated or corrupted)\n")

        let missing = try Binary.run(["quick.yaml", "--resume", "runs/nothing-here"], in: folder)
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "runs/nothing-here: error: cannot resume: no such folder (looked for runs/nothing-here/checkpoint.bin and runs/.nothing-here.checkpoint.bin)\n")
    }

    func testMaxMemoryReadsSizesInPowersOf1024() throws {
        // quick.yaml needs about 5 KiB (4.3 of them its 50 epochs of history): every readable
        // size above that lets it run.
        for size in ["512M", "4G", "1.5GiB", "6k", "100000", "2T"] {
            let result = try Binary.run(["quick.yaml", "--quiet", "--max-memory", size], in: folder)
            XCTAssertEqual(result.status, 0, "--max-memory \(size): \(result.stderr)")
        }
        for size in ["0", "12X", "G", "1e400", "0.5"] {
            let result = try Binary.run(["quick.yaml", "--quiet", "--max-memory", size], in: folder)
            XCTAssertEqual(result.status, 64, "--max-memory \(size)")
            XCTAssertTrue(result.stderr.hasPrefix("Error: The value '\(size)' is invalid for '--max-memory <SIZE>'"), result.stderr)
        }
        // One epoch: the network is the largest part, and the error points at its widest layer.
        let tight = try Binary.run(["quick.yaml", "--max-memory", "1K", "--set", "training.epochs=1"], in: folder)
        XCTAssertEqual(tight.status, 64)
        XCTAssertTrue(tight.stderr.hasPrefix("quick.yaml:11:14: error: the run needs about 1."), tight.stderr)
        XCTAssertTrue(tight.stderr.hasSuffix("    hint: shrink the network, the batch or the data, or raise the limit: --max-memory 1M\n"), tight.stderr)
        // 50 epochs: the history is, and the error points at `epochs`.
        let long = try Binary.run(["quick.yaml", "--max-memory", "3K"], in: folder)
        XCTAssertEqual(long.status, 64)
        XCTAssertTrue(long.stderr.hasPrefix("quick.yaml:19:11: error: the run needs about 5.2 KiB of memory, 4.3 KiB of it for the history of 50 epochs"),
                      long.stderr)
        XCTAssertTrue(long.stderr.hasSuffix("    hint: train fewer epochs, or raise the limit: --max-memory 1M\n"), long.stderr)
    }
}
