@preconcurrency import Glibc
import Foundation
import Render
import TestSupport
import XCTest

/// Output folders never destroy anything, resume continues into its folder, and the command
/// line around them (the bad inputs with exact messages are in the battery, `outdir-*.case`).
final class OutputFolderTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try Binary.copyOfFixtures("outcomes")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

    func entries(_ relative: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path(relative)).sorted()
    }

    func metrics(_ relative: String) throws -> [String: Any] {
        try JSONReader.object(atPath: path(relative + "/metrics.json"))
    }

    func testEverySpellingOfAFolderNamesTheSameFolder() throws {
        // Each run replaces the one before (its epochs tell them apart) and leaves nothing beside it.
        let spellings = ["runs/new/", "runs//new", "./runs/./new/", "runs/x/../new", folder.path + "/runs/new/"]
        for (index, out) in spellings.enumerated() {
            let result = try Binary.run(["quick.yaml", "--out", out, "--set", "training.epochs=\(index + 1)"], in: folder)
            XCTAssertEqual(result.status, 0, "--out \(out): \(result.stderr)")
            XCTAssertEqual(try metrics("runs/new")["epochs"] as? Int, index + 1, "--out \(out)")
            XCTAssertEqual(try entries("runs"), ["new"], "--out \(out)")
            XCTAssertEqual(try entries("runs/new"), [".bp-pipeline-run", "history.csv", "metrics.json", "model.json"])
        }
        let marker = try String(contentsOfFile: path("runs/new/.bp-pipeline-run"), encoding: .utf8)
        XCTAssertEqual(marker, "bp-pipeline run folder; the files and folders this run wrote:\nhistory.csv\nmetrics.json\nmodel.json\n")
    }

    func testAFolderHoldingWhatItsRunDidNotWriteIsNeverReplaced() throws {
        // A run folder where the user added notes: refused, before training, with nothing lost.
        XCTAssertEqual(try Binary.run(["quick.yaml", "--quiet"], in: folder).status, 0)
        try "keep me\n".write(toFile: path("runs/quick/notes.txt"), atomically: false, encoding: .utf8)
        let before = Binary.listing(folder)
        let refused = try Binary.run(["quick.yaml"], in: folder)
        XCTAssertEqual(refused.status, 73)
        XCTAssertEqual(refused.stderr, "runs/quick: error: the output folder holds what the earlier run did not write (notes.txt); "
                       + "refusing to replace it (move that elsewhere, or choose another --out)\n")
        XCTAssertEqual(Binary.listing(folder), before)

        // An empty folder becomes a run folder; a run written inside it makes it a folder of
        // runs, which a run into the outer folder must not swap away.
        try FileManager.default.createDirectory(atPath: path("shared"), withIntermediateDirectories: false)
        XCTAssertEqual(try Binary.run(["quick.yaml", "--quiet", "--out", "shared"], in: folder).status, 0)
        XCTAssertEqual(try Binary.run(["quick.yaml", "--quiet", "--out", "shared/inner"], in: folder).status, 0)
        let outer = try Binary.run(["quick.yaml", "--out", "shared/"], in: folder)
        XCTAssertEqual(outer.status, 73)
        XCTAssertEqual(outer.stderr, "shared: error: the output folder holds what the earlier run did not write (inner); "
                       + "refusing to replace it (move that elsewhere, or choose another --out)\n")
        XCTAssertEqual(try metrics("shared/inner")["status"] as? String, "completed")
    }

    func testAFolderFromBpPipeline01IsReplacedWhenItHoldsOnlyThisSpecsFiles() throws {
        // 0.1's marker was one line and listed nothing: a folder it wrote, holding just the
        // files this spec writes, is replaced (and gets a listing marker); one more file, not.
        XCTAssertEqual(try Binary.run(["quick.yaml", "--quiet"], in: folder).status, 0)
        let files = try entries("runs/quick").filter { $0 != ".bp-pipeline-run" }
        try "bp-pipeline run folder\n".write(toFile: path("runs/quick/.bp-pipeline-run"), atomically: false, encoding: .utf8)
        XCTAssertEqual(try Binary.run(["quick.yaml", "--quiet", "--set", "training.epochs=3"], in: folder).status, 0)
        XCTAssertEqual(try metrics("runs/quick")["epochs"] as? Int, 3)
        XCTAssertEqual(try entries("runs/quick").filter { $0 != ".bp-pipeline-run" }, files)
        XCTAssertTrue(try String(contentsOfFile: path("runs/quick/.bp-pipeline-run"), encoding: .utf8).contains("metrics.json"))

        try "bp-pipeline run folder\n".write(toFile: path("runs/quick/.bp-pipeline-run"), atomically: false, encoding: .utf8)
        try "keep me\n".write(toFile: path("runs/quick/notes.txt"), atomically: false, encoding: .utf8)
        let refused = try Binary.run(["quick.yaml"], in: folder)
        XCTAssertEqual(refused.status, 73)
        XCTAssertTrue(refused.stderr.contains("is from bp-pipeline 0.1") && refused.stderr.contains("(notes.txt)"), refused.stderr)
        XCTAssertEqual(try String(contentsOfFile: path("runs/quick/notes.txt"), encoding: .utf8), "keep me\n")
    }

    func testASymbolicLinkIsNotReplaced() throws {
        XCTAssertEqual(try Binary.run(["quick.yaml", "--quiet", "--out", "runs/real"], in: folder).status, 0)
        XCTAssertEqual(symlink("runs/real", path("latest")), 0)
        let result = try Binary.run(["quick.yaml", "--out", "latest"], in: folder)
        XCTAssertEqual(result.status, 73)
        XCTAssertEqual(result.stderr, "latest: error: the output folder is a symbolic link; a run replaces the folder, "
                       + "which would replace the link: give the folder it points to\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("latest")), "runs/real")
        XCTAssertEqual(try entries("runs"), ["real"])
    }

    func testAFolderThatCannotHoldTheRunFailsBeforeTraining() throws {
        // long.yaml trains for hours: a run that got as far as training would hit the timeout.
        // 228 bytes fit the file system's 255, but `.NAME.checkpoint.bin.tmp-PID` would not.
        let name = String(repeating: "x", count: 228)
        let started = Date()
        let result = try Binary.run(["long.yaml", "--out", "runs/" + name], in: folder, timeout: 30)
        XCTAssertEqual(result.status, 73)
        XCTAssertEqual(result.stderr, "runs/\(name): error: cannot use the output folder: its name is 228 bytes long "
                       + "and a folder name holds at most 227 here\n")
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("runs")))
    }

    func testOutputsInSubfoldersAreWrittenAndReplaced() throws {
        let chart = ["--set", "outputs.3.type=loss_curve", "--set", "outputs.3.file=charts/loss.png"]
        for epochs in [3, 4] {
            let result = try Binary.run(["quick.yaml", "--set", "training.epochs=\(epochs)"] + chart, in: folder)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(try PNG.read(path: path("runs/quick/charts/loss.png")).width, 1000)
            XCTAssertEqual(try metrics("runs/quick")["epochs"] as? Int, epochs)
        }
        // The marker lists the folder the run made; a file added inside it is still the user's.
        try "keep me\n".write(toFile: path("runs/quick/charts/notes.txt"), atomically: false, encoding: .utf8)
        let refused = try Binary.run(["quick.yaml"] + chart, in: folder)
        XCTAssertEqual(refused.status, 73)
        XCTAssertEqual(refused.stderr, "runs/quick: error: the output folder holds what the earlier run did not write (charts/notes.txt); "
                       + "refusing to replace it (move that elsewhere, or choose another --out)\n")
    }

    /// Interrupts `arguments` once it trains into `target`; returns its stdout.
    func interrupted(_ arguments: [String], into target: String) throws -> String {
        let result = try Binary.run(arguments, in: folder) { process in
            Binary.signal(SIGINT, to: process, into: target, in: self.folder, after: 0.4)
        }
        XCTAssertEqual(result.status, 130, result.stderr)
        XCTAssertEqual(try metrics(target)["status"] as? String, "interrupted")
        return result.stdout
    }

    func testTheInterruptSummaryPrintsTheCommandThatResumesIntoTheSameFolder() throws {
        let full = try Binary.run(["resumable.yaml", "--out", "uninterrupted"], in: folder)
        XCTAssertEqual(full.status, 0, full.stderr)
        // A spec path and a folder that need quoting, and a --set the checkpoint must match.
        try FileManager.default.copyItem(atPath: path("resumable.yaml"), toPath: path("my spec.yaml"))
        let stdout = try interrupted(["my spec.yaml", "--out", "elsewhere/it's here", "--set", "training.epochs=3000"],
                                     into: "elsewhere/it's here")
        let binary = try XCTUnwrap(Binary.url).path
        XCTAssertTrue(stdout.hasSuffix("""
              outputs: elsewhere/it's here/ (metrics.json, history.csv, model.json, loss_curve.png, gradient_heatmap.png)
              checkpoint: elsewhere/it's here/checkpoint.bin
              resume with: \(binary) 'my spec.yaml' --set training.epochs=3000 --resume 'elsewhere/it'\\''s here'

            """), stdout)

        // The printed command, run by a shell, continues into that folder (not the spec's output_dir).
        let command = try XCTUnwrap(stdout.split(separator: "\n").last?.split(separator: ":", maxSplits: 1).last)
        let shell = try Binary.run(["-c", String(command)], in: folder, program: "/bin/sh")
        XCTAssertEqual(shell.status, 0, shell.stderr)
        XCTAssertEqual(try metrics("elsewhere/it's here")["status"] as? String, "completed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("runs")), "the spec's output_dir is left alone")
        // (The charts differ: their Source chunk names the spec file, here another one.)
        for file in ["history.csv", "model.json"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("uninterrupted/" + file))),
                           try Data(contentsOf: URL(fileURLWithPath: path("elsewhere/it's here/" + file))), file)
        }
    }

    func testResumeContinuesIntoTheFolderItResumes() throws {
        // A folder starting with '-' and a --max-memory: the printed command must keep both usable.
        let stdout = try interrupted(["resumable.yaml", "--out=-other", "--max-memory", "1G"], into: "-other")
        let binary = try XCTUnwrap(Binary.url).path
        XCTAssertTrue(stdout.hasSuffix("  resume with: \(binary) resumable.yaml --max-memory 1073741824 --resume ./-other\n"), stdout)
        let resumed = try Binary.run(["resumable.yaml", "--max-memory", "1073741824", "--resume", "./-other/"], in: folder)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.hasSuffix("  outputs: -other/ (metrics.json, history.csv, model.json, loss_curve.png, gradient_heatmap.png)\n"),
                      resumed.stdout)
        XCTAssertEqual(try metrics("-other")["status"] as? String, "completed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("runs")), "the spec's output_dir is not written")
    }

    func testResumeWithAnotherOutWritesThereAndKeepsTheInterruptedRun() throws {
        _ = try interrupted(["resumable.yaml"], into: "runs/resumable")
        let interrupted = Binary.listing(folder.appendingPathComponent("runs/resumable"))
        XCTAssertTrue(interrupted.contains("checkpoint.bin"), "\(interrupted)")

        // validate takes a run's options: it checks the checkpoint and the folder, writes nothing.
        let before = Binary.listing(folder)
        let check = try Binary.run(["validate", "resumable.yaml", "--resume", "runs/resumable/", "--out", "copy",
                                    "--max-memory", "1G", "--quiet"], in: folder)
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout, "")
        let other = try Binary.run(["validate", "quick.yaml", "--resume", "runs/resumable"], in: folder)
        XCTAssertEqual(other.status, 64)
        XCTAssertTrue(other.stderr.hasPrefix("runs/resumable/checkpoint.bin: error: this checkpoint is from a run of a different spec"),
                      other.stderr)
        XCTAssertEqual(Binary.listing(folder), before)

        let resumed = try Binary.run(["resumable.yaml", "--resume", "runs/resumable", "--out", "copy"], in: folder)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try metrics("copy")["status"] as? String, "completed")
        XCTAssertEqual(try metrics("runs/resumable")["status"] as? String, "interrupted")
        XCTAssertEqual(Binary.listing(folder.appendingPathComponent("runs/resumable")), interrupted)
    }

    func testTheSameSpecFromTwoWorkingFoldersGivesIdenticalPNGs() throws {
        try FileManager.default.createDirectory(atPath: path("elsewhere"), withIntermediateDirectories: false)
        let chart = ["--set", "outputs.3.type=loss_curve"]
        let here = try Binary.run(["quick.yaml", "--out", "one"] + chart, in: folder)
        XCTAssertEqual(here.status, 0, here.stderr)
        let there = try Binary.run(["../quick.yaml", "--out", "../two"] + chart, in: folder.appendingPathComponent("elsewhere"))
        XCTAssertEqual(there.status, 0, there.stderr)
        let one = try Data(contentsOf: URL(fileURLWithPath: path("one/loss_curve.png")))
        XCTAssertTrue(one == (try Data(contentsOf: URL(fileURLWithPath: path("two/loss_curve.png")))))
        let source = try PNG.textChunks(path: path("two/loss_curve.png")).first { $0.key == "Source" }
        XCTAssertEqual(source?.value, "quick.yaml")
    }
}
