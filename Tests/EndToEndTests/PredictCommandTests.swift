@preconcurrency import Glibc
import Foundation
import Render
import TestSupport
import XCTest

/// `bp-pipeline predict` and `evaluate` through the real binary: stdout, --out, the output-folder
/// policy, the charts, a pipe that is read as it is written, and a file far larger than a chunk.
final class PredictCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bp-predict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: folder.appendingPathComponent(name)), as: UTF8.self)
    }

    /// y = 2a − b, z = a·b on a grid: two targets, no noise.
    func trainRegression() throws {
        var rows = ["a,b,y,z"]
        for i in 0..<60 {
            let a = Double(i % 10) / 5 - 1, b = Double(i / 10) / 3 - 1
            rows.append("\(a),\(b),\(2 * a - b),\(a * b)")
        }
        try write("grid.csv", rows.joined(separator: "\n") + "\n")
        try write("reg.yaml", """
            name: grid
            seed: 2
            data: {type: csv, path: grid.csv, task: regression, targets: [y, z], normalize: standardize}
            network: {inputs: 2, layers: [{units: 8, activation: tanh}, {units: 2, activation: linear}]}
            loss: mse
            learning_rate: {type: constant, value: 0.02}
            training: {epochs: 60, optimizer: adam, batch_size: 8}
            outputs: [{type: metrics}, {type: model}, {type: predictions}]
            """)
        let run = try Binary.run(["reg.yaml", "--out", "run", "--quiet"], in: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    func testPredictToStdoutAndToAFile() throws {
        try trainRegression()
        let stdout = try Binary.run(["predict", "run/model.json", "grid.csv"], in: folder)
        XCTAssertEqual(stdout.status, 0, stdout.stderr)
        XCTAssertEqual(stdout.stderr, "")
        let lines = stdout.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "prediction_y,prediction_z")
        XCTAssertEqual(lines.count, 61)
        let file = try Binary.run(["predict", "run/model.json", "grid.csv", "--out", "p.csv"], in: folder)
        XCTAssertEqual(file.status, 0, file.stderr)
        XCTAssertEqual(file.stdout, "")
        XCTAssertEqual(try read("p.csv"), stdout.stdout)
        // An existing file is never replaced, and no temporary file is left beside it.
        let again = try Binary.run(["predict", "run/model.json", "grid.csv", "--out", "p.csv"], in: folder)
        XCTAssertEqual(again.status, 73)
        XCTAssertEqual(again.stderr, "p.csv: error: already exists; bp-pipeline predict does not replace files: remove it or choose another --out\n")
        XCTAssertEqual(try read("p.csv"), stdout.stdout)
        // A bad row after the first chunk: nothing at --out, no temporary file.
        var big = ["a,b"] + Array(repeating: "0.5,0.25", count: 5000)
        big[4500] = "0.5,oops"
        try write("bad.csv", big.joined(separator: "\n") + "\n")
        let bad = try Binary.run(["predict", "run/model.json", "bad.csv", "--out", "q.csv"], in: folder)
        XCTAssertEqual(bad.status, 65)
        XCTAssertEqual(bad.stderr, "bad.csv:4501:2: error: cell 'oops' in column 'b' is not a number\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("q.csv") }, [])
    }

    func testEvaluateWritesMetricsAndTheChartThroughTheFolderPolicy() throws {
        try trainRegression()
        let printed = try Binary.run(["evaluate", "run/model.json", "grid.csv"], in: folder)
        XCTAssertEqual(printed.status, 0, printed.stderr)
        let metrics = try XCTUnwrap(try JSONReader.parse(printed.stdout) as? [String: Any])
        let training = try JSONReader.object(atPath: folder.appendingPathComponent("run/metrics.json").path)
        // The run's training part is the whole file in file order: the same figures exactly.
        for name in ["mse", "rmse", "mae", "r2"] {
            XCTAssertEqual(metrics[name] as? Double, training["train_\(name)"] as? Double, name)
        }
        XCTAssertEqual(metrics["targets"] as? [String], ["y", "z"])
        XCTAssertEqual(metrics["samples"] as? Int, 60)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)), ["grid.csv", "reg.yaml", "run"])

        let written = try Binary.run(["evaluate", "run/model.json", "grid.csv", "--out", "ev"], in: folder)
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertEqual(written.stdout, "run/model.json on grid.csv: 60 samples; wrote ev/metrics.json and ev/predictions.png\n")
        XCTAssertEqual(try read("ev/metrics.json"), printed.stdout)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("ev").path)),
                       [".bp-pipeline-run", "metrics.json", "predictions.png"])
        let image = try PNG.read(path: folder.appendingPathComponent("ev/predictions.png").path)
        XCTAssertEqual([image.width, image.height], [1000, 560])
        // The identity line is drawn in tab:red (D62728) and the points in tab:blue (1F77B4, alpha-blended on white).
        var red = 0, blue = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                guard let p = image.pixel(x: x, y: y) else { continue }
                if p.r > 190 && p.g < 70 && p.b < 70 { red += 1 }
                if p.b > 150 && p.r < 140 && p.b > p.r + 40 { blue += 1 }
            }
        }
        XCTAssertGreaterThan(red, 200, "the identity lines")
        XCTAssertGreaterThan(blue, 200, "the points")
        // An evaluation replaces its own folder, never a folder holding something else.
        XCTAssertEqual(try Binary.run(["evaluate", "run/model.json", "grid.csv", "--out", "ev"], in: folder).status, 0)
        try write("notes.txt", "mine")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("mine"), withIntermediateDirectories: false)
        try write("mine/notes.txt", "mine")
        let refused = try Binary.run(["evaluate", "run/model.json", "grid.csv", "--out", "mine"], in: folder)
        XCTAssertEqual(refused.status, 73)
        XCTAssertEqual(try read("mine/notes.txt"), "mine")
    }

    /// The pipe gets 10,000 rows (90 KB: predict reads 64 KiB at a time), then nothing more until
    /// the first 4,096 predictions have come out: a predict that read its whole input before
    /// writing would never see the end.
    func testPredictStreamsAPipe() throws {
        try trainRegression()
        let fifo = folder.appendingPathComponent("rows.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let outURL = folder.appendingPathComponent("out.csv")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let process = Process()
        process.executableURL = try XCTUnwrap(Binary.url)
        process.arguments = ["predict", "run/model.json", "rows.fifo"]
        process.currentDirectoryURL = folder
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = FileHandle.nullDevice
        // Opened read-write before predict starts (Linux allows it without blocking), so the pipe
        // has a writer from the start and predict's reads wait for rows instead of seeing its end.
        let descriptor = open(fifo, O_RDWR)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        let writer = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        try process.run()
        writer.write(Data((["a,b"] + Array(repeating: "0.5,0.25", count: 10_000)).joined(separator: "\n").utf8 + [0x0A]))
        let deadline = Date().addingTimeInterval(60)
        var seen = 0
        while Date() < deadline {
            seen = (try? Data(contentsOf: outURL))?.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } ?? 0
            if seen >= 4097 { break }
            usleep(20_000)
        }
        XCTAssertEqual(seen, 4097, "the header and the first chunk come out while the pipe is still open")
        writer.write(Data(Array(repeating: "0.5,0.25\n", count: 3000).joined().utf8))
        try writer.close()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let lines = try read("out.csv").split(separator: "\n")
        XCTAssertEqual(lines.count, 13_001)
        XCTAssertEqual(Set(lines.dropFirst()).count, 1, "the same row gives the same prediction in every chunk")
    }

    /// 400,000 rows of 8 features (17 MB of text, 26 MB as doubles, 30 MB of output text): the
    /// peak memory of predict grows by less than a chunk's worth over a file of 4,000 rows.
    func testLargeFileInBoundedMemory() throws {
        let weights = (0..<8).map { j in "[\((0..<3).map { k in String(Double((j * 3 + k) % 7) / 7 - 0.4) }.joined(separator: ", "))]" }
        try write("wide.json", """
            {"format": 2, "task": "classification", "inputs": 8,
             "layers": [{"units": 3, "activation": "softmax", "weights": [\(weights.joined(separator: ", "))], "bias": [0, 0.1, -0.1]}],
             "features": ["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"], "classes": ["a", "b", "c"],
             "normalization": {"method": "standardize", "shift": [0, 0, 0, 0, 0, 0, 0, 0], "scale": [1, 2, 1, 2, 1, 2, 1, 2]},
             "loss": "cross_entropy", "precision": "float64"}
            """)
        func rows(_ count: Int) -> String {
            var text = "f7,f6,f5,f4,f3,f2,f1,f0\n"
            text.reserveCapacity(count * 42)
            for i in 0..<count {
                text += "\(i % 13),\(i % 7).5,\(i % 5),\(i % 11).25,\(i % 3),\(i % 17),\(i % 19).75,\(i % 23)\n"
            }
            return text
        }
        try write("small.csv", rows(4_000))
        try write("large.csv", rows(400_000))
        func peakKilobytes(_ data: String) throws -> Int {
            let result = try Binary.run(["-f", "%M", "-o", "peak.txt", try XCTUnwrap(Binary.url).path, "predict", "wide.json", data,
                                         "--out", data + ".out"],
                                        in: folder, program: "/usr/bin/time", timeout: 600)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try XCTUnwrap(Int(try read("peak.txt").trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let small = try peakKilobytes("small.csv")
        let large = try peakKilobytes("large.csv")
        XCTAssertEqual(try read("large.csv.out").split(separator: "\n").count, 400_001)
        // Holding the file would add 26 MB of doubles alone; a chunk is 4,096 rows (about 0.5 MB with its text).
        XCTAssertLessThan(large - small, 8_000, "peak \(large) KB for 400,000 rows against \(small) KB for 4,000")
    }

    /// SIGINT or SIGTERM while predicting a large file into --out: exit 130 or 143, and the folder
    /// holds neither FILE nor the temporary `.FILE.tmp-PID` it was being written to (the signal
    /// is sent once the first chunks are in the temporary file, so it is mid-stream).
    func testInterruptedPredictLeavesNoFile() throws {
        try write("m.json", """
            {"format": 2, "task": "regression", "inputs": 2,
             "layers": [{"units": 1, "activation": "linear", "weights": [[1], [2]], "bias": [0]}],
             "features": ["a", "b"], "targets": ["y"], "loss": "mse", "precision": "float64"}
            """)
        // 3,000,000 rows (27 MB): many seconds of predicting in a debug build, far more than the signal takes.
        let block = String(repeating: "1.25,-2\n", count: 10_000)
        var text = "a,b\n"
        text.reserveCapacity(4 + 300 * block.utf8.count)
        for _ in 0..<300 { text += block }
        try write("big.csv", text)
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            var pid: Int32 = 0
            let result = try Binary.run(["predict", "m.json", "big.csv", "--out", "p.csv"], in: folder, timeout: 300) { process in
                pid = process.processIdentifier
                let temporary = self.folder.appendingPathComponent(".p.csv.tmp-\(pid)").path
                let deadline = Date().addingTimeInterval(60)
                func written() -> Int { ((try? FileManager.default.attributesOfItem(atPath: temporary))?[.size] as? Int) ?? 0 }
                while written() < 100_000 && process.isRunning && Date() < deadline { usleep(2_000) }
                XCTAssertTrue(process.isRunning, "predict ended before the signal")
                kill(pid, signal)
            }
            XCTAssertEqual(result.status, status, "signal \(signal): \(result.stderr)")
            XCTAssertFalse(result.signalled)
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            XCTAssertEqual(left, ["big.csv", "m.json"], "signal \(signal)")
        }
    }
}
