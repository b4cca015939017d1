import BackpropCore
import Foundation
import TestSupport
import Testing
@testable import Pipeline

/// R², RMSE, MAE and MSE per part: against hand-computed values, in metrics.json and in `expect:`.
@Suite struct RegressionMetricsTests {
    /// Two targets over three samples, every figure exact in doubles:
    /// target 1 = (0, 2, 4), predicted (1, 2, 3): errors 1, 0, −1, SS_res 2, SS_tot 8, R² 0.75;
    /// target 2 = (1, 3, 5), predicted (1, 3, 3): errors 0, 0, −2, SS_res 4, SS_tot 8, R² 0.5.
    /// mse = (1+0+1+0+0+4)/6 = 1, mae = (1+0+1+0+0+2)/6 = 2/3, R² = (0.75 + 0.5)/2 = 0.625.
    @Test func handComputedValues() {
        let metrics = RegressionMetrics(predictions: Matrix([[1, 1], [2, 3], [3, 3]]), targets: Matrix([[0, 1], [2, 3], [4, 5]]))
        #expect(metrics.mse == 1)
        #expect(metrics.rmse == 1)
        #expect(metrics.mae == 4.0 / 6.0)
        #expect(metrics.r2PerTarget == [0.75, 0.5])
        #expect(metrics.r2 == 0.625)
    }

    /// A constant target has no R² (SS_tot = 0): NaN for it and for the mean; perfect
    /// predictions of a varying target give exactly 1; predicting the mean gives exactly 0.
    @Test func constantTargetsAndLimits() {
        let constant = RegressionMetrics(predictions: Matrix([[1], [2]]), targets: Matrix([[1], [1]]))
        #expect(constant.r2.isNaN && constant.r2PerTarget[0].isNaN)
        #expect(constant.mse == 0.5)
        #expect(RegressionMetrics(predictions: Matrix([[1], [3]]), targets: Matrix([[1], [3]])).r2 == 1)
        #expect(RegressionMetrics(predictions: Matrix([[2], [2]]), targets: Matrix([[1], [3]])).r2 == 0)
    }

    /// A frozen identity layer predicts its inputs, so every figure of the run is hand-computable:
    /// training predictions (1,1), (2,3), (3,5) against (0,1), (2,3), (4,5): errors (1, 0), (0, 0),
    /// (−1, 0): mse 2/6, mae 2/6, R² (0.75 + 1)/2 = 0.875. Test predictions (0,0), (1,2) against
    /// (1,0), (1,4): errors (−1, 0), (0, −2): mse 5/4, mae 3/4, first target constant: no R².
    static let frozenSpec = """
        name: frozen
        data:
          type: inline
          task: regression
          inputs: [[1, 1], [2, 3], [3, 5]]
          targets: [[0, 1], [2, 3], [4, 5]]
          test: {inputs: [[0, 0], [1, 2]], targets: [[1, 0], [1, 4]]}
        network:
          inputs: 2
          layers:
            - {units: 2, activation: linear, weights: [[1, 0], [0, 1]], bias: [0, 0], trainable: false}
        loss: mse
        learning_rate: {type: constant, value: 0.1}
        training: {epochs: 1, optimizer: sgd}
        outputs: [{type: metrics}]
        """

    func run(_ spec: String, in scratch: DataScratch) throws -> (RunResult, [String: Any]) {
        let path = try scratch.write("spec.yaml", spec)
        let result = try Engine.run(try Engine.prepare(try Engine.load(RunRequest(specPath: path, outputDirectory: scratch.folder + "/out"))))
        return (result, try JSONReader.object(atPath: scratch.folder + "/out/metrics.json"))
    }

    @Test func metricsJSONHasEveryPartsFigures() throws {
        let scratch = try DataScratch()
        let (_, metrics) = try run(Self.frozenSpec + "\nexpect: {train_r2: \"== 0.875\", test_mse: \"== 1.25\", test_mae: \"0.75..0.75\", test_r2: \"> 0\"}", in: scratch)
        #expect(metrics["train_mse"] as? Double == 2.0 / 6.0)
        #expect(metrics["train_rmse"] as? Double == (2.0 / 6.0).squareRoot())
        #expect(metrics["train_mae"] as? Double == 2.0 / 6.0)
        #expect(metrics["train_r2"] as? Double == 0.875)
        #expect(metrics["test_mse"] as? Double == 1.25)
        #expect(metrics["test_rmse"] as? Double == 1.25.squareRoot())
        #expect(metrics["test_mae"] as? Double == 0.75)
        #expect(metrics["test_r2"] is NSNull)
        #expect(metrics["val_r2"] == nil)
        // The mse metric is the mse loss here: the same mean over samples and targets.
        #expect(metrics["final_loss"] as? Double == 2.0 / 6.0)
        let verdicts = try #require(metrics["expectations"] as? [[String: Any]])
        #expect(verdicts.map { $0["passed"] as? Bool } == [true, true, true, false])
        #expect(verdicts[3]["reason"] as? String == "the value is NaN")
    }

    /// Regression metrics do not exist for classification, nor a part the data lacks.
    @Test(arguments: [
        ("train_r2", "type: csv\n  path: \(DataPipelineTests.repository)/Data/iris.csv", 4, 3,
         "error: train_r2 is measured for regression only, and this data is classification (it has classes)"),
        ("val_rmse", "type: inline\n  task: regression\n  inputs: [[1], [2]]\n  targets: [[1], [2]]", 1, 1,
         "error: val_rmse needs a validation part, and this spec holds out none"),
        ("test_mae", "type: inline\n  task: regression\n  inputs: [[1], [2]]\n  targets: [[1], [2]]", 1, 1,
         "error: test_mae needs a test part, and the data has none"),
    ])
    func unavailableMetrics(metric: String, data: String, inputs: Int, outputs: Int, message: String) throws {
        let scratch = try DataScratch()
        let spec = """
            data:
              \(data)
            network: {inputs: \(inputs), layers: [{units: \(outputs), activation: linear}]}
            loss: mse
            learning_rate: {type: constant, value: 0.1}
            training: {epochs: 1, optimizer: sgd}
            expect: {\(metric): "> 0"}
            """
        let path = try scratch.write("spec.yaml", spec)
        let error = try #require(throws: PipelineError.self) { try Engine.prepare(try Engine.load(RunRequest(specPath: path))) }
        #expect(error.exitCode == .usage)
        #expect(error.description.contains(message), "\(error.description)")
    }
}
