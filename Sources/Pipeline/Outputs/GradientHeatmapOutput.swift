import BackpropCore
import Render

/// `gradient_heatmap`: mean |∂E/∂W| per layer and epoch, and for small networks the ∂E/∂W
/// matrices of the first and last epoch: the seed's vanishing-gradient question as a picture.
public struct GradientHeatmapOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "gradient_heatmap",
        summary: "PNG: layers × epochs heatmap of mean |∂E/∂W| (log colour scale), plus ∂E/∂W matrices of small networks",
        parameters: ChartOptions.parameters(file: file, height: height) + [matrices],
        example: "- type: gradient_heatmap\n  file: gradients.png")

    /// The largest weight matrix drawn by default, per side.
    static let matrixLimit = 32

    static let file = ChartOptions.file(default: "gradient_heatmap.png")
    static let height = Parameter<Int?>.optional("height", shown: "640, or 960 to 2000 to fit the matrices",
                                                 range: ChartOptions.heightRange, "image height in pixels")
    static let matrices = Parameter<Bool?>.optional("matrices", shown: "true when every layer has at most 32×32 weights",
                                                    "draw each layer's ∂E/∂W at the first and last epoch")

    public let file: String
    let options: ChartOptions
    let height: Int?
    let matrices: Bool?

    public init(_ arguments: PluginArguments) throws {
        file = try arguments.outputFile(Self.file)
        options = try ChartOptions(arguments)
        height = try arguments.read(Self.height)
        matrices = try arguments.read(Self.matrices)
    }

    /// Draws from the history and the gradients only.
    public var writesConcurrently: Bool { true }

    public func write(_ report: RunReport, to path: String) throws {
        let history = report.outcome.history
        let layers = report.network.layers
        let values = layers.indices.map { l in history.indices.map { history.gradientMeanAbs($0, layer: l) } }
        let small = layers.allSatisfy { $0.inputCount <= Self.matrixLimit && $0.unitCount <= Self.matrixLimit }
        var panels: [LayerGradientMatrices] = []
        let outcome = report.outcome
        if matrices ?? small, let lastEpoch = history.last?.epoch,
           outcome.firstEpochGradients.count == layers.count, outcome.lastEpochGradients.count == layers.count {
            panels = layers.indices.map { l in
                LayerGradientMatrices(layer: l + 1, firstEpoch: 1, first: outcome.firstEpochGradients[l].nested,
                                      lastEpoch: lastEpoch, last: outcome.lastEpochGradients[l].nested)
            }
        }
        let chart = GradientHeatmapChart(title: options.title(for: report), epochs: history.column(\.epoch),
                                         values: values, matrices: panels)
        try writeChart(chart.render(width: options.width, height: height ?? chart.preferredHeight), to: path, report: report)
    }
}
