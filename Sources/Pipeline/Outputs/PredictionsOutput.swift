import BackpropCore
import PipelineSpec
import Render

/// `predictions`: regression outputs against targets, one panel per target with the identity
/// line and R², on the test part, else the validation part, else the training part (as the
/// confusion matrix chooses for classification).
public struct PredictionsOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "predictions",
        summary: "PNG (regression): predicted against actual per target, with the identity line and R², on the test, else validation, else training part",
        parameters: ChartOptions.parameters(file: file, height: height) + [part],
        example: "- type: predictions\n  file: predictions.png")

    static let file = ChartOptions.file(default: "predictions.png")
    static let height = ChartOptions.height(default: 560)
    static let part = ChartPart.parameter("drawn")

    public let file: String
    let options: ChartOptions
    let height: Int
    let part: String
    let node: SpecNode

    public init(_ arguments: PluginArguments) throws {
        file = try arguments.outputFile(Self.file)
        options = try ChartOptions(arguments)
        height = try arguments.read(Self.height)
        part = try arguments.read(Self.part)
        node = arguments.node
    }

    public func check(_ definition: PipelineDefinition, data: LoadedData) throws {
        guard data.task == .regression else {
            throw SpecError("predictions needs regression data; this data has classes (use confusion_matrix)", at: node.location)
        }
        if let missing = ChartPart.missing(part, definition, data) {
            throw SpecError("predictions asks for the \(missing) part, but the data has none", at: node.location)
        }
    }

    public func write(_ report: RunReport, to path: String) throws {
        let data = report.data
        let chosen = ChartPart.choose(part, data)
        let names = data.targetNames.count == chosen.0.targetCount ? data.targetNames : TrainedModel.defaultTargetNames(chosen.0.targetCount)
        let chart = Self.chart(title: options.title(for: report), names: names, dataset: chosen.0, network: report.network,
                               part: chosen.1)
        try writeChart(chart.render(width: options.width, height: height), to: path, report: report)
    }

    /// The chart of `network` on `dataset`, one panel per target; also drawn by `evaluate`.
    static func chart(title: String, names: [String], dataset: Dataset, network: Network, part: String) -> PredictedActualChart {
        let predictions = network.predict(dataset.inputs)
        let metrics = dataset.count > 0 ? RegressionMetrics(predictions: predictions, targets: dataset.targets) : nil
        let targets = (0..<dataset.targetCount).map { k in
            PredictedActualChart.Target(name: k < names.count ? names[k] : "target \(k + 1)",
                                        actual: (0..<dataset.count).map { dataset.targets[$0, k] },
                                        predicted: (0..<dataset.count).map { predictions[$0, k] },
                                        r2: metrics?.r2PerTarget[k] ?? .nan)
        }
        return PredictedActualChart(title: title, targets: targets, subtitle: "\(part) part: predicted against actual, dashed: predicted = actual")
    }
}
