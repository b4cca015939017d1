import BackpropCore
import Foundation
@preconcurrency import Glibc
import PipelineSpec
import Synchronization

/// A flag set once and polled often (see `Engine.run`).
final class Flag: Sendable {
    let raised = Atomic<Bool>(false)
}

/// What `Engine.write`'s threads share: the report, which outputs that write concurrently only
/// read, and one error slot per output, each written by one thread.
private struct SharedForWriting: @unchecked Sendable {
    let report: RunReport
    let errors: UnsafeMutableBufferPointer<(any Error)?>
}

/// What the command line asks for.
public struct RunRequest: Sendable {
    public var specPath: String
    /// `--set KEY.PATH=VALUE` arguments, applied in order before validation.
    public var overrides: [String]
    /// `--out DIR`: replaces the spec's `output_dir`.
    public var outputDirectory: String?
    /// `--max-memory`: the largest estimated footprint (bytes) a run may start with.
    public var maximumMemory: Int
    /// `--resume DIR`: the interrupted run to continue; also the output folder unless `--out`
    /// names another, so the continued run replaces the interrupted one.
    public var resumeDirectory: String?

    public init(specPath: String, overrides: [String] = [], outputDirectory: String? = nil,
                maximumMemory: Int = MemoryEstimate.defaultLimit, resumeDirectory: String? = nil) {
        self.specPath = specPath
        self.overrides = overrides
        self.outputDirectory = outputDirectory
        self.maximumMemory = maximumMemory
        self.resumeDirectory = resumeDirectory
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

    /// A diverged run exits 1 and an interrupted one 130/143 whatever its expectations say
    /// (an interrupted run checks none: it has not finished); a finished run exits 3 when an
    /// expectation failed.
    public var exitCode: ExitCode {
        switch report.outcome.status {
        case .completed, .stoppedEarly: return report.expectationsPassed ? .success : .expectationFailed
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
            // A sweep's spec read as one run is the spec's own values (run and validate expand
            // the sweep through SweepPlan instead).
            root = SweepPlan.removingSweep(root)
            // The loader checked the file is UTF-8, so its text re-encodes to exactly the file's bytes.
            let digest = sha256Hex(Array(root.location.source.text.utf8))
            return try PipelineDefinition.decode(root, specPath: request.specPath, specDigest: digest, overrides: request.overrides,
                                                 outputDirectory: request.outputDirectory ?? request.resumeDirectory)
        }
    }

    /// Loads the data, checks it against the network, and draws the initial weights.
    /// Refuses an unusable output folder first, so a bad `--out` fails before a long data load.
    /// Refuses a run whose estimated memory exceeds `maximumMemory` bytes twice: before the data
    /// is read (the network alone, or with the data's shape when its stage can tell it) and after
    /// (everything), both before the network's weights are allocated.
    public static func prepare(_ definition: PipelineDefinition,
                               maximumMemory: Int = MemoryEstimate.defaultLimit) throws -> PreparedRun {
        try OutputFolder.check(definition.outputDirectory, runFiles: definition.runFiles)
        let network = definition.network
        // from_model files are read and their shapes checked before the data.
        let (starts, startingModel) = try specErrors { try network.resolve() }
        let outputs = network.layers.last?.units ?? 0
        var shape = (samples: 0, features: network.inputs, targets: outputs)
        var inputBytes = 8
        if let estimating = definition.data as? any DataShapeEstimating, let known = try estimating.estimatedShape() {
            shape = known
            inputBytes = estimating.inputBytes
        }
        try MemoryEstimate.estimate(network, samples: shape.samples, features: shape.features, targets: shape.targets,
                                    batchSize: definition.training.batchSize, inputBytes: inputBytes,
                                    epochs: definition.training.epochs)
            .check(limit: maximumMemory, definition: definition)
        // training.validation is held out by the data stage, before it normalises, so the
        // statistics see the training part only.
        // A whole network started from a model keeps the model's normalisation (DataOptions).
        let request = DataRequest(validationFraction: definition.training.validationFraction, maximumMemory: maximumMemory,
                                  startingModel: startingModel)
        let data = try specErrors { try definition.data.load(request) }
        try specErrors { try checkShapes(definition, data) }
        let samples = data.training.count + (data.validation?.count ?? 0) + (data.test?.count ?? 0)
        let storedBytes: Int
        if case .bytes = data.training.inputStorage { storedBytes = 1 } else { storedBytes = 8 }
        try MemoryEstimate.estimate(network, samples: samples, features: data.training.featureCount,
                                    targets: data.training.targetCount, batchSize: definition.training.batchSize,
                                    inputBytes: storedBytes, epochs: definition.training.epochs)
            .check(limit: maximumMemory, definition: definition)
        var generator = SeededGenerator(seed: definition.seed)
        let built = network.build(using: &generator, starts: starts)
        return PreparedRun(definition: definition, data: data, network: built, generator: generator)
    }

    static func checkShapes(_ definition: PipelineDefinition, _ data: LoadedData) throws {
        let network = definition.network
        if data.training.featureCount != network.inputs {
            throw SpecError("network.inputs is \(network.inputs) but the data has \(data.training.featureCount) input column\(data.training.featureCount == 1 ? "" : "s")",
                            at: network.inputsNode.location)
        }
        if let last = network.layers.last, data.training.targetCount != last.units {
            let units = "the output layer has \(last.units) unit\(last.units == 1 ? "" : "s")"
            let count = data.training.targetCount
            if let classes = data.task.classNames, classes.count == count {
                throw SpecError("\(units) but the data has \(count) classes (\(boundedList(classes))); give the output layer one unit per class",
                                at: last.unitsNode.location)
            }
            throw SpecError("\(units) but the data has \(count) target column\(count == 1 ? "" : "s")", at: last.unitsNode.location)
        }
        for output in definition.outputs { try output.check(definition, data: data) }
        try Expectation.checkAvailable(definition.expectations, data: data)
    }

    /// Trains and writes every output into a staging folder beside the output folder, then
    /// moves it into place. On failure before the move nothing at `outputDirectory` changes.
    ///
    /// Checkpoints: an interrupted run (`shouldStop` turned true) writes `checkpoint.bin` with
    /// the state at the end of its last complete epoch, so resuming repeats the interrupted
    /// epoch from its start and ends bit-identical to a run never interrupted; with
    /// `training.checkpoint_every: N` one is also written beside the output folder every N
    /// epochs (for runs killed outright) and the final state goes into the output folder.
    /// `extraFiles` (top-level names) are written into the folder beside the outputs.
    ///
    /// With a `group` (data-parallel under MPI) every rank trains and rank 0 alone writes: the
    /// other ranks create no folder and write no checkpoint. The ranks agree (`MPIGroup.agree`)
    /// once rank 0's staging folder exists, so its failure there ends them all before training.
    public static func run(_ prepared: PreparedRun,
                           resumingFrom checkpoint: Checkpoint? = nil,
                           group: MPIGroup? = nil,
                           shouldStop: @escaping () -> Bool = { false },
                           onEpoch: ((EpochRecord) -> Void)? = nil,
                           extraFiles: [(name: String, bytes: [UInt8])] = []) throws -> RunResult {
        let definition = prepared.definition
        let target = definition.outputDirectory
        let writes = (group?.rank ?? 0) == 0
        var staging: OutputFolder?
        var failure: (any Error)?
        if writes {
            do {
                staging = try OutputFolder.stage(for: target, runFiles: definition.runFiles)
                for output in definition.outputs { try staging?.makeFolders(for: output.file) }
                // Files the caller adds to the run's folder (a sweep's sweep-run.json), listed in
                // its marker like every output.
                for file in extraFiles { try staging?.writeFile(file.name, file.bytes) }
            } catch {
                failure = error
            }
        }
        do {
            if let group { try group.agree(failure) } else if let failure { throw failure }
        } catch {
            staging?.discard()
            throw error
        }
        do {
            let training = definition.training
            let options = training.options(for: prepared.data.task)
            let trainer = training.precision.trainer(network: prepared.network, loss: definition.loss,
                                                     optimizer: training.optimizer, schedule: definition.schedule,
                                                     options: options, generator: prepared.generator, group: group)
            let periodicPath = Checkpoint.periodicPath(for: target)
            var periodicFailure: PipelineError?
            // Polled after every batch: an atomic flag beside the error, since every read of a
            // variable an escaping closure captures is checked for exclusive access (for the
            // seed's network, whose every step is an epoch, a tenth of the loop's bookkeeping).
            let failed = Flag()
            let every = training.checkpointEvery

            let outcome: TrainingOutcome
            do {
                outcome = try trainer.train(
                    prepared.data.training, validation: prepared.data.validation, resumingFrom: checkpoint?.state,
                    shouldStop: { failed.raised.load(ordering: .relaxed) || shouldStop() }, onEpoch: onEpoch,
                    onState: every.flatMap { every in writes ? { state in
                        if (state.nextEpoch - 1) % every == 0, periodicFailure == nil {
                            do {
                                try Checkpoint(state, for: definition).writeAtomically(to: periodicPath)
                            } catch {
                                periodicFailure = error as? PipelineError
                                    ?? PipelineError.output("cannot write the checkpoint: \(error)", path: periodicPath)
                                failed.raised.store(true, ordering: .relaxed)
                            }
                        }
                    } : nil })
            } catch let mismatch as StateMismatch {
                throw PipelineError(.usage, "\(target): error: the checkpoint does not fit this run: \(mismatch.description)")
            }
            if let periodicFailure { throw periodicFailure }
            var report = RunReport(definition: definition, network: prepared.network, data: prepared.data,
                                   outcome: outcome, trainingSeconds: outcome.loopSeconds, version: version)
            if outcome.status != .interrupted { report.expectations = definition.expectations.map { $0.check(report) } }
            if let group {
                report.ranks = group.size
                report.exchangeSeconds = outcome.loopExchangeSeconds ?? 0
            }
            guard let staging else { return RunResult(report: report, outputDirectory: target) }
            if outcome.status == .interrupted {
                try staging.writeFile(Checkpoint.fileName, try Checkpoint(trainer.resumableState, for: definition).encoded())
            } else if every != nil && outcome.status != .diverged {
                try staging.writeFile(Checkpoint.fileName, try Checkpoint(trainer.state, for: definition).encoded())
            }
            do {
                try write(definition.outputs, report, into: staging.path, threads: BLAS.threadCount)
            } catch let error as PipelineError {
                throw error.replacingPathPrefix(staging.path, with: target)
            }
            try staging.commit()
            // The run is in place (with its own checkpoint when it needs one).
            _ = unlink(periodicPath)
            return RunResult(report: report, outputDirectory: target)
        } catch {
            staging?.discard()
            throw error
        }
    }

    /// Writes every output into `folder`. With more than one thread: first, in the spec's order,
    /// those that run the network, then the rest (`writesConcurrently`: the charts and
    /// history.csv, most of a small run's time) on up to `threads` threads at once, as
    /// `--threads` allows; with one, all of them in the spec's order. Every output is attempted;
    /// the error thrown is the first in the spec's order, as if they had been written one after
    /// another.
    static func write(_ outputs: [any OutputStage], _ report: RunReport, into folder: String, threads: Int) throws {
        var errors = [(any Error)?](repeating: nil, count: outputs.count)
        let concurrent = outputs.indices.filter { outputs[$0].writesConcurrently }
        let workers = min(max(threads, 1), concurrent.count)
        for i in outputs.indices where workers <= 1 || !outputs[i].writesConcurrently {
            do { try outputs[i].write(report, to: folder + "/" + outputs[i].file) } catch { errors[i] = error }
        }
        if workers > 1 {
            // Each worker takes the next output not yet taken; each slot of `errors` is written by
            // the one worker that wrote that output, and read after every worker has finished.
            let next = Atomic<Int>(0)
            errors.withUnsafeMutableBufferPointer { slots in
                let shared = SharedForWriting(report: report, errors: slots)
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    while true {
                        let n = next.add(1, ordering: .relaxed).oldValue
                        guard n < concurrent.count else { return }
                        let i = concurrent[n]
                        do {
                            try outputs[i].write(shared.report, to: folder + "/" + outputs[i].file)
                        } catch {
                            shared.errors[i] = error
                        }
                    }
                }
            }
        }
        if let error = errors.lazy.compactMap({ $0 }).first { throw error }
    }
}
