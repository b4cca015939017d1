import ArgumentParser
import Foundation
@preconcurrency import Glibc
import Pipeline

/// `bp-pipeline SPEC`: train from a YAML spec and write the outputs it declares.
@main
struct BPPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bp-pipeline",
        abstract: "Train neural networks by backpropagation from a YAML spec and chart what happened.",
        usage: """
            bp-pipeline SPEC [--out DIR] [--set KEY.PATH=VALUE]... [--max-memory SIZE] [--resume DIR] [--threads N] [--quiet]
              bp-pipeline SWEEP-SPEC [the options of a run] [--jobs N] [--shard K/N|auto [--shard-count N]]
              bp-pipeline report DIR
              bp-pipeline validate SPEC [the options of a run]
              bp-pipeline gradcheck SPEC [--set KEY.PATH=VALUE]... [--tolerance TOL] [--threads N]
              bp-pipeline explain SPEC --weight L:J,K [--epoch E] [--format text|markdown|latex]
              bp-pipeline predict MODEL DATA [--out FILE] [--format auto|csv|idx] [--scale S]
              bp-pipeline evaluate MODEL DATA [--labels FILE] [--label COLUMN] [--out DIR] [--max-memory SIZE]
              bp-pipeline plugins
              bp-pipeline schema
            """,
        discussion: "Exit codes: 0 success, 1 training failed (diverged; in a sweep: any run failed), "
            + "3 an expect: condition failed (outputs written; in a sweep: in any run), "
            + "64 bad usage or invalid spec, "
            + "65 invalid data, 66 missing or unreadable input, 73 output cannot be written, "
            + "130/143 interrupted by SIGINT/SIGTERM.",
        version: Engine.version,
        subcommands: [Run.self, Validate.self, Report.self, Predict.self, Evaluate.self, Plugins.self, GradCheck.self,
                      ExplainWeight.self, Schema.self, SweepRunChild.self],
        defaultSubcommand: Run.self)

    /// A misspelt command would otherwise be read as the spec of the default `run` command
    /// ("cannot read valdate"); answer it as the typo it is first.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if MPIGroup.launched(environment: ProcessInfo.processInfo.environment) {
            // A rank restarts before MPI_Init, whatever its spec: after it, a restart would join
            // the job a second time. The restart keeps the process id and the environment the
            // launcher gave the rank (checked with Open MPI 4.1); KernelChoice.load then finds
            // the kernel chosen.
            KernelChoice.restartWithABetterKernelIfNeeded()
            RankRun.run(arguments)
        }
        if let first = arguments.first, let message = CommandLineWords.unknownCommand(first, among: commandNames) {
            Terminal.printError(message)
            Glibc.exit(Pipeline.ExitCode.usage.rawValue)
        }
        main(nil)
    }

    /// Every command's name, from the subcommand list itself, so a new command is offered too.
    static let commandNames = configuration.subcommands.map { $0._commandName } + ["help"]
}

/// Options shared by commands that read a spec.
struct SpecOptions: ParsableArguments {
    // Shell completion offers .yaml and .yml files (and folders to descend into).
    @Argument(help: "The pipeline spec (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value before validation, e.g. training.epochs=100 (repeatable).",
                                                         valueName: "KEY.PATH=VALUE"))
    var overrides: [String] = []

    var request: RunRequest { RunRequest(specPath: spec, overrides: overrides) }
}

/// The options of a run; `validate` takes the same ones, so a cron line can be checked by
/// inserting the word `validate`.
struct RunOptions: ParsableArguments {
    @OptionGroup var spec: SpecOptions

    @Option(help: ArgumentHelp("Write the outputs here instead of the spec's output_dir.", valueName: "DIR"),
            completion: .directory)
    var out: String?

    // `.unconditional`: `--max-memory -1` is read as a (refused) size, not as an option.
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Refuse a run whose estimated memory exceeds this (bytes, or with K/M/G/T: 512M, 4G).",
                               valueName: "SIZE"))
    var maxMemory = MemorySize(bytes: MemoryEstimate.defaultLimit)

    @Option(help: ArgumentHelp("Continue the interrupted run whose output folder is DIR from its checkpoint, into DIR (same spec and --set options).",
                               valueName: "DIR"),
            completion: .directory)
    var resume: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var sweep: SweepOptions

    var request: RunRequest {
        var request = spec.request
        request.outputDirectory = out
        request.maximumMemory = maxMemory.bytes
        request.resumeDirectory = resume
        return request
    }

    /// `--jobs` and `--shard` mean nothing to a spec without `sweep:`.
    func refuseSweepOptions() throws {
        guard sweep.isGiven else { return }
        let option = sweep.jobs != 1 ? "--jobs" : sweep.shard != nil ? "--shard" : "--shard-count"
        throw PipelineError(.usage, "\(option): error: \(spec.spec) has no sweep: section; \(option) applies to sweeps only")
    }

    /// Loads the spec, the checkpoint (with `--resume`) and the data, and checks the output folder.
    func prepare() throws -> (PreparedRun, Checkpoint?) {
        let request = request
        let definition = try KernelChoice.load(request)
        let checkpoint = try request.resumeDirectory.map { try Checkpoint.load(resuming: $0, for: definition).0 }
        let prepared = try Engine.prepare(definition, maximumMemory: request.maximumMemory)
        return (prepared, checkpoint)
    }

    /// The command that continues an interrupted run into `folder`: the program as it was
    /// invoked, the spec as given, every `--set` and a `--max-memory` other than the default,
    /// quoted for a POSIX shell.
    func resumeCommand(into folder: String) -> String {
        let program = CommandLine.arguments.first ?? "bp-pipeline"
        // A path starting with '-' would read as an option; "./-x" is the same file.
        func path(_ path: String) -> String { path.hasPrefix("-") ? "./" + path : path }
        var words = [program, path(spec.spec)]
        for override in spec.overrides { words += ["--set", override] }
        if maxMemory.bytes != MemoryEstimate.defaultLimit { words += ["--max-memory", String(maxMemory.bytes)] }
        // The thread count can change how BLAS splits a product, so the resumed run keeps it.
        if let count = threads.threads { words += ["--threads", String(count)] }
        words += ["--resume", path(folder)]
        return words.map(CommandLineWords.shellQuoted).joined(separator: " ")
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train the pipeline and write its outputs (the default command).")

    @OptionGroup var options: RunOptions

    func run() throws {
        let group = RankRun.group
        options.threads.apply(ranksOnThisMachine: group?.localSize ?? 1)
        try Terminal.exitOnError {
            if let plan = try SweepPlan.load(options.request) { return try SweepCommand.run(plan, options) }
            try options.refuseSweepOptions()
            let (prepared, checkpoint) = try group.map { try RankRun.prepare(options, group: $0) } ?? options.prepare()
            let progress = Progress(total: prepared.definition.training.epochs,
                                    enabled: !options.quiet && isatty(2) != 0 && (group?.rank ?? 0) == 0)
            StopSignal.install()
            let result = try Engine.run(prepared, resumingFrom: checkpoint, group: group, shouldStop: { StopSignal.requested },
                                        onEpoch: progress.enabled ? progress.update : nil)
            progress.finish()
            if let group, group.rank != 0 {
                // Rank 0 prints the summary and the verdicts for the job.
            } else if options.quiet {
                Terminal.printFailedExpectations(result)
            } else {
                Terminal.printSummary(result, resume: options.resumeCommand(into: result.outputDirectory))
            }
            switch result.exitCode {
            case .success: return
            // A rank stopped by another's signal leaves the code to that rank (see RankRun).
            case .interrupted, .terminated:
                if group == nil || StopSignal.requested { throw ExitCode(StopSignal.exitCode.rawValue) }
            default: throw ExitCode(result.exitCode.rawValue)
            }
        }
    }
}

/// A `--max-memory` value: bytes, or a number with K, M, G or T (powers of 1024).
struct MemorySize: ExpressibleByArgument {
    let bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        guard let bytes = MemoryEstimate.parseSize(argument) else { return nil }
        self.bytes = bytes
    }

    var defaultValueDescription: String { MemoryEstimate.format(bytes) }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the spec, its data, the checkpoint (--resume) and the output folder completely; train nothing.")

    @OptionGroup var options: RunOptions

    func run() throws {
        try Terminal.exitOnError {
            if let plan = try SweepPlan.load(options.request) { return try SweepCommand.validate(plan, options) }
            try options.refuseSweepOptions()
            let (prepared, _) = try options.prepare()
            guard !options.quiet else { return }
            let d = prepared.definition
            print("\(d.specPath): ok: '\(d.name)', \(prepared.data.training.count) training samples, "
                  + "\(prepared.network.layers.count) layers, \(prepared.network.parameterCount) parameters, \(d.outputs.count) outputs")
        }
    }
}

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every plugin by stage kind, with its parameters.")

    func run() {
        print(Terminal.catalogue(), terminator: "")
    }
}
