import BackpropCore
import PipelineSpec
import Render

/// `decision_boundary`: for networks with 2 inputs, the network's output over the input plane
/// with the training points on top and validation points marked differently.
public struct DecisionBoundaryOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "decision_boundary",
        summary: "PNG (2-input networks): the output over the input plane, class regions or a value map, with the data on top",
        parameters: ChartOptions.parameters(file: file, height: height) + [resolution],
        example: "- type: decision_boundary\n  file: boundary.png")

    static let file = ChartOptions.file(default: "decision_boundary.png")
    static let height = ChartOptions.height(default: 800)
    static let resolution = Parameter("resolution", default: 200, range: .between(20, 1000), "grid cells per side")

    public let file: String
    let options: ChartOptions
    let height: Int
    let resolution: Int
    let node: SpecNode

    public init(_ arguments: PluginArguments) throws {
        file = try arguments.outputFile(Self.file)
        options = try ChartOptions(arguments)
        height = try arguments.read(Self.height)
        resolution = try arguments.read(Self.resolution)
        node = arguments.node
    }

    public func check(_ definition: PipelineDefinition, data: LoadedData) throws {
        guard definition.network.inputs == 2 else {
            throw SpecError("decision_boundary needs a network with 2 inputs; this one has \(definition.network.inputs)",
                            at: node.location)
        }
    }

    public func write(_ report: RunReport, to path: String) throws {
        let data = report.data
        let normalization = data.normalization
        // Draw in the data's own units: points are stored normalised, so undo that for display
        // and normalise each grid point before it enters the network.
        func points(_ dataset: Dataset?) -> [LabeledPoint] {
            guard let dataset else { return [] }
            let inputs = dataset.inputs
            return (0..<dataset.count).map { r in
                let x = normalization?.original(inputs[r, 0], column: 0) ?? inputs[r, 0]
                let y = normalization?.original(inputs[r, 1], column: 1) ?? inputs[r, 1]
                let target = dataset.targets.row(r)
                let value = data.task.classNames != nil ? Double(Network.predictedClass(target)) : target[target.startIndex]
                return LabeledPoint(x: x, y: y, value: value)
            }
        }
        let training = points(data.training), validation = points(data.validation)
        let xRange = DecisionBoundaryChart.paddedRange((training + validation).map(\.x))
        let yRange = DecisionBoundaryChart.paddedRange((training + validation).map(\.y))
        let n = resolution
        // Every grid centre in one batch: (n², 2) through the network at once.
        var plane = Matrix(rows: n * n, columns: 2)
        for i in 0..<n {
            for j in 0..<n {
                plane[i * n + j, 0] = xRange.lowerBound + (Double(j) + 0.5) / Double(n) * (xRange.upperBound - xRange.lowerBound)
                plane[i * n + j, 1] = yRange.lowerBound + (Double(i) + 0.5) / Double(n) * (yRange.upperBound - yRange.lowerBound)
            }
        }
        normalization?.apply(to: &plane)
        let outputs = report.network.predict(plane)
        let classes = data.task.classNames
        var grid = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        var confidence = [[Double]](repeating: [Double](repeating: 1, count: n), count: n)
        for i in 0..<n {
            for j in 0..<n {
                let row = outputs.row(i * n + j)
                if classes != nil {
                    let predicted = Network.predictedClass(row)
                    grid[i][j] = Double(predicted)
                    // Certainty, 0 exactly on a boundary: |2p − 1| for one sigmoid output, the
                    // margin between the two largest outputs for several.
                    let p: Double
                    if row.count == 1 {
                        p = abs(row[row.startIndex] - 0.5) * 2
                    } else {
                        let top = row[row.startIndex + predicted]
                        let second = row.indices.filter { $0 != row.startIndex + predicted }.map { row[$0] }.max() ?? 0
                        p = top - second
                    }
                    confidence[i][j] = p.isFinite ? min(max(p, 0), 1) : 0
                } else {
                    grid[i][j] = row[row.startIndex]
                }
            }
        }
        let names = data.featureNames
        let chart = DecisionBoundaryChart(
            title: options.title(for: report), xRange: xRange, yRange: yRange, grid: grid,
            confidence: classes != nil ? confidence : nil, classNames: classes,
            training: training, validation: validation,
            xLabel: names.count == 2 ? names[0] : "x₁", yLabel: names.count == 2 ? names[1] : "x₂",
            valueLabel: "network output")
        try writeChart(chart.render(width: options.width, height: height), to: path, report: report)
    }
}
