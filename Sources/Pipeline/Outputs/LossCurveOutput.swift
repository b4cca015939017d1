import BackpropCore
import Render

/// `loss_curve`: training (and validation) loss per epoch, accuracy and learning rate when
/// they exist, best and early-stopping epochs marked.
public struct LossCurveOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "loss_curve",
        summary: "PNG: loss per epoch (train, validation), accuracy panel for classification, learning-rate strip when it changes",
        parameters: ChartOptions.parameters(file: file, height: height) + [scale],
        example: "- type: loss_curve\n  file: loss.png\n  scale: auto")

    static let file = ChartOptions.file(default: "loss_curve.png")
    static let height = ChartOptions.height(default: 640)
    static let scale = Parameter("scale", default: AxisScale.auto, "log when the loss spans more than two decades")

    public let file: String
    let options: ChartOptions
    let height: Int
    let scale: AxisScale

    public init(_ arguments: PluginArguments) throws {
        file = try arguments.outputFile(Self.file)
        options = try ChartOptions(arguments)
        height = try arguments.read(Self.height)
        scale = try arguments.read(Self.scale)
    }

    /// Draws from the history only.
    public var writesConcurrently: Bool { true }

    public func write(_ report: RunReport, to path: String) throws {
        try writeChart(chart(report).render(width: options.width, height: height), to: path, report: report)
    }

    /// The chart of `report`; its subtitle's final losses are the outcome's `finalLoss` and
    /// `finalValidationLoss`, the numbers metrics.json and the run summary print.
    func chart(_ report: RunReport) -> LossCurveChart {
        let history = report.outcome.history
        func column(_ field: KeyPath<EpochRecord, Double?>) -> [Double]? {
            let values = history.column(field).map { $0 ?? .nan }
            return values.contains(where: \.isFinite) ? values : nil
        }
        return LossCurveChart(
            title: options.title(for: report),
            epochs: history.column(\.epoch),
            trainLoss: history.column(\.loss),
            validationLoss: column(\.validationLoss),
            scale: scale,
            bestEpoch: Self.bestEpoch(history),
            earlyStopEpoch: report.outcome.status == .stoppedEarly ? history.last?.epoch : nil,
            trainAccuracy: column(\.trainAccuracy),
            validationAccuracy: column(\.validationAccuracy),
            learningRate: history.column(\.learningRate),
            lossLabel: "loss (\(report.definition.loss.name))",
            finalLoss: report.outcome.finalLoss,
            finalValidationLoss: report.outcome.finalValidationLoss)
    }

    /// The epoch with the lowest validation loss; nil without a validation part (the lowest
    /// training loss is nearly always the last epoch and says nothing).
    static func bestEpoch(_ history: EpochHistory) -> Int? {
        let monitored = history.indices.compactMap { row -> (Int, Double)? in
            let record = history.summary(row)
            guard let value = record.validationLoss, value.isFinite else { return nil }
            return (record.epoch, value)
        }
        return monitored.min { $0.1 < $1.1 }?.0
    }
}
