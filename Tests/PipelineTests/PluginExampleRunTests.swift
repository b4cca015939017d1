import BackpropCore
import Foundation
import PipelineSpec
import Render
import TestSupport
import XCTest
@testable import Pipeline

/// Runs every plugin's documented example (the `example` of its description, as
/// `bp-pipeline plugins` and the README show it) through the engine: placed into a small
/// complete spec, trained for 2 epochs into a temporary folder. An output's file must decode,
/// a chart at the size its declared `width` and `height` defaults promise.
final class PluginExampleRunTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bp-examples-\(UUID().uuidString)")
        // The csv example names ../Data/iris.csv, relative to its spec's folder.
        let data = temporary.appendingPathComponent("Data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("Data/iris.csv"),
                                         to: data.appendingPathComponent("iris.csv"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    /// XOR: 2 inputs, one 0/1 target, so a decision boundary and a confusion matrix apply; a
    /// validation part (one sample of each class) for the examples that monitor val_loss.
    static let xor = """
        data:
          type: inline
          inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]
          targets: [[0], [1], [1], [0]]
          validation: 0.5
        """

    /// XOR with one-hot targets, for the examples that need a softmax head.
    static let xorOneHot = """
        data:
          type: inline
          inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]
          targets: [[1, 0], [0, 1], [0, 1], [1, 0]]
          validation: 0.5
        """

    /// A complete spec around `entry`'s example: the example in its place, defaults elsewhere.
    /// The head matches the loss, as the spec's checks require: sigmoid outputs with
    /// binary_cross_entropy, or (for `cross_entropy` and `softmax`, which only an output layer
    /// may use) two softmax outputs with cross_entropy.
    static func spec(_ entry: PluginParameterTests.Entry, inputs: Int, outputs: Int) -> String {
        let example = entry.description.example
        func part(_ kind: StageKind, _ fallback: String) -> String { entry.kind == kind ? example : fallback }
        let softmaxHead = (entry.kind == .loss && entry.name == "cross_entropy") || (entry.kind == .activation && entry.name == "softmax")
        let head = entry.kind == .activation && entry.name == "softmax" ? PluginParameterTests.indent(example, by: 6) : "      activation: \(softmaxHead ? "softmax" : "sigmoid")"
        // The predictions chart draws regression outputs: XOR's targets read as numbers, a linear head and mse.
        let regression = entry.kind == .output && entry.name == "predictions"
        let data = regression ? Self.xor.replacingOccurrences(of: "type: inline", with: "type: inline\n  task: regression") : Self.xor
        var lines = ["name: \(entry.name)-example", "seed: 1", part(.data, softmaxHead ? Self.xorOneHot : data),
                     "network:", "  inputs: \(inputs)"]
        if entry.kind == .initializer { lines.append(PluginParameterTests.indent(example)) }
        lines += ["  layers:", "    - units: 3", "    - units: \(softmaxHead ? 2 : outputs)", regression ? "      activation: linear" : head,
                  softmaxHead || entry.kind != .activation ? "activation: tanh" : example,
                  part(.loss, softmaxHead ? "loss: cross_entropy" : regression ? "loss: mse" : "loss: binary_cross_entropy"),
                  part(.learningRate, "learning_rate: {type: constant, value: 0.1}"),
                  "training:", "  epochs: 2"]
        if entry.kind == .optimizer { lines.append(PluginParameterTests.indent(example)) }
        lines.append(entry.kind == .output ? "outputs:\n" + PluginParameterTests.indent(example) : "outputs:\n  - type: metrics")
        return lines.joined(separator: "\n") + "\n"
    }

    func testEveryPluginsDocumentedExampleRunsThroughTheEngine() throws {
        let start = Date()
        for entry in PluginParameterTests.entries {
            let folder = temporary.appendingPathComponent("\(entry.kind.rawValue)-\(entry.name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // The network's shape follows the data: a data example is loaded once to learn it.
            var shape = (inputs: 2, outputs: 1)
            if entry.kind == .data {
                let root = try SpecLoader.load(text: entry.description.example, path: "example")
                let data = try Registry.data.make(from: try PluginParameterTests.node(at: "data", in: root),
                                                  context: SpecContext(directory: folder.path, seed: 1)).product.load()
                shape = (data.training.featureCount, data.training.targetCount)
            }
            if entry.kind == .initializer && entry.name == "from_model" {
                // The model its example names: the 2-3-1 network the spec around it declares.
                try """
                    {"inputs": 2, "layers": [
                      {"units": 3, "activation": "tanh", "weights": [[0.5, -0.25, 1], [0.75, 0.125, -1]], "bias": [0.5, 0, -0.5]},
                      {"units": 1, "activation": "sigmoid", "weights": [[1], [-1], [0.5]], "bias": [0.25]}],
                     "features": ["x1", "x2"]}
                    """.write(to: folder.appendingPathComponent("model.json"), atomically: true, encoding: .utf8)
            }
            let specPath = folder.appendingPathComponent("spec.yaml").path
            try Self.spec(entry, inputs: shape.inputs, outputs: shape.outputs).write(toFile: specPath, atomically: true, encoding: .utf8)
            let out = folder.appendingPathComponent("out").path
            let definition = try Engine.load(RunRequest(specPath: specPath, outputDirectory: out))
            let result = try Engine.run(try Engine.prepare(definition))
            XCTAssertEqual(result.exitCode, .success, "\(entry.kind) \(entry.name)")
            XCTAssertEqual(result.report.outcome.history.count, 2, entry.name)
            XCTAssertEqual(definition.outputs.count, 1)
            let path = out + "/" + definition.outputs[0].file
            switch PathTools.lastComponent(of: path).split(separator: ".").last {
            case "png":
                let image = try PNG.read(path: path)
                let declared = entry.declared
                XCTAssertEqual(image.width, declared.first { $0.name == "width" }?.defaultValue.flatMap { Int($0) }, entry.name)
                if let height = declared.first(where: { $0.name == "height" })?.defaultValue.flatMap({ Int($0) }) {
                    XCTAssertEqual(image.height, height, "\(entry.name): the declared default height")
                } else {
                    // gradient_heatmap fits its height to the ∂E/∂W panels: 960 to 2000 with them.
                    XCTAssertTrue((960...2000).contains(image.height), "\(entry.name): \(image.height)")
                }
            case "json":
                let json: [String: Any]? = try JSONReader.object(atPath: path)
                XCTAssertNotNil(json, path)
                if entry.kind != .output {
                    XCTAssertEqual(json?["status"] as? String, "completed", entry.name)
                    XCTAssertEqual(json?["epochs"] as? Int, 2, entry.name)
                }
            case "csv":
                let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
                XCTAssertEqual(rows.count, 3, "header and 2 epochs")
                XCTAssertTrue(rows.first?.hasPrefix("epoch,loss,lr,") == true)
            case "safetensors":
                // The layout itself is SafetensorsTests'; here: the header parses and names layer 1.
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                XCTAssertEqual(length % 8, 0, entry.name)
                let header = try JSONReader.parse(Array(bytes[8..<min(bytes.count, 8 + length)])) as? [String: Any]
                XCTAssertNotNil(header?["0.weight"], entry.name)
            default:
                XCTFail("\(entry.name) writes \(path), a kind this test does not check")
            }
        }
        // The whole table (about 45 runs, one reads 1000 Fashion-MNIST images) stays quick.
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }

    /// The README's block of optimizer and schedule examples: every line builds, and every
    /// optimizer and schedule has one.
    func testTheREADMEsOptimizerAndScheduleExamplesBuild() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: "Examples, one per optimizer and schedule"))
        let block = try XCTUnwrap(readme[start.upperBound...].components(separatedBy: "```yaml\n").dropFirst().first?
            .components(separatedBy: "```").first)
        var optimizers: Set<String> = [], schedules: Set<String> = []
        for line in block.split(separator: "\n") {
            let spec = try SpecLoader.load(text: String(line) + "\n", path: "README.md")
            let reader = try MappingReader(spec, "example")
            let context = SpecContext(directory: ".", seed: 1)
            if let node = reader.optional("optimizer") {
                optimizers.insert(try Registry.optimizers.make(from: node, context: context).name)
            } else {
                schedules.insert(try Registry.schedules.make(from: try reader.required("learning_rate"), context: context).name)
            }
            try reader.finish()
        }
        XCTAssertEqual(optimizers, Set(Registry.optimizers.names))
        XCTAssertEqual(schedules, Set(Registry.schedules.names))
    }
}
