import PipelineSpec
import Render

/// Keys every chart output reads: `width`, `height`, `title`.
struct ChartOptions: Sendable {
    let width: Int?
    let height: Int?
    let title: String?

    init(_ arguments: PluginArguments) throws {
        width = try arguments.optionalInteger("width", minimum: 200)
        height = try arguments.optionalInteger("height", minimum: 150)
        title = try arguments.string("title")
        for (key, value) in [("width", width), ("height", height)] {
            if let value, value > 8000, let node = arguments.optional(key) {
                throw SpecError("'\(key)' must be at most 8000 pixels, found \(value)", at: node.location)
            }
        }
    }

    static let parameters = [
        ParameterDescription("file", "string", "file name in the output folder (.png)"),
        ParameterDescription("width", "integer", default: "1000", "image width in pixels (200 to 8000)"),
        ParameterDescription("height", "integer", default: "640", "image height in pixels (150 to 8000)"),
        ParameterDescription("title", "string", default: "the spec's name", "chart title"),
    ]

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
