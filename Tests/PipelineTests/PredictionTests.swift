import BackpropCore
import Foundation
import TestSupport
import Testing
@testable import Pipeline

/// `predict` and `evaluate` against the run that trained the model, number for number.
@Suite struct PredictionTests {
    static let iris = "\(DataPipelineTests.repository)/Data/iris.csv"

    static func irisSpec(extra: String = "") -> String {
        """
        seed: 11
        data: {type: csv, path: \(iris), label: species, normalize: standardize\(extra)}
        network:
          inputs: 4
          layers:
            - {units: 6, activation: {type: elu, alpha: 0.5}}
            - {units: 3, activation: softmax}
        loss: cross_entropy
        learning_rate: {type: constant, value: 0.05}
        training: {epochs: 5, optimizer: adam, batch_size: 16}
        outputs: [{type: metrics}, {type: model}]
        """
    }

    func train(_ spec: String, in scratch: DataScratch) throws -> RunReport {
        let path = try scratch.write("spec.yaml", spec)
        return try Engine.run(try Engine.prepare(try Engine.load(RunRequest(specPath: path, outputDirectory: scratch.folder + "/out")))).report
    }

    /// The predictions of `model` on `data` as CSV text (header first).
    func predict(_ model: TrainedModel, _ data: String, format: String = "auto", scale: Double? = 255) throws -> [[String]] {
        var text = ""
        try Prediction.run(model, dataPath: data, format: format, scale: scale) { text += $0 }
        return text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The training part is the whole file in file order (no validation), so row r of the file is
    /// row r of the trainer's inputs: predict's probabilities are its forward pass bit for bit.
    @Test func probabilitiesEqualTheTrainersForwardPass() throws {
        let scratch = try DataScratch()
        let report = try train(Self.irisSpec(), in: scratch)
        let model = try TrainedModel.load(path: scratch.folder + "/out/model.json")
        let rows = try predict(model, Self.iris)
        #expect(rows[0] == ["prediction", "p_setosa", "p_versicolor", "p_virginica"])
        #expect(rows.count == 151)
        let expected = report.network.predict(report.data.training.inputs)
        let classes = ["setosa", "versicolor", "virginica"]
        for r in 0..<150 {
            let values = try rows[r + 1].dropFirst().map { try #require(Double($0)) }
            #expect(values.map(\.bitPattern) == expected.row(r).map(\.bitPattern), "row \(r + 1)")
            #expect(rows[r + 1][0] == classes[Network.predictedClass(expected.row(r))])
        }
    }

    /// evaluate on the file the run used as its test part gives the run's test loss, accuracy and
    /// confusion matrix exactly (the same measuring function on the same rows).
    @Test func evaluateMatchesTheRunsTestPart() throws {
        let scratch = try DataScratch()
        // Every third row as a separate test file (the run evaluates it after training).
        let lines = try String(contentsOfFile: Self.iris, encoding: .utf8).split(separator: "\n")
        let test = ([lines[0]] + lines.dropFirst().enumerated().filter { $0.offset % 3 == 0 }.map(\.element)).joined(separator: "\n") + "\n"
        let testPath = try scratch.write("test.csv", test)
        _ = try train(Self.irisSpec(extra: ", test: \(testPath)"), in: scratch)
        let metrics = try JSONReader.object(atPath: scratch.folder + "/out/metrics.json")
        let evaluation = try Evaluation(Evaluation.Request(modelPath: scratch.folder + "/out/model.json", dataPath: testPath))
        #expect(evaluation.evaluation.confusion == metrics["confusion_matrix"] as? [[Int]])
        #expect(metrics["confusion_matrix_part"] as? String == "test")
        #expect(evaluation.evaluation.loss == metrics["test_loss"] as? Double)
        #expect(evaluation.evaluation.accuracy == metrics["test_accuracy"] as? Double)
        #expect(evaluation.evaluation.samples == 50)
        let json = try #require(try JSONReader.parse(evaluation.json.serialized()) as? [String: Any])
        #expect(json["confusion_matrix"] as? [[Int]] == metrics["confusion_matrix"] as? [[Int]])
        #expect(json["loss"] as? Double == metrics["test_loss"] as? Double)
        #expect(json["loss_function"] as? String == "cross_entropy")
    }

    /// Regression with several targets: columns found by name in any order, other columns
    /// ignored, one `prediction_<target>` column per target; evaluate gives the run's figures.
    @Test func regressionColumnsByName() throws {
        let scratch = try DataScratch()
        try scratch.write("train.csv", "a,b,y,z\n0,1,2,3\n1,0,1,4\n2,2,0,5\n3,1,1,6\n")
        let report = try train("""
            data: {type: csv, path: train.csv, task: regression, targets: [z, y], normalize: minmax}
            network: {inputs: 2, layers: [{units: 3, activation: tanh}, {units: 2, activation: linear}]}
            loss: mse
            learning_rate: {type: constant, value: 0.05}
            training: {epochs: 3, optimizer: sgd}
            outputs: [{type: metrics}, {type: model}]
            """, in: scratch)
        let model = try TrainedModel.load(path: scratch.folder + "/out/model.json")
        // The same four rows with the columns shuffled and a column the model does not use.
        let shuffled = try scratch.write("new.csv", "note,b,z,a\nx,1,3,0\ny,0,4,1\nz,2,5,2\nw,1,6,3\n")
        let rows = try predict(model, shuffled)
        #expect(rows[0] == ["prediction_z", "prediction_y"])
        let expected = report.network.predict(report.data.training.inputs)
        for r in 0..<4 {
            #expect(rows[r + 1].map { Double($0)?.bitPattern } == expected.row(r).map(\.bitPattern))
        }
        let metrics = try JSONReader.object(atPath: scratch.folder + "/out/metrics.json")
        let evaluation = try Evaluation(Evaluation.Request(modelPath: scratch.folder + "/out/model.json",
                                                           dataPath: scratch.folder + "/train.csv"))
        let regression = try #require(evaluation.evaluation.regression)
        #expect(regression.r2 == metrics["train_r2"] as? Double)
        #expect(regression.rmse == metrics["train_rmse"] as? Double)
        #expect(regression.mae == metrics["train_mae"] as? Double)
    }

    /// IDX images, each flattened and divided by --scale: with scale 1 and weights 1, 2, 3, 4 the
    /// prediction of pixels (p1, p2, p3, p4) is p1 + 2·p2 + 3·p3 + 4·p4 exactly.
    @Test func idxImages() throws {
        let scratch = try DataScratch()
        let model = try scratch.write("m.json", """
            {"format": 2, "task": "regression", "inputs": 4,
             "layers": [{"units": 1, "activation": "linear", "weights": [[1], [2], [3], [4]], "bias": [0.5]}],
             "features": ["r0c0", "r0c1", "r1c0", "r1c1"], "targets": ["sum"], "loss": "mse", "precision": "float64"}
            """)
        let images = try scratch.write("images.idx", bytes: idxBytes([3, 2, 2], [1, 0, 0, 0, 0, 1, 2, 3, 255, 255, 255, 255]))
        let rows = try predict(try TrainedModel.load(path: model), images, scale: 1)
        #expect(rows == [["prediction"], ["1.5"], ["20.5"], ["2550.5"]])
        // gzip-compressed and named without a hint: found by its magic number.
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", images]
        try gzip.run()
        gzip.waitUntilExit()
        #expect(try predict(try TrainedModel.load(path: model), images + ".gz", scale: 1) == rows)
    }

    /// evaluate on IDX images with an IDX label file. With scale 1, net = (p0 − 0.5, 0.5 − p0):
    /// class 0 exactly when the first pixel is above 0.5. First pixels 0, 1, 2, 0 are predicted
    /// 1, 0, 0, 1 against labels 1, 0, 1, 0: one of each (true, predicted) pair, accuracy 0.5.
    @Test func evaluateIDXWithLabels() throws {
        let scratch = try DataScratch()
        let model = try scratch.write("m.json", """
            {"format": 2, "task": "classification", "inputs": 4,
             "layers": [{"units": 2, "activation": "softmax", "weights": [[1, -1], [0, 0], [0, 0], [0, 0]], "bias": [-0.5, 0.5]}],
             "features": ["r0c0", "r0c1", "r1c0", "r1c1"], "classes": ["zero", "one"], "loss": "cross_entropy", "precision": "float64"}
            """)
        let images = try scratch.write("images.idx", bytes: idxBytes([4, 2, 2], [0, 9, 9, 9, 1, 0, 0, 0, 2, 5, 5, 5, 0, 0, 0, 0]))
        let labels = try scratch.write("labels.idx", bytes: idxBytes([4], [1, 0, 1, 0]))
        let evaluation = try Evaluation(Evaluation.Request(modelPath: model, dataPath: images, labelsPath: labels, scale: 1))
        #expect(evaluation.evaluation.confusion == [[1, 1], [1, 1]])
        #expect(evaluation.evaluation.accuracy == 0.5)
        #expect(evaluation.chart.file == "confusion_matrix.png")
        let bad = try scratch.write("bad.idx", bytes: idxBytes([4], [1, 0, 2, 0]))
        let error = try #require(throws: PipelineError.self) {
            try Evaluation(Evaluation.Request(modelPath: model, dataPath: images, labelsPath: bad, scale: 1))
        }
        #expect(error.description == "\(bad): error: label 2 of sample 3 is out of range: the model has 2 classes (0 to 1)")
        #expect(error.exitCode == .dataError)
    }

    /// A model trained on IDX images with `scale: 50` records `input_scale: 50` (model.json and
    /// safetensors' __metadata__), so predict without --scale divides the pixels by 50 as the data
    /// stage did: the trainer's own forward pass bit for bit (the same table b / 50, the same
    /// normalisation, the same chunked forward pass). --scale 50 agrees; --scale 255 (the old
    /// default) is refused rather than silently wrong. A CSV of the raw pixels is divided too.
    @Test func idxModelRecordsItsInputScale() throws {
        let scratch = try DataScratch()
        // Six 2 x 2 images, two classes; pixels chosen so standardising is not the identity.
        let pixels: [UInt8] = [200, 10, 30, 40, 180, 20, 60, 5, 250, 0, 90, 30, 15, 220, 40, 70, 20, 160, 10, 90, 5, 240, 120, 60]
        let images = try scratch.write("images.idx", bytes: idxBytes([6, 2, 2], pixels))
        let labels = try scratch.write("labels.idx", bytes: idxBytes([6], [0, 0, 0, 1, 1, 1]))
        let report = try train("""
            seed: 3
            data: {type: idx, images: \(images), labels: \(labels), scale: 50, normalize: standardize}
            network: {inputs: 4, layers: [{units: 3, activation: tanh}, {units: 2, activation: softmax}]}
            loss: cross_entropy
            learning_rate: {type: constant, value: 0.1}
            training: {epochs: 4, batch_size: full}
            outputs: [{type: model}, {type: safetensors}]
            """, in: scratch)
        let json = try JSONReader.object(atPath: scratch.folder + "/out/model.json")
        #expect(json["input_scale"] as? Double == 50)
        let model = try TrainedModel.load(path: scratch.folder + "/out/model.json")
        #expect(model.inputScale == 50)
        #expect(report.data.training.inputs[0, 0] != Double(pixels[0]) / 255, "the run divided by 50, not 255")

        let expected = report.network.predict(report.data.training.inputs)
        func probabilities(_ rows: [[String]]) throws -> [UInt64] {
            try rows.dropFirst().flatMap { try $0.dropFirst().map { try #require(Double($0)).bitPattern } }
        }
        let rows = try predict(model, images, scale: nil)
        #expect(rows.count == 7)
        #expect(try probabilities(rows) == expected.storage.map(\.bitPattern))
        #expect(try predict(model, images, scale: 50) == rows)
        let disagreeing = try #require(throws: PipelineError.self) { try predict(model, images, scale: 255) }
        #expect(disagreeing.description == "bp-pipeline: error: --scale 255 disagrees with the model's input_scale 50 (what its training data was divided by); leave --scale out and the model's is used")
        #expect(disagreeing.exitCode == .usage)

        // The same pixels as CSV (MNIST's CSV copies hold raw pixels): divided by 50 too.
        var csv = "r0c0,r0c1,r1c0,r1c1\n"
        for i in 0..<6 { csv += pixels[(i * 4)..<(i * 4 + 4)].map { String($0) }.joined(separator: ",") + "\n" }
        #expect(try predict(model, try scratch.write("pixels.csv", csv), scale: nil) == rows)

        // evaluate: the run's own accuracy on its training images, without --scale.
        let evaluation = try Evaluation(Evaluation.Request(modelPath: scratch.folder + "/out/model.json", dataPath: images, labelsPath: labels))
        let trained = RunReport.evaluate(report.data.training, part: "train", network: report.network, data: report.data, loss: CrossEntropy())
        #expect(evaluation.evaluation.loss == trained.loss)
        // And on the raw pixels as CSV with a class column: divided by 50 too, the same loss.
        var labelled = "label,r0c0,r0c1,r1c0,r1c1\n"
        for i in 0..<6 { labelled += "\(i < 3 ? 0 : 1)," + pixels[(i * 4)..<(i * 4 + 4)].map { String($0) }.joined(separator: ",") + "\n" }
        let fromCSV = try Evaluation(Evaluation.Request(modelPath: scratch.folder + "/out/model.json", dataPath: try scratch.write("labelled.csv", labelled),
                                                        label: "label"))
        #expect(fromCSV.evaluation.loss == trained.loss)

        // safetensors' __metadata__ says it too, as model.json's number.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.folder + "/out/model.safetensors")))
        let length = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let header = try #require(try JSONReader.parse(String(decoding: bytes[8..<(8 + length)], as: UTF8.self)) as? [String: Any])
        let metadata = try #require(header["__metadata__"] as? [String: String])
        #expect(metadata["input_scale"] == "50.0")
    }

    /// Binary (one sigmoid unit): the class name, then the probability of class 1.
    @Test func binaryHeader() throws {
        let scratch = try DataScratch()
        let model = try scratch.write("m.json", """
            {"format": 2, "task": "binary", "inputs": 1,
             "layers": [{"units": 1, "activation": "sigmoid", "weights": [[1]], "bias": [0]}],
             "features": ["x"], "classes": ["no", "yes, really"], "loss": "binary_cross_entropy", "precision": "float64"}
            """)
        let data = try scratch.write("x.csv", "x\n0\n2\n-2\n")
        let loaded = try TrainedModel.load(path: model)
        var text = ""
        try Prediction.run(loaded, dataPath: data, format: "csv", scale: 255) { text += $0 }
        let outputs = loaded.network().predict(Matrix([[0], [2], [-2]]))
        // σ(0) = 0.5 is class 1 (≥ 0.5); a name with a comma is quoted (RFC 4180).
        #expect(outputs.storage[0] == 0.5)
        #expect(text == "prediction,\"p_yes, really\"\n\"yes, really\",0.5\n\"yes, really\",\(outputs.storage[1])\nno,\(outputs.storage[2])\n")
    }
}
