import BackpropCore
import Foundation
import Render
import Testing
@testable import Pipeline

/// `targets: single` on CSV classification: two classes as one 0/1 target column for a sigmoid
/// unit trained with binary cross-entropy, the metrics of the two classes, and the error for more.
@Suite struct SingleTargetTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Data/iris.csv's versicolor and virginica rows (100 of them, not linearly separable), header kept.
    static func twoSpecies() throws -> String {
        let lines = try String(contentsOfFile: repository + "/Data/iris.csv", encoding: .utf8).split(separator: "\n")
        return ([lines[0]] + lines.dropFirst().filter { !$0.hasSuffix(",setosa") }).joined(separator: "\n") + "\n"
    }

    static func spec(targets: String, units: Int = 1, activation: String = "sigmoid", loss: String = "binary_cross_entropy",
                     file: String = "two.csv") -> String {
        """
        name: two-species
        seed: 11
        data: {type: csv, path: \(file), label: species, normalize: standardize, validation: 0.2\(targets)}
        network:
          inputs: 4
          layers:
            - {units: 6, activation: tanh}
            - {units: \(units), activation: \(activation)}
        loss: \(loss)
        learning_rate: {type: constant, value: 0.05}
        training: {epochs: 60, batch_size: 8, optimizer: adam}
        outputs: [{type: metrics}, {type: confusion_matrix}]
        """
    }

    func run(_ scratch: DataScratch, _ spec: String) throws -> RunResult {
        let path = try scratch.write("spec.yaml", spec)
        let request = RunRequest(specPath: path, outputDirectory: scratch.folder + "/out")
        return try Engine.run(try Engine.prepare(try Engine.load(request)))
    }

    @Test func twoClassesBecomeOneZeroOneColumn() throws {
        let scratch = try DataScratch()
        try scratch.write("two.csv", try Self.twoSpecies())
        let definition = try Engine.load(RunRequest(specPath: try scratch.write("spec.yaml", Self.spec(targets: ", targets: single"))))
        let data = try definition.data.load(DataRequest())
        #expect(data.task == .classification(classes: ["versicolor", "virginica"]))
        let all = data.training.count + (data.validation?.count ?? 0)
        #expect(all == 100)
        #expect(data.training.targetCount == 1)
        // The split is stratified: 40 of each species train, 10 of each validate.
        #expect(data.training.targets.storage.filter { $0 == 1 }.count == 40)
        #expect(data.training.targets.storage.filter { $0 == 0 }.count == 40)
        #expect(Set(data.training.targets.storage) == [0, 1])

        // Without the split the rows keep the file's order: 50 versicolor (0), then 50 virginica (1).
        let whole = try Engine.load(RunRequest(specPath: try scratch.write("spec.yaml", Self.spec(targets: ", targets: single")),
                                               overrides: ["data.validation=null"])).data.load(DataRequest())
        #expect(whole.training.targets.storage == [Double](repeating: 0, count: 50) + [Double](repeating: 1, count: 50))
    }

    @Test func aSigmoidUnitLearnsTheTwoSpeciesAndTheMetricsCountBothClasses() throws {
        let scratch = try DataScratch()
        try scratch.write("two.csv", try Self.twoSpecies())
        let result = try run(scratch, Self.spec(targets: ", targets: single"))
        let report = result.report
        #expect(report.outcome.status == .completed)
        #expect(report.network.outputCount == 1)
        let accuracy = try #require(report.outcome.finalAccuracy)
        #expect(accuracy >= 0.95, "versicolor/virginica overlap a little; a logistic unit on 4 inputs gets ~97%")
        let validation = report.evaluate(try #require(report.data.validation), part: "validation")
        let confusion = try #require(validation.confusion)
        #expect(confusion.count == 2 && confusion.allSatisfy { $0.count == 2 })
        #expect(confusion.map { $0.reduce(0, +) } == [10, 10], "10 true samples of each class")
        let correct = confusion[0][0] + confusion[1][1]
        #expect(validation.accuracy == Double(correct) / 20)

        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: result.outputDirectory + "/metrics.json"))) as? [String: Any])
        #expect(metrics["classes"] as? [String] == ["versicolor", "virginica"])
        #expect(metrics["confusion_matrix_part"] as? String == "validation")
        #expect(metrics["confusion_matrix"] as? [[Int]] == confusion)
        #expect(metrics["val_accuracy"] as? Double == validation.accuracy)
        let chart = try PNG.read(path: result.outputDirectory + "/confusion_matrix.png")
        #expect(chart.width == 1000 && chart.height == 800)
    }

    /// The single unit's probability p is the second class's; 1 − p the first's. The same rows as
    /// one-hot with softmax give the same class split and a 2-unit output.
    @Test func oneHotStaysTheDefaultAndCanBeWritten() throws {
        let scratch = try DataScratch()
        try scratch.write("two.csv", try Self.twoSpecies())
        for targets in ["", ", targets: one_hot"] {
            let spec = Self.spec(targets: targets, units: 2, activation: "softmax", loss: "cross_entropy")
            let definition = try Engine.load(RunRequest(specPath: try scratch.write("spec.yaml", spec)))
            let data = try definition.data.load(DataRequest())
            #expect(data.training.targetCount == 2)
            #expect(Array(data.training.targets.row(0)).reduce(0, +) == 1)
        }
    }

    @Test func moreThanTwoClassesIsASpecErrorAtTheTargetsKey() throws {
        let scratch = try DataScratch()
        let spec = Self.spec(targets: ", targets: single", file: Self.repository + "/Data/iris.csv")
        let path = try scratch.write("spec.yaml", spec)
        let error = try #require(throws: PipelineError.self) { try Engine.prepare(try Engine.load(RunRequest(specPath: path))) }
        #expect(error.exitCode == .usage)
        let column = try #require(spec.split(separator: "\n")[2].range(of: "single")).lowerBound.utf16Offset(in: spec.split(separator: "\n")[2]) + 1
        let header = error.description.split(separator: "\n").first.map(String.init)
        #expect(header == "\(path):3:\(column): error: 'targets: single' needs exactly two classes, but the label column 'species' of \(Self.repository)/Data/iris.csv has 3 (setosa, versicolor, virginica); use targets: one_hot with one output unit per class")
    }
}
