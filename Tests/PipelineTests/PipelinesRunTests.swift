import BackpropCore
import Foundation
import Render
import TestSupport
import XCTest
@testable import Pipeline

/// Runs every `Pipelines/*.yaml` end to end (shortened) into a temporary folder and checks what
/// a user would open: metrics, history, model and PNGs that decode.
final class PipelinesRunTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let pipelines = root.appendingPathComponent("Pipelines")

    /// Overrides that keep each example quick in a test; the default is a few epochs.
    static let shortening: [String: [String]] = [
        "seed.yaml": [],   // the whole 10000 epochs: under a second
        "fashion-mnist.yaml": ["training.epochs=1", "data.limit=600", "data.test.limit=200"],
    ]

    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bp-pipelines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    func run(_ file: String, overrides: [String]? = nil, into name: String) throws -> (RunResult, String) {
        let spec = Self.pipelines.appendingPathComponent(file).path
        let out = temporary.appendingPathComponent(name).path
        let request = RunRequest(specPath: spec, overrides: overrides ?? Self.shortening[file] ?? ["training.epochs=3"],
                                 outputDirectory: out)
        let prepared = try Engine.prepare(try Engine.load(request))
        return (try Engine.run(prepared), out)
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONReader.object(atPath: path)
    }

    func testEveryPipelineRunsAndWritesOutputsThatDecode() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.pipelines.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertTrue(files.contains("seed.yaml"))
        for file in files {
            if file == "fashion-mnist.yaml" && !FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") {
                XCTFail("fashion-mnist.yaml needs the Debian package dataset-fashion-mnist (Scripts/install-packages.sh)")
                continue
            }
            let (result, out) = try run(file, into: PathTools.stem(of: file))
            XCTAssertEqual(result.exitCode, .success, file)
            XCTAssertFalse(result.report.definition.outputs.isEmpty, "\(file) writes no outputs")
            for output in result.report.definition.outputs {
                let path = out + "/" + output.file
                XCTAssertTrue(FileManager.default.fileExists(atPath: path), "\(file): \(output.file) missing")
                if output.file.hasSuffix(".png") {
                    let image = try PNG.read(path: path)
                    XCTAssertGreaterThanOrEqual(image.width, 1000, "\(file): \(output.file)")
                    XCTAssertGreaterThanOrEqual(image.height, 640, "\(file): \(output.file)")
                    let text = try PNG.textChunks(path: path)
                    XCTAssertTrue(text.contains { $0.value.contains("bp-pipeline") }, "\(file): \(output.file) has no provenance")
                } else if output.file.hasSuffix(".json") {
                    _ = try json(path)
                }
            }
        }
    }

    func testSeedPipelineReproducesTheWorkedExample() throws {
        let (result, out) = try run("seed.yaml", into: "seed")
        let metrics = try json(out + "/metrics.json")
        XCTAssertEqual(metrics["status"] as? String, "completed")
        XCTAssertEqual(metrics["epochs"] as? Int, 10000)
        // The file holds the double this process trained, bit for bit.
        let finalLoss = try XCTUnwrap(metrics["final_loss"] as? Double)
        XCTAssertEqual(finalLoss, result.report.outcome.finalLoss)
        // Across CPUs, the independent reference within the bound derived in
        // WorkedExampleTests.testTenThousandEpochsReachTheWorkedExamplesFinalError.
        XCTAssertEqual(finalLoss, 3.510187782978859e-05, accuracy: 1e-14)

        let history = try String(contentsOfFile: out + "/history.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(history.count, 10001)
        XCTAssertTrue(history[0].hasPrefix("epoch,loss,lr,"))
        let first = history[1].split(separator: ",")
        XCTAssertEqual(first[0], "1")
        // E_total, to half a unit in the published 9th digit; Double(String) is correctly rounded.
        XCTAssertEqual(try XCTUnwrap(Double(String(first[1]))), 0.298371109, accuracy: 5e-10)
        XCTAssertEqual(first[2], "0.5")

        // model.json keeps weights[j][k] in the seed's orientation; biases are frozen.
        let model = try json(out + "/model.json")
        XCTAssertEqual(model["inputs"] as? Int, 2)
        let layers = try XCTUnwrap(model["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 2)
        XCTAssertEqual(layers[0]["activation"] as? String, "sigmoid")
        XCTAssertEqual(layers[1]["bias"] as? [Double], [0.6, 0.6])
        // Every weight reads back as the double in memory (same process, so exact).
        for (l, layer) in layers.enumerated() {
            let weights = try XCTUnwrap(layer["weights"] as? [[Double]])
            XCTAssertEqual(weights.flatMap { $0 }, result.report.network.layers[l].weights.value.storage, "layer \(l + 1)")
        }

        // Charts at their default size.
        let loss = try PNG.read(path: out + "/loss.png")
        XCTAssertEqual(loss.width, 1000)
        XCTAssertEqual(loss.height, 640)
        let text = try PNG.textChunks(path: out + "/gradients.png")
        XCTAssertTrue(text.contains { $0.key == "Software" && $0.value == "bp-pipeline \(Engine.version)" })
        XCTAssertTrue(text.contains { $0.key == "bp-pipeline:seed" && $0.value == "1" })
    }

    func testTheSameSeededSpecGivesIdenticalBytes() throws {
        let overrides = ["training.epochs=50"]
        let (_, a) = try run("seed.yaml", overrides: overrides, into: "a")
        let (_, b) = try run("seed.yaml", overrides: overrides, into: "b")
        for file in ["history.csv", "model.json", "loss.png", "gradients.png"] {
            let x = try Data(contentsOf: URL(fileURLWithPath: a + "/" + file))
            let y = try Data(contentsOf: URL(fileURLWithPath: b + "/" + file))
            XCTAssertEqual(x, y, "\(file) differs between two runs")
        }
    }

    func testSetAndOutReplaceSpecValues() throws {
        let (result, out) = try run("seed.yaml", overrides: ["training.epochs=7", "learning_rate.value=0.25",
                                                             "name=renamed"], into: "custom")
        XCTAssertEqual(result.outputDirectory, out)
        XCTAssertEqual(result.report.outcome.history.count, 7)
        XCTAssertEqual(result.report.outcome.history[0].learningRate, 0.25)
        XCTAssertEqual(try json(out + "/metrics.json")["name"] as? String, "renamed")
    }
}
