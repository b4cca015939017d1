import BackpropCore
import Foundation
import TestSupport
import Testing
@testable import Pipeline

/// The data stage inside whole runs: shape checks, the test part's metrics, model.json.
@Suite struct DataPipelineTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func prepare(_ scratch: DataScratch, _ data: String, inputs: Int, outputs: Int) throws -> PreparedRun {
        try Engine.prepare(try Engine.load(RunRequest(specPath: try scratch.spec(data, inputs: inputs, outputs: outputs))))
    }

    @Test func widthMismatchNamesBothNumbers() throws {
        let scratch = try DataScratch()
        let iris = "type: csv\npath: \(Self.repository)/Data/iris.csv\nlabel: species"
        #expect {
            try prepare(scratch, iris, inputs: 3, outputs: 3)
        } throws: { error in
            let error = error as? PipelineError
            return error?.exitCode == .usage
                && error?.description.hasPrefix("\(scratch.folder)/spec.yaml:7:11: error: network.inputs is 3 but the data has 4 input columns") == true
        }
        #expect {
            try prepare(scratch, iris, inputs: 4, outputs: 2)
        } throws: { error in
            (error as? PipelineError)?.description
                .hasPrefix("\(scratch.folder)/spec.yaml:9:14: error: the output layer has 2 units but the data has 3 classes (setosa, versicolor, virginica); give the output layer one unit per class") == true
        }
    }

    /// Inline data gets the common keys too; the test part is evaluated after training with the
    /// final parameters, and the confusion matrix counts (true class, predicted class).
    @Test func testPartMetricsAndModelNormalisation() throws {
        let scratch = try DataScratch()
        let spec = try scratch.spec("""
            type: inline
            inputs: [[0, 10], [1, 20], [2, 10], [3, 20]]
            targets: [[1, 0], [1, 0], [0, 1], [0, 1]]
            normalize: minmax
            test: {inputs: [[0, 15], [3, 15], [1.5, 0]], targets: [[1, 0], [0, 1], [0, 1]]}
            """, inputs: 2, outputs: 2, extra: "outputs: [{type: metrics}, {type: model}]")
        let prepared = try Engine.prepare(try Engine.load(RunRequest(specPath: spec, outputDirectory: scratch.folder + "/out")))
        let test = try #require(prepared.data.test)
        #expect(test.inputs.nested == [[0, 0.5], [1, 0.5], [0.5, -1]])
        let result = try Engine.run(prepared)
        let network = result.report.network
        let metrics = try json(scratch.folder + "/out/metrics.json")
        // Same process: the file holds exactly the double evaluated here.
        #expect(metrics["test_loss"] as? Double == network.meanLoss(on: test, loss: prepared.definition.loss))
        #expect(result.report.testEvaluation?.loss == network.meanLoss(on: test, loss: prepared.definition.loss))
        #expect(metrics["test_accuracy"] as? Double == network.accuracy(on: test))
        #expect(metrics["test_samples"] as? Int == 3)
        #expect(metrics["classes"] as? [String] == ["0", "1"])
        #expect(metrics["confusion_matrix_part"] as? String == "test")
        let predicted = (0..<3).map { Network.predictedClass(network.predict(test.inputs).row($0)) }
        var expected = [[0, 0], [0, 0]]
        for (truth, guess) in zip([0, 1, 1], predicted) { expected[truth][guess] += 1 }
        #expect(metrics["confusion_matrix"] as? [[Int]] == expected)

        let model = try json(scratch.folder + "/out/model.json")
        #expect(model["features"] as? [String] == ["x1", "x2"])
        let normalization = try #require(model["normalization"] as? [String: Any])
        #expect(normalization["method"] as? String == "minmax")
        #expect(normalization["shift"] as? [Double] == [0, 10])
        #expect(normalization["scale"] as? [Double] == [3, 10])
    }

    /// Without a test part the confusion matrix is the validation part's.
    @Test func validationConfusionMatrix() throws {
        let scratch = try DataScratch()
        let spec = try scratch.spec("type: csv\npath: \(Self.repository)/Data/iris.csv\nvalidation: 0.2",
                                    inputs: 4, outputs: 3, extra: "outputs: [{type: metrics}]")
        _ = try Engine.run(try Engine.prepare(try Engine.load(RunRequest(specPath: spec, outputDirectory: scratch.folder + "/out"))))
        let metrics = try json(scratch.folder + "/out/metrics.json")
        #expect(metrics["confusion_matrix_part"] as? String == "validation")
        let rows = try #require(metrics["confusion_matrix"] as? [[Int]])
        #expect(rows.map { $0.reduce(0, +) } == [10, 10, 10])
        #expect(metrics["validation_samples"] as? Int == 30)
        #expect(metrics["test_accuracy"] == nil)
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONReader.object(atPath: path)
    }
}
