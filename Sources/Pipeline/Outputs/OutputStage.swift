import BackpropCore
import PipelineSpec

/// Everything a finished (or stopped) run hands its outputs.
public struct RunReport {
    public let definition: PipelineDefinition
    public let network: Network
    public let data: LoadedData
    public let outcome: TrainingOutcome
    public let trainingSeconds: Double
    public let version: String
    /// The test part measured with the final parameters, once for every output and the summary.
    public let testEvaluation: PartEvaluation?
    /// The spec's `expect:` conditions checked against this run, in the spec's order; empty
    /// without `expect:` and for an interrupted run.
    public internal(set) var expectations: [ExpectationResult] = []
    /// The processes that trained the model together (1: a plain run).
    public internal(set) var ranks = 1
    /// Data-parallel runs: the seconds of `trainingSeconds` spent in the step exchanges.
    public internal(set) var exchangeSeconds: Double?

    /// True unless an expectation failed.
    public var expectationsPassed: Bool { expectations.allSatisfy(\.passed) }

    public init(definition: PipelineDefinition, network: Network, data: LoadedData, outcome: TrainingOutcome,
                trainingSeconds: Double, version: String) {
        self.definition = definition
        self.network = network
        self.data = data
        self.outcome = outcome
        self.trainingSeconds = trainingSeconds
        self.version = version
        self.testEvaluation = data.test.map {
            Self.evaluate($0, part: "test", network: network, data: data, loss: definition.loss)
        }
    }

    /// PNG text chunks: provenance without timestamps, so a seeded spec gives identical bytes.
    public var provenance: [(key: String, value: String)] {
        [
            ("Software", "bp-pipeline \(version)"),
            ("Title", definition.name),
            // The file name, not the path as typed: the same spec run from another working
            // folder gives the same bytes (the digest below identifies the content).
            ("Source", PathTools.lastComponent(of: definition.specPath)),
            ("bp-pipeline:spec-sha256", definition.specDigest),
            ("bp-pipeline:seed", String(definition.seed)),
        ]
    }

    /// The chart title: the spec's name.
    public var title: String { definition.name }
}

/// An output stage writes one file into the run's (temporary) output folder.
public protocol OutputStage: Sendable {
    /// The file name inside the output folder.
    var file: String { get }
    /// Checks, before training, that this output can be drawn for this network and data
    /// (a decision boundary needs 2 inputs); throws a SpecError pointing at the output.
    func check(_ definition: PipelineDefinition, data: LoadedData) throws
    func write(_ report: RunReport, to path: String) throws
    /// Whether `write` only reads the report (its history, gradients and definition) and runs
    /// no pass through the network, whose layers keep their last pass in buffers of their own:
    /// such outputs are written on several threads at once (`Engine.write`). False by default.
    var writesConcurrently: Bool { get }
}

extension OutputStage {
    public func check(_ definition: PipelineDefinition, data: LoadedData) throws {}
    public var writesConcurrently: Bool { false }
}

extension Registry {
    public static let outputs = PluginFamily<any OutputStage>(.output, noun: "output", [
        Plugin(LossCurveOutput.self),
        Plugin(GradientHeatmapOutput.self),
        Plugin(DecisionBoundaryOutput.self),
        Plugin(ConfusionMatrixOutput.self),
        Plugin(PredictionsOutput.self),
        Plugin(MetricsOutput.self),
        Plugin(HistoryOutput.self),
        Plugin(ModelOutput.self),
        Plugin(SafetensorsOutput.self),
    ])
}

extension PluginArguments {
    /// The `file` key of an output: a plain name inside the output folder (no '..', not absolute),
    /// with the extension of the declared default.
    func outputFile(_ parameter: Parameter<String>) throws -> String {
        let file = try read(parameter)
        guard let node = optional(parameter.name) else { return file }
        let parts = file.split(separator: "/", omittingEmptySubsequences: false)
        if file.isEmpty || file.hasPrefix("/") || parts.contains("..") || parts.contains("") || parts.contains(".") {
            throw SpecError("'file' must be a file name inside the output folder, found '\(file)'", at: node.location)
        }
        let ext = parameter.defaultValue?.split(separator: ".").last.map(String.init) ?? ""
        if !file.lowercased().hasSuffix("." + ext) {
            throw SpecError("'file' of \(pluginName) must end in .\(ext), found '\(file)'", at: node.location)
        }
        return file
    }
}
