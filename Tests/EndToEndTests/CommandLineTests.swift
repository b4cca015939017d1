import Foundation
import TestSupport
import XCTest

/// The commands and options of the walking skeleton, through the real binary.
final class CommandLineTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try Binary.copyOfFixtures("outcomes")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testVersionAndHelp() throws {
        let version = try Binary.run(["--version"], in: folder)
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout, "0.1.0\n")
        let help = try Binary.run(["--help"], in: folder)
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("USAGE: bp-pipeline SPEC [--out DIR] [--set KEY.PATH=VALUE]..."), help.stdout)
        for command in ["validate", "plugins", "gradcheck"] {
            XCTAssertTrue(help.stdout.contains("  \(command) "), "--help lists \(command)")
        }
    }

    func testNoSpecIsAUsageError() throws {
        let result = try Binary.run([], in: folder)
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.hasPrefix("Error: Missing expected argument '<spec>'"), result.stderr)
    }

    func testPluginsListsEveryFamilyAndTheContractNames() throws {
        let result = try Binary.run(["plugins"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        for header in ["data (data source):", "activation (activation):", "loss (loss):", "init (initializer):",
                       "learning_rate (learning rate schedule):", "optimizer (optimizer):", "output (output):"] {
            XCTAssertTrue(result.stdout.contains(header + "\n"), "missing \(header)")
        }
        for name in ["inline", "sigmoid", "tanh", "relu", "linear", "half_squared_error", "constant", "sgd",
                     "metrics", "history", "model", "loss_curve", "gradient_heatmap"] {
            XCTAssertNotNil(result.stdout.range(of: "\n  \(name)[ ,]", options: .regularExpression), "missing plugin \(name)")
        }
    }

    func testValidateChecksEverythingAndWritesNothing() throws {
        let before = Binary.listing(folder)
        let ok = try Binary.run(["validate", "quick.yaml"], in: folder)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "quick.yaml: ok: 'quick', 2 training samples, 2 layers, 17 parameters, 3 outputs\n")
        XCTAssertEqual(Binary.listing(folder), before)
        // validate reads the data too: a width mismatch is found without training.
        let bad = try Binary.run(["validate", "quick.yaml", "--set", "data.inputs=[[1, 2, 3], [4, 5, 6]]"], in: folder)
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.hasPrefix("quick.yaml:9:11: error: network.inputs is 2 but the data has 3 input columns"), bad.stderr)
    }

    func testSetAndOutChangeTheRun() throws {
        let result = try Binary.run(["quick.yaml", "--out", "elsewhere/run", "--set", "training.epochs=4",
                                     "--set", "name=renamed", "--set", "activation.type=tanh"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("renamed: completed after 4 epochs, final loss "), result.stdout)
        XCTAssertTrue(result.stdout.contains("  outputs: elsewhere/run/ (metrics.json, history.csv, model.json)"), result.stdout)
        let model = try JSONReader.object(atPath: folder.appendingPathComponent("elsewhere/run/model.json").path)
        let layers = try XCTUnwrap(model["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["activation"] as? String }, ["tanh", "tanh"])
        let history = try String(contentsOf: folder.appendingPathComponent("elsewhere/run/history.csv"), encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").count, 5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/quick").path))
    }

    func testAnUnknownSetPathIsAnErrorLikeAnUnknownKey() throws {
        let result = try Binary.run(["quick.yaml", "--set", "training.epochz=4"], in: folder)
        XCTAssertEqual(result.status, 64)
        XCTAssertEqual(result.stderr, """
            --set 'training.epochz=4': error: unknown key 'epochz' in 'training'; did you mean 'epochs'?
                training.epochz=4
                         ^

            """)
    }

    func testASpecWithoutOptimizerOrOutputsUsesTheDefaults() throws {
        let spec = """
            data: {type: inline, inputs: [[0.05, 0.10]], targets: [[0.01, 0.99]]}
            network: {inputs: 2, layers: [{units: 2}, {units: 2}]}
            activation: sigmoid
            loss: half_squared_error
            learning_rate: {type: constant, value: 0.5}
            training: {epochs: 3}

            """
        try spec.write(to: folder.appendingPathComponent("minimal.yaml"), atomically: true, encoding: .utf8)
        let result = try Binary.run(["minimal.yaml", "--out", "minimal"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasSuffix("  outputs: minimal/ (loss_curve.png, metrics.json, history.csv, model.json)\n"), result.stdout)
        let metrics = try JSONReader.object(atPath: folder.appendingPathComponent("minimal/metrics.json").path)
        XCTAssertEqual(metrics["optimizer"] as? String, "sgd")

        let none = try Binary.run(["minimal.yaml", "--out", "none", "--set", "outputs=[]"], in: folder)
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertTrue(none.stdout.hasSuffix("  outputs: none/ (none)\n"), none.stdout)
    }
}
