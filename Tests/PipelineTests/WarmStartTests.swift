import BackpropCore
import Foundation
import XCTest
@testable import Pipeline

/// `init: {type: from_model, path: model.json}`: a trained model's weights and biases as the
/// starting point, for the whole network (fine-tuning) or single layers (transfer), with the
/// shape checks and file errors a user meets.
final class WarmStartTests: XCTestCase {
    static let iris = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/iris.csv").path

    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bp-warm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    /// Iris, 4-8-3 tanh/softmax by default; `network` replaces the network section's lines.
    func spec(_ name: String, network: String? = nil, training: String = "{epochs: 20, batch_size: 16, optimizer: adam}",
              data: String? = nil) throws -> String {
        let text = """
            name: \(name)
            seed: 4
            data: \(data ?? "{type: csv, path: \(Self.iris), label: species, normalize: standardize}")
            network:
            \(network ?? "  inputs: 4\n  layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]")
            loss: cross_entropy
            learning_rate: {type: constant, value: 0.02}
            training: \(training)
            outputs: [{type: model}, {type: history}]
            """
        let url = temporary.appendingPathComponent("\(name).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Trains the base model into `base/` beside the specs.
    func trainBase() throws -> RunResult {
        let request = RunRequest(specPath: try spec("base"), outputDirectory: temporary.appendingPathComponent("base").path)
        return try Engine.run(try Engine.prepare(try Engine.load(request)))
    }

    func prepare(_ path: String) throws -> PreparedRun {
        try Engine.prepare(try Engine.load(RunRequest(specPath: path, outputDirectory: temporary.appendingPathComponent("out").path)))
    }

    /// The error preparing `path` gives: exit code and first line, the folder shown as `{dir}`.
    func failure(_ path: String) throws -> (ExitCode, String) {
        do {
            _ = try prepare(path)
        } catch let error as PipelineError {
            let first = error.description.split(separator: "\n").first.map(String.init) ?? ""
            return (error.exitCode, first.replacingOccurrences(of: temporary.path, with: "{dir}"))
        }
        XCTFail("preparing \(path) succeeded; expected an error")
        return (.success, "")
    }

    /// line:column of the first `needle` in the spec file at `path`, 1-based.
    func position(of needle: String, in path: String) throws -> String {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if let range = line.range(of: needle) { return "\(index + 1):\(line.distance(from: line.startIndex, to: range.lowerBound) + 1)" }
        }
        XCTFail("\(needle) is not in \(path)")
        return ""
    }

    func assertSameValues(_ a: DenseLayer, _ b: DenseLayer, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.weights.value.storage.map(\.bitPattern), b.weights.value.storage.map(\.bitPattern), message, file: file, line: line)
        XCTAssertEqual(a.bias.value.storage.map(\.bitPattern), b.bias.value.storage.map(\.bitPattern), message, file: file, line: line)
    }

    func testFineTuningStartsExactlyAtTheLoadedModel() throws {
        let base = try trainBase()
        let tune = try spec("tune", network: "  inputs: 4\n  init: {type: from_model, path: base/model.json}\n  layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]",
                            training: "{epochs: 1, batch_size: full, optimizer: sgd}")
        let prepared = try prepare(tune)
        // model.json's numbers are shortest round-trip text read back correctly rounded: bit for bit.
        for (l, layer) in prepared.network.layers.enumerated() { assertSameValues(layer, base.report.network.layers[l], "layer \(l + 1)") }

        // One full batch: the first epoch's loss is measured before its update, at the loaded
        // weights, on the same standardised rows the base run ended on. Its final_loss sums the
        // same per-sample losses, possibly in chunks, so the two agree to rounding (1e-12 relative).
        let result = try Engine.run(prepared)
        let first = try XCTUnwrap(result.report.outcome.history.first?.loss)
        XCTAssertEqual(first, base.report.outcome.finalLoss, accuracy: 1e-12 * base.report.outcome.finalLoss)
        XCTAssertLessThan(base.report.outcome.finalLoss, 0.2, "the base model has learnt iris")
    }

    /// Fine-tuning on other rows keeps the model's normalisation: every third iris row has other
    /// means and σs than the whole file the base model was fitted on, and refitting them would
    /// move every input the loaded weights see. With the model's shift and scale, the first
    /// full-batch epoch's loss (measured before its update, at the loaded weights) is the base
    /// model's loss on those rows as evaluate measures it: the same per-sample losses, summed
    /// possibly in other chunks, so equal to rounding (1e-12 relative).
    func testFineTuningKeepsTheModelsNormalisation() throws {
        let base = try trainBase()
        let lines = try String(contentsOfFile: Self.iris, encoding: .utf8).split(separator: "\n")
        let subset = temporary.appendingPathComponent("subset.csv").path
        try (([lines[0]] + lines.dropFirst().enumerated().filter { $0.offset % 3 == 0 }.map(\.element)).joined(separator: "\n") + "\n")
            .write(toFile: subset, atomically: true, encoding: .utf8)
        let network = "  inputs: 4\n  init: {type: from_model, path: base/model.json}\n  layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]"
        let tune = try spec("tune", network: network, training: "{epochs: 1, batch_size: full, optimizer: sgd}",
                            data: "{type: csv, path: subset.csv, label: species, normalize: standardize}")
        let prepared = try prepare(tune)
        let kept = try XCTUnwrap(base.report.data.normalization)
        XCTAssertEqual(prepared.data.normalization, kept, "the model's shift and scale, not refitted")
        let refitted = try XCTUnwrap(Normalization.fit(.standardize, on: try prepare(try spec("fresh", training: "{epochs: 1, batch_size: full}",
            data: "{type: csv, path: subset.csv, label: species, normalize: none}")).data.training.inputs))
        XCTAssertNotEqual(refitted.shift, kept.shift, "the subset's statistics differ, so the test can tell")

        let result = try Engine.run(prepared)
        let first = try XCTUnwrap(result.report.outcome.history.first?.loss)
        let evaluated = try Evaluation(Evaluation.Request(modelPath: temporary.appendingPathComponent("base/model.json").path, dataPath: subset))
        XCTAssertEqual(first, evaluated.evaluation.loss, accuracy: 1e-12 * evaluated.evaluation.loss)

        // A method other than the model's is refused at the key rather than silently changed.
        let minmax = try spec("minmax", network: network, data: "{type: csv, path: subset.csv, label: species, normalize: minmax}")
        var (code, message) = try failure(minmax)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(message, "{dir}/minmax.yaml:\(try position(of: "minmax}", in: minmax)): error: normalize is minmax but base/model.json (network.init from_model) was trained with normalize: standardize; fine-tuning keeps the model's normalisation, so write normalize: standardize")
        // normalize left out (none) points at the data mapping.
        let unwritten = try spec("unwritten", network: network, data: "{type: csv, path: subset.csv, label: species}")
        (code, message) = try failure(unwritten)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(message, "{dir}/unwritten.yaml:\(try position(of: "{type: csv", in: unwritten)): error: normalize is none but base/model.json (network.init from_model) was trained with normalize: standardize; fine-tuning keeps the model's normalisation, so write normalize: standardize")

        // Per-layer transfer starts from pieces: its data is fitted afresh.
        let transfer = try spec("transfer", network: "  inputs: 4\n  layers:\n    - {units: 8, activation: tanh, init: {type: from_model, path: base/model.json}}\n    - {units: 3, activation: softmax}",
                                data: "{type: csv, path: subset.csv, label: species, normalize: standardize}")
        XCTAssertEqual(try prepare(transfer).data.normalization, refitted)
    }

    /// An IDX model fine-tuned keeps what its pixels were divided by: the idx data's `scale`
    /// must be the model's input_scale (left out, it is 255 against the model's 50: refused at
    /// the data mapping), and with it the model's normalisation is kept as for CSV.
    func testFineTuningAnIDXModelKeepsItsInputScale() throws {
        let pixels: [UInt8] = [200, 10, 30, 40, 180, 20, 60, 5, 250, 0, 90, 30, 15, 220, 40, 70, 20, 160, 10, 90, 5, 240, 120, 60]
        try Data(idxBytes([6, 2, 2], pixels)).write(to: temporary.appendingPathComponent("images.idx"))
        try Data(idxBytes([6], [0, 0, 0, 1, 1, 1])).write(to: temporary.appendingPathComponent("labels.idx"))
        let layers = "  layers: [{units: 3, activation: tanh}, {units: 2, activation: softmax}]"
        let base = try spec("idxbase", network: "  inputs: 4\n" + layers, training: "{epochs: 2, batch_size: full}",
                            data: "{type: idx, images: images.idx, labels: labels.idx, scale: 50, normalize: standardize}")
        let trained = try Engine.run(try Engine.prepare(try Engine.load(RunRequest(specPath: base, outputDirectory: temporary.appendingPathComponent("idxbase").path))))
        let network = "  inputs: 4\n  init: {type: from_model, path: idxbase/model.json}\n" + layers
        let unscaled = try spec("unscaled", network: network, data: "{type: idx, images: images.idx, labels: labels.idx, normalize: standardize}")
        let (code, message) = try failure(unscaled)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(message, "{dir}/unscaled.yaml:\(try position(of: "{type: idx", in: unscaled)): error: scale is 255 but idxbase/model.json (network.init from_model) was trained on pixels / 50; fine-tuning keeps the model's input scaling, so write scale: 50")
        let scaled = try spec("scaled", network: network, data: "{type: idx, images: images.idx, labels: labels.idx, limit: 4, scale: 50, normalize: standardize}")
        let prepared = try prepare(scaled)
        XCTAssertEqual(prepared.data.inputScale, 50)
        XCTAssertEqual(prepared.data.normalization, trained.report.data.normalization)
        XCTAssertEqual(prepared.data.training.inputs[0, 0], (200.0 / 50 - trained.report.data.normalization!.shift[0]) / trained.report.data.normalization!.scale[0])
    }

    func testTransferTakesOnlyTheChosenLayers() throws {
        let base = try trainBase()
        // Layer 1 from the model, frozen; layer 2 drawn afresh with 3 new units.
        let transfer = try spec("transfer", network: """
              inputs: 4
              layers:
                - {units: 8, activation: tanh, trainable: false, init: {type: from_model, path: base/model.json}}
                - {units: 3, activation: softmax}
            """)
        let prepared = try prepare(transfer)
        assertSameValues(prepared.network.layers[0], base.report.network.layers[0], "layer 1 is the model's")
        XCTAssertEqual(prepared.network.layers[1].bias.value.storage, [0, 0, 0], "a drawn layer's biases start at zero")
        XCTAssertNotEqual(prepared.network.layers[1].weights.value.storage, base.report.network.layers[1].weights.value.storage)
        // The drawn layer is the first draw from the seed: the same as layer 1 of a 8-3 network's.
        var generator = SeededGenerator(seed: 4)
        XCTAssertEqual(prepared.network.layers[1].weights.value.storage, XavierUniform().weights(fanIn: 8, fanOut: 3, using: &generator))
        let result = try Engine.run(prepared)
        assertSameValues(result.report.network.layers[0], base.report.network.layers[0], "frozen layer 1 stays the model's")

        // `layer: 2` takes the model's second layer into the network's layer 2, explicit bias winning.
        let second = try spec("second", network: """
              inputs: 4
              layers:
                - {units: 8, activation: tanh}
                - {units: 3, activation: softmax, bias: [1, 2, 3], init: {type: from_model, path: base/model.json, layer: 2}}
            """)
        let layer = try prepare(second).network.layers[1]
        XCTAssertEqual(layer.weights.value.storage.map(\.bitPattern), base.report.network.layers[1].weights.value.storage.map(\.bitPattern))
        XCTAssertEqual(layer.bias.value.storage, [1, 2, 3])
    }

    func testShapeAndCountMismatchesAreSpecErrorsAtThePath() throws {
        _ = try trainBase()
        let wider = try spec("wider", network: "  inputs: 4\n  init: {type: from_model, path: base/model.json}\n  layers: [{units: 5, activation: tanh}, {units: 3, activation: softmax}]")
        var (code, message) = try failure(wider)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(message, "{dir}/wider.yaml:\(try position(of: "base/model.json", in: wider)): error: layer 1 is 4 inputs × 5 units but layer 1 of base/model.json is 4 inputs × 8 units")

        let deeper = try spec("deeper", network: "  inputs: 4\n  init: {type: from_model, path: base/model.json}\n  layers: [{units: 8, activation: tanh}, {units: 8, activation: tanh}, {units: 3, activation: softmax}]")
        (code, message) = try failure(deeper)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(message, "{dir}/deeper.yaml:\(try position(of: "base/model.json", in: deeper)): error: network.init from_model: base/model.json has 2 layers but the network has 3; to take single layers give them 'init: {type: from_model, path: base/model.json, layer: N}'")

        let beyond = try spec("beyond", network: "  inputs: 4\n  layers:\n    - {units: 8, activation: tanh}\n    - {units: 3, activation: softmax, init: {type: from_model, path: base/model.json, layer: 3}}")
        (code, message) = try failure(beyond)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(message, "{dir}/beyond.yaml:\(try position(of: "3}}", in: beyond)): error: layer 2: from_model takes layer 3 of base/model.json, which has 2 layers")

        let misplaced = try spec("misplaced", network: "  inputs: 4\n  init: {type: from_model, path: base/model.json, layer: 1}\n  layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]")
        (code, message) = try failure(misplaced)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(message, "{dir}/misplaced.yaml:\(try position(of: "1}", in: misplaced)): error: 'layer' of from_model is for a layer's own init; network.init takes every layer at its position")
    }

    func testMissingAndMalformedModelFiles() throws {
        let missing = try spec("missing", network: "  inputs: 4\n  init: {type: from_model, path: nowhere/model.json}\n  layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]")
        var (code, message) = try failure(missing)
        XCTAssertEqual(code, .noInput)
        XCTAssertEqual(message, "{dir}/nowhere/model.json: error: cannot open: no such file")

        try "{\"inputs\": 4, \"layers\": [".write(to: temporary.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        let broken = try spec("broken", network: "  inputs: 4\n  init: {type: from_model, path: broken.json}\n  layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]")
        (code, message) = try failure(broken)
        XCTAssertEqual(code, .dataError)
        XCTAssertTrue(message.hasPrefix("{dir}/broken.json:1:"), message)

        let empty = try spec("empty", network: "  inputs: 4\n  init: {type: from_model, path: ''}\n  layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]")
        (code, message) = try failure(empty)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(message, "{dir}/empty.yaml:\(try position(of: "''", in: empty)): error: 'path' of from_model is empty")
    }
}
