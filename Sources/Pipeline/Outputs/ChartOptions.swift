import PipelineSpec
import Render

/// Keys every chart output reads: `file`, `width`, `height`, `title`. The height's default is
/// each chart's own (their proportions differ), so each chart declares and reads it.
struct ChartOptions: Sendable {
    let width: Int
    let title: String?

    static let width = Parameter("width", default: 1000, range: .between(200, 8000), "image width in pixels")
    static let title = Parameter<String?>.optional("title", shown: "the spec's name", "chart title")
    static let heightRange = Bounds.between(150, 8000)

    /// A chart's `height` key with its default.
    static func height(default pixels: Int) -> Parameter<Int> {
        Parameter("height", default: pixels, range: heightRange, "image height in pixels")
    }

    /// A chart's `file` key: a .png file name in the output folder.
    static func file(default name: String) -> Parameter<String> {
        Parameter("file", default: name, "file name in the output folder (.png)")
    }

    /// The rows `bp-pipeline plugins` lists for a chart, before its own.
    static func parameters(file: Parameter<String>, height: any ParameterDeclaration) -> [any ParameterDeclaration] {
        [file, width, height, title]
    }

    init(_ arguments: PluginArguments) throws {
        width = try arguments.read(Self.width)
        title = try arguments.read(Self.title)
    }

    func title(for report: RunReport) -> String { title ?? report.title }
}

/// Writes a chart to `path` with the run's provenance, mapping failures to exit 73.
func writeChart(_ image: RasterImage, to path: String, report: RunReport) throws {
    do {
        try PNG.write(image, to: path, text: report.provenance)
    } catch let error as RenderError {
        throw PipelineError.output("cannot write the chart: \(error.message)", path: path)
    }
}

extension AxisScale: ParameterChoice {}
