import BackpropCore
import Foundation
import PipelineSpec

/// What the command line asks for.
public struct RunRequest: Sendable {
    public var specPath: String
    /// `--set KEY.PATH=VALUE` arguments, applied in order before validation.
    public var overrides: [String]
    /// `--out DIR`: replaces the spec's `output_dir`.
    public var outputDirectory: String?
    /// `--max-memory`: the largest estimated footprint (bytes) a run may start with.
    public var maximumMemory: Int

    public init(specPath: String, overrides: [String] = [], outputDirectory: String? = nil,
                maximumMemory: Int = MemoryEstimate.defaultLimit) {
        self.specPath = specPath
        self.overrides = overrides
        self.outputDirectory = outputDirectory
        self.maximumMemory = maximumMemory
    }
}

/// A validated pipeline with its data loaded and its network built: ready to train.
public struct PreparedRun {
    public let definition: PipelineDefinition
    public let data: LoadedData
    public let network: Network
    /// The generator after drawing the initial weights; training continues from it.
    public let generator: SeededGenerator
}

/// How a run ended, for the command line's summary and exit code.
public struct RunResult {
    public let report: RunReport
    public let outputDirectory: String

    public var exitCode: ExitCode {
        switch report.outcome.status {
        case .completed, .stoppedEarly: return .success
        case .diverged: return .trainingFailed
        case .interrupted: return .interrupted
        }
    }
}

/// Runs a pipeline: spec → stages → training → outputs, all-or-nothing on disk.
public enum Engine {
    public static let version = "0.1.0"

    /// Reads the spec, applies the overrides and decodes every stage (no data is read).
    public static func load(_ request: RunRequest) throws -> PipelineDefinition {
        try specErrors {
            var root = try SpecLoader.load(path: request.specPath)
            for argument in request.overrides {
                try root.apply(try SpecOverride(parsing: argument))
            }
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: request.specPath))).map { [UInt8]($0) } ?? []
            var definition = try PipelineDefinition.decode(root, specPath: request.specPath, specDigest: sha256Hex(bytes),
                                                           overrides: request.overrides)
            if let out = request.outputDirectory { definition.outputDirectory = out }
            return definition
        }
    }

    /// Loads the data, checks it against the network, and draws the initial weights.
    /// Refuses an unusable output folder first, so a bad `--out` fails before a long data load.
    /// Refuses a run whose estimated memory exceeds `maximumMemory` bytes twice: before the data
    /// is read (the network alone, or with the data's shape when its stage can tell it) and after
    /// (everything), both before the network's weights are allocated.
    public static func prepare(_ definition: PipelineDefinition,
                               maximumMemory: Int = MemoryEstimate.defaultLimit) throws -> PreparedRun {
        try OutputFolder.check(definition.outputDirectory)
        let network = definition.network
        let outputs = network.layers.last?.units ?? 0
        var shape = (samples: 0, features: network.inputs, targets: outputs)
        if let estimating = definition.data as? any DataShapeEstimating, let known = try estimating.estimatedShape() {
            shape = known
        }
        try MemoryEstimate.estimate(network, samples: shape.samples, features: shape.features, targets: shape.targets,
                                    batchSize: definition.training.batchSize)
            .check(limit: maximumMemory, definition: definition)
        var data = try definition.data.load()
        try specErrors { try checkShapes(definition, data) }
        let samples = data.training.count + (data.validation?.count ?? 0) + (data.test?.count ?? 0)
        try MemoryEstimate.estimate(network, samples: samples, features: data.training.featureCount,
                                    targets: data.training.targetCount, batchSize: definition.training.batchSize)
            .check(limit: maximumMemory, definition: definition)
        var generator = SeededGenerator(seed: definition.seed)
        if let fraction = definition.training.validationFraction {
            guard data.validation == nil else {
                throw PipelineError(.usage, "\(definition.specPath): error: 'training.validation' and the data's own validation part cannot both be given")
            }
            // A generator of its own, so the split does not shift the initial weights.
            var splitter = SeededGenerator(seed: definition.seed ^ 0x5EED_5E11_7000_0001)
            let classes = data.task.classNames != nil ? data.training.classIndices : nil
            (data.training, data.validation) = data.training.split(holdingOut: fraction, classes: classes, using: &splitter)
        }
        let built = network.build(using: &generator)
        return PreparedRun(definition: definition, data: data, network: built, generator: generator)
    }

    static func checkShapes(_ definition: PipelineDefinition, _ data: LoadedData) throws {
        let network = definition.network
        if data.training.featureCount != network.inputs {
            throw SpecError("network.inputs is \(network.inputs) but the data has \(data.training.featureCount) input column\(data.training.featureCount == 1 ? "" : "s")",
                            at: network.inputsNode.location)
        }
        if let last = network.layers.last, data.training.targetCount != last.units {
            throw SpecError("the output layer has \(last.units) unit\(last.units == 1 ? "" : "s") but the data has \(data.training.targetCount) target column\(data.training.targetCount == 1 ? "" : "s")",
                            at: last.unitsNode.location)
        }
        for output in definition.outputs { try output.check(definition, data: data) }
    }

    /// Trains and writes every output into a staging folder beside the output folder, then
    /// moves it into place. On failure before the move nothing at `outputDirectory` changes.
    public static func run(_ prepared: PreparedRun, outputDirectory override: String? = nil,
                           shouldStop: @escaping () -> Bool = { false },
                           onEpoch: @escaping (EpochRecord) -> Void = { _ in }) throws -> RunResult {
        let definition = prepared.definition
        let target = override ?? definition.outputDirectory
        let staging = try OutputFolder.stage(for: target)
        do {
            let training = definition.training
            let options = training.options(for: prepared.data.task)
            let trainer = Trainer(network: prepared.network, loss: definition.loss, optimizer: training.optimizer,
                                  schedule: definition.schedule, options: options, generator: prepared.generator)
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = trainer.train(prepared.data.training, validation: prepared.data.validation,
                                        shouldStop: shouldStop, onEpoch: onEpoch)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let report = RunReport(definition: definition, network: prepared.network, data: prepared.data,
                                   outcome: outcome, trainingSeconds: seconds, version: version)
            for output in definition.outputs {
                do {
                    try output.write(report, to: staging.path + "/" + output.file)
                } catch let error as PipelineError {
                    throw error.replacingPathPrefix(staging.path, with: target)
                }
            }
            try staging.commit()
            return RunResult(report: report, outputDirectory: target)
        } catch {
            staging.discard()
            throw error
        }
    }
}
