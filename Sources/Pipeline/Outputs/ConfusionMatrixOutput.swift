import BackpropCore
import PipelineSpec
import Render

/// `confusion_matrix`: counts of true (rows) against predicted (columns) classes on the test
/// part, else the validation part, else the training data; shading by row-normalised fraction.
public struct ConfusionMatrixOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "confusion_matrix",
        summary: "PNG (classification): true × predicted class counts on the test, else validation, else training part",
        parameters: ChartOptions.parameters(file: file, height: height) + [part],
        example: "- type: confusion_matrix\n  file: confusion.png")

    static let file = ChartOptions.file(default: "confusion_matrix.png")
    static let height = ChartOptions.height(default: 800)
    static let part = ChartPart.parameter("counted")

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
        guard data.task.classNames != nil else {
            throw SpecError("confusion_matrix needs classification data; this data is a regression task", at: node.location)
        }
        if let missing = ChartPart.missing(part, definition, data) {
            throw SpecError("confusion_matrix asks for the \(missing) part, but the data has none", at: node.location)
        }
    }

    public func write(_ report: RunReport, to path: String) throws {
        let data = report.data
        let chosen = ChartPart.choose(part, data)
        let evaluation = chosen.1 == "test" ? (report.testEvaluation ?? report.evaluate(chosen.0, part: "test"))
            : report.evaluate(chosen.0, part: chosen.1)
        let classes = data.task.classNames ?? []
        let chart = ConfusionMatrixChart(title: options.title(for: report), classNames: classes,
                                         counts: evaluation.confusion ?? [],
                                         subtitle: nil)
        try writeChart(chart.render(width: options.width, height: height), to: path, report: report)
    }
}
