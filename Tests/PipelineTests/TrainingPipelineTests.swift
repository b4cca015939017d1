import BackpropCore
import Foundation
import XCTest
@testable import Pipeline
import Render

/// The training examples run in full, the training keys decode, and a seeded spec gives the
/// same bytes twice.
final class TrainingPipelineTests: XCTestCase {
    static let pipelines = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Pipelines")

    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bp-training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    func run(_ spec: String, _ overrides: [String] = [], into name: String) throws -> RunResult {
        let request = RunRequest(specPath: spec, overrides: overrides, outputDirectory: temporary.appendingPathComponent(name).path)
        return try Engine.run(try Engine.prepare(try Engine.load(request)))
    }

    func pipeline(_ file: String) -> String { Self.pipelines.appendingPathComponent(file).path }

    /// A spec in the temporary folder.
    func spec(_ text: String, _ name: String = "spec.yaml") throws -> String {
        let url = temporary.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testXorLearnsAllFourCases() throws {
        let result = try run(pipeline("xor.yaml"), into: "xor")
        XCTAssertEqual(result.report.outcome.status, .completed)
        XCTAssertEqual(result.report.outcome.finalAccuracy, 1.0)
        XCTAssertLessThan(result.report.outcome.finalLoss, 0.01)
    }

    func testDeepSigmoidGradientVanishesWhereReluKeepsIt() throws {
        let sigmoid = try run(pipeline("deep-sigmoid.yaml"), ["training.epochs=3"], into: "sigmoid").report.outcome
        let relu = try run(pipeline("deep-relu.yaml"), ["training.epochs=3"], into: "relu").report.outcome
        let s = try XCTUnwrap(sigmoid.history.first?.gradientNorms), r = try XCTUnwrap(relu.history.first?.gradientNorms)
        XCTAssertEqual(s.count, 9)
        // Layer 1 gets less than 1e-4 of the last layer's gradient with sigmoid, over 1e-1 with relu.
        XCTAssertLessThan(s[0] / s[8], 1e-4)
        XCTAssertGreaterThan(r[0] / r[8], 1e-1)
        // And the norms shrink layer by layer going back through the sigmoids.
        for l in 1..<8 { XCTAssertLessThan(s[l - 1], s[l], "sigmoid layer \(l) vs \(l + 1)") }
    }

    func testSameSpecAndSeedGiveIdenticalBytes() throws {
        let text = """
        seed: 21
        data: {type: inline, inputs: [[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.5], [0.2, 0.9]], targets: [[0], [1], [1], [0], [1], [1]]}
        network: {inputs: 2, init: he_normal, layers: [{units: 6, activation: relu}, {units: 1, activation: sigmoid}]}
        loss: binary_cross_entropy
        learning_rate: {type: cosine, value: 0.1, t_max: 30, warmup_epochs: 3}
        training:
          epochs: 30
          batch_size: 2
          optimizer: {type: adam}
          clip_grad_norm: 1
          regularization: {l2: 0.001}
        outputs: [{type: history}, {type: model}, {type: metrics}]
        """
        let path = try spec(text)
        _ = try run(path, into: "a")
        _ = try run(path, into: "b")
        for file in ["history.csv", "model.json"] {
            let a = try Data(contentsOf: temporary.appendingPathComponent("a/\(file)"))
            let b = try Data(contentsOf: temporary.appendingPathComponent("b/\(file)"))
            XCTAssertEqual(a, b, file)
            XCTAssertGreaterThan(a.count, 100)
        }
        let history = try String(contentsOf: temporary.appendingPathComponent("a/history.csv"), encoding: .utf8)
        let header = history.split(separator: "\n")[0]
        XCTAssertEqual(header, "epoch,loss,lr,train_accuracy,regularization,grad_norm_1,grad_norm_2,grad_mean_abs_1,grad_mean_abs_2")
        // Warm-up: epochs 1–3 use 0.1·e/3, epoch 4 is the cosine's first epoch (0.1).
        let rates = history.split(separator: "\n").dropFirst().prefix(4).map { $0.split(separator: ",")[2] }
        XCTAssertEqual(rates.map(String.init), ["\(0.1 * (1.0 / 3))", "\(0.1 * (2.0 / 3))", "0.1", "0.1"])
    }

    /// Moons with a validation quarter, Adam and early stopping on val_loss with restore_best.
    static let restoringBest = """
    seed: 2
    data: {type: synthetic, dataset: moons, samples: 120, noise: 0.3, validation: 0.25}
    network: {inputs: 2, layers: [{units: 32, activation: tanh}, {units: 1, activation: sigmoid}]}
    loss: binary_cross_entropy
    learning_rate: {type: constant, value: 0.05}
    training:
      epochs: 2000
      batch_size: full
      optimizer: {type: adam}
      early_stopping: {monitor: val_loss, patience: 5, restore_best: true}

    """

    func testEarlyStoppingReportsBestEpochAndStatus() throws {
        let text = Self.restoringBest + "outputs: [{type: metrics}, {type: history}]\n"
        let result = try run(try spec(text), into: "early")
        let outcome = result.report.outcome
        XCTAssertEqual(outcome.status, .stoppedEarly)
        let best = try XCTUnwrap(outcome.bestEpoch)
        XCTAssertEqual(outcome.history.count, best + 5)
        let metrics = try String(contentsOf: temporary.appendingPathComponent("early/metrics.json"), encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"status\": \"stopped_early\""), metrics)
        XCTAssertTrue(metrics.contains("\"best_epoch\": \(best)"), metrics)
        XCTAssertEqual(outcome.finalValidationLoss, outcome.history[best - 1].validationLoss)
        let history = try String(contentsOf: temporary.appendingPathComponent("early/history.csv"), encoding: .utf8)
        XCTAssertTrue(history.hasPrefix("epoch,loss,lr,val_loss,train_accuracy,val_accuracy,grad_norm_1"), history)
    }

    func testTrainableFalseFreezesALayer() throws {
        let text = """
        data: {type: inline, inputs: [[0.1, 0.2], [0.3, 0.4]], targets: [[0.5], [0.6]]}
        network:
          inputs: 2
          layers:
            - {units: 2, activation: tanh, trainable: false, weights: [[0.1, 0.2], [0.3, 0.4]], bias: [0.5, 0.5]}
            - {units: 1, activation: linear}
        loss: mse
        learning_rate: {type: constant, value: 0.1}
        training: {epochs: 5, optimizer: {type: sgd, momentum: 0.5}}
        """
        let result = try run(try spec(text), into: "frozen")
        XCTAssertEqual(result.report.network.layers[0].weights.value.nested, [[0.1, 0.2], [0.3, 0.4]])
        XCTAssertEqual(result.report.network.layers[0].bias.value.storage, [0.5, 0.5])
        XCTAssertNotEqual(result.report.network.layers[1].bias.value.storage, [0])
    }

    /// Every plugin reference form decodes: bare names and mappings with parameters.
    func testTrainingKeysAndPluginsDecode() throws {
        let text = """
        data: {type: inline, inputs: [[1, 2]], targets: [[1, 0]]}
        network:
          inputs: 2
          init: {type: xavier_normal, gain: 2}
          layers:
            - {units: 3, activation: {type: leaky_relu, alpha: 0.2}, init: {type: uniform, low: -1, high: 1}}
            - {units: 3, activation: {type: elu, alpha: 0.5}, init: lecun_normal}
            - {units: 2, activation: softmax, init: zeros}
        loss: cross_entropy
        learning_rate: {type: multistep, value: 0.1, milestones: [2, 4], gamma: 0.5}
        training:
          epochs: 5
          optimizer: {type: rmsprop, alpha: 0.9, momentum: 0.1, centered: true}
          early_stopping: {monitor: loss, patience: 2, min_delta: 0.001}
          clip_grad_norm: 5
          regularization: {l1: 0.01, l2: 0.02}
          precision: float32
        """
        let definition = try Engine.load(RunRequest(specPath: try spec(text)))
        XCTAssertEqual(definition.network.layers.map(\.activation.name), ["leaky_relu", "elu", "softmax"])
        XCTAssertEqual(definition.network.layers[0].activation.parameters, ["alpha": 0.2])
        XCTAssertEqual(definition.network.initializer.name, "xavier_normal")
        XCTAssertEqual(definition.network.layers.map { $0.initializer?.name }, ["uniform", "lecun_normal", "zeros"])
        XCTAssertEqual(definition.loss.name, "cross_entropy")
        XCTAssertEqual(definition.schedule.name, "multistep")
        let training = definition.training
        XCTAssertEqual(training.optimizerName, "rmsprop")
        XCTAssertEqual(training.earlyStopping, EarlyStopping(monitor: .loss, patience: 2, minDelta: 0.001, restoreBest: false))
        XCTAssertEqual(training.clipGradientNorm, 5)
        XCTAssertEqual(training.regularization, Regularization(l1: 0.01, l2: 0.02))
        XCTAssertEqual(training.precision, .float32)
        let result = try run(try spec(text, "again.yaml"), into: "keys")
        XCTAssertEqual(result.report.outcome.history.map(\.learningRate), [0.1, 0.1, 0.05, 0.05, 0.025])
    }

    /// A row of history an epoch is memory too: a billion epochs of the seed's network would
    /// fill 82 GiB over the run, so they are refused before training, at `epochs`, with the
    /// limit that would allow them (7 + 2·2 = 11 numbers an epoch, 8 bytes each).
    func testABillionEpochsAreRefusedForTheirHistory() throws {
        let text = """
        data: {type: inline, inputs: [[0.05, 0.10]], targets: [[0.01, 0.99]]}
        network: {inputs: 2, layers: [{units: 2}, {units: 2}]}
        activation: sigmoid
        loss: half_squared_error
        learning_rate: 0.5
        training:
          epochs: EPOCHS
          optimizer: sgd

        """
        let billion = try spec(text.replacingOccurrences(of: "EPOCHS", with: "1000000000"), "billion.yaml")
        XCTAssertThrowsError(try Engine.prepare(try Engine.load(RunRequest(specPath: billion)))) { error in
            let message = "\(error)".replacingOccurrences(of: self.temporary.path + "/", with: "")
            XCTAssertEqual(message.split(separator: "\n").first.map(String.init),
                           "billion.yaml:7:11: error: the run needs about 82.0 GiB of memory, 82.0 GiB of it for the history of "
                           + "1000000000 epochs (up to 11 numbers an epoch), more than the 8.0 GiB allowed")
            XCTAssertTrue(message.contains("hint: train fewer epochs, or raise the limit: --max-memory 82G"), message)
        }
        // Ten million fit (0.8 GiB), and the same billion with the limit the hint names.
        let ten = try spec(text.replacingOccurrences(of: "EPOCHS", with: "10000000"), "ten.yaml")
        XCTAssertNoThrow(try Engine.prepare(try Engine.load(RunRequest(specPath: ten))))
        XCTAssertNoThrow(try Engine.prepare(try Engine.load(RunRequest(specPath: billion)), maximumMemory: 82 << 30))
    }

    func testTrainingKeyErrorsPointAtTheValue() throws {
        let base = """
        data: {type: inline, inputs: [[1, 2]], targets: [[1]]}
        network: {inputs: 2, layers: [{units: 1, activation: sigmoid}]}
        loss: mse
        learning_rate: {type: constant, value: 0.1}
        training:
          epochs: 5
          optimizer: sgd

        """
        let cases: [(String, String)] = [
            ("  clip_grad_norm: -1\n", "spec.yaml:8:19: error: 'clip_grad_norm' must be greater than 0, found -1"),
            ("  early_stopping: {monitor: val_los}\n", "spec.yaml:8:29: error: 'monitor' must be one of 'val_loss', 'loss', found 'val_los'; did you mean 'val_loss'?"),
            ("  early_stopping: {patience: 0}\n", "spec.yaml:8:30: error: 'patience' must be at least 1, found 0"),
            ("  regularization: {l2: -0.5}\n", "spec.yaml:8:24: error: 'l2' must be 0 or greater, found -0.5"),
            ("  precision: float16\n", "spec.yaml:8:14: error: 'precision' must be one of 'float64', 'float32', found 'float16'; did you mean 'float64' or 'float32'?"),
            ("  precision: 32\n", "spec.yaml:8:14: error: 'precision' must be one of 'float64', 'float32', found '32'"),
        ]
        for (extra, expected) in cases {
            let path = try spec(base + extra)
            XCTAssertThrowsError(try Engine.load(RunRequest(specPath: path))) { error in
                let message = "\(error)".replacingOccurrences(of: self.temporary.path + "/", with: "")
                XCTAssertEqual(message.split(separator: "\n").first.map(String.init), expected)
            }
        }
    }

    /// The loss chart's subtitle and metrics.json show the same final losses (the outcome's
    /// finalLoss and finalValidationLoss, which the run summary prints too), also when
    /// restore_best makes them differ from the last epoch's.
    func testLossChartSubtitleShowsTheFinalLossOfMetrics() throws {
        let text = Self.restoringBest + "outputs: [loss_curve, metrics]\n"
        let result = try run(try spec(text), into: "restored")
        let outcome = result.report.outcome
        XCTAssertEqual(outcome.status, .stoppedEarly)
        let last = try XCTUnwrap(outcome.history.last?.loss)
        XCTAssertNotEqual(NumberFormat.short(outcome.finalLoss), NumberFormat.short(last), "restore_best changed the final loss")
        let output = try XCTUnwrap(result.report.definition.outputs.first as? LossCurveOutput)
        let chart = output.chart(result.report)
        XCTAssertEqual(chart.finalLoss, outcome.finalLoss)
        let validation = try XCTUnwrap(outcome.finalValidationLoss)
        XCTAssertEqual(chart.finalValidationLoss, validation)
        XCTAssertNotEqual(NumberFormat.short(validation), NumberFormat.short(try XCTUnwrap(outcome.history.last?.validationLoss)))
        XCTAssertEqual(chart.summary, "\(outcome.history.count) epochs  ·  final train loss \(NumberFormat.short(outcome.finalLoss))"
                       + "  ·  validation loss \(NumberFormat.short(validation))"
                       + "  ·  best epoch \(try XCTUnwrap(LossCurveOutput.bestEpoch(outcome.history)))  ·  stopped early at epoch \(outcome.history.count)")
        // As text: Foundation's JSON parser on Linux can miss the last bit of a shortest-form double.
        let metrics = try String(contentsOf: temporary.appendingPathComponent("restored/metrics.json"), encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"final_loss\": \(outcome.finalLoss),\n"), metrics)
        XCTAssertTrue(metrics.contains("\"last_epoch_loss\": \(last),\n"), metrics)
        XCTAssertTrue(metrics.contains("\"val_loss\": \(validation),\n"), metrics)
        let png = try Data(contentsOf: temporary.appendingPathComponent("restored/loss_curve.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    /// Modelling mistakes that used to train in silence (or with a warning on stderr) are spec
    /// errors at the key to change.
    func testModellingMistakesAreSpecErrors() throws {
        let base = """
        data: {type: inline, inputs: [[1, 2], [2, 1], [0, 0], [3, 3]], targets: [[1, 0], [0, 1], [1, 0], [0, 1]]}
        network:
          inputs: 2
          layers:
            - {units: 3, activation: tanh}
            - {units: 2, activation: softmax}
        loss: cross_entropy
        learning_rate: {type: constant, value: 0.1}
        training:
          epochs: 5

        """
        let cases: [(overrides: [String], expected: String?)] = [
            ([], nil),
            (["network.layers.1.activation=linear"],
             "spec.yaml:7:7: error: cross_entropy needs softmax outputs (probabilities over the classes), but the output layer (layer 2, line 6) has activation 'linear'"),
            (["network.layers.1.activation=relu", "loss=binary_cross_entropy"],
             "--set 'loss=binary_cross_entropy': error: binary_cross_entropy needs sigmoid outputs (one probability per output), but the output layer (layer 2, line 6) has activation 'relu'"),
            (["network.layers.1.activation=sigmoid", "loss=binary_cross_entropy"], nil),
            (["network.layers.1.activation=linear", "loss=mse"], nil),
            (["network.layers.0.activation=softmax"],
             "--set 'network.layers.0.activation=softmax': error: layer 1 is a hidden layer; softmax belongs on the output layer only"),
            (["training.early_stopping.monitor=val_loss"],
             "--set 'training.early_stopping.monitor=val_loss': error: early_stopping monitors val_loss but the data has no validation part"),
            (["training.early_stopping.monitor=val_loss", "training.validation=0.5"], nil),
            (["training.early_stopping.monitor=val_loss", "data.validation=0.5"], nil),
            (["training.early_stopping.monitor=loss"], nil),
            (["learning_rate.type=reduce_on_plateau", "learning_rate.warmup_epochs=2"],
             "--set 'learning_rate.type=reduce_on_plateau': error: reduce_on_plateau monitors val_loss but the data has no validation part"),
            (["learning_rate.type=reduce_on_plateau", "learning_rate.monitor=loss"], nil),
            (["learning_rate.type=reduce_on_plateau", "data.validation=0.5"], nil),
        ]
        let path = try spec(base)
        for (overrides, expected) in cases {
            do {
                _ = try Engine.load(RunRequest(specPath: path, overrides: overrides))
                XCTAssertNil(expected, "\(overrides) loaded")
            } catch {
                let message = "\(error)".replacingOccurrences(of: temporary.path + "/", with: "")
                XCTAssertEqual(message.split(separator: "\n").first.map(String.init), expected, "\(overrides)")
            }
        }
    }
}
