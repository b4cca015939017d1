import ArgumentParser
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
              bp-pipeline validate SPEC [--set KEY.PATH=VALUE]...
              bp-pipeline gradcheck SPEC [--set KEY.PATH=VALUE]... [--tolerance TOL] [--threads N]
              bp-pipeline plugins
            """,
        discussion: "Exit codes: 0 success, 1 training failed (diverged), 64 bad usage or invalid spec, "
            + "65 invalid data, 66 missing or unreadable input, 73 output cannot be written, "
            + "130/143 interrupted by SIGINT/SIGTERM.",
        version: Engine.version,
        subcommands: [Run.self, Validate.self, Plugins.self, GradCheck.self],
        defaultSubcommand: Run.self)
}

/// Options shared by commands that read a spec.
struct SpecOptions: ParsableArguments {
    @Argument(help: "The pipeline spec (YAML).")
    var spec: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a spec value before validation, e.g. training.epochs=100 (repeatable).",
                                                         valueName: "KEY.PATH=VALUE"))
    var overrides: [String] = []

    var request: RunRequest { RunRequest(specPath: spec, overrides: overrides) }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train the pipeline and write its outputs (the default command).")

    @OptionGroup var options: SpecOptions

    @Option(help: ArgumentHelp("Write the outputs here instead of the spec's output_dir.", valueName: "DIR"))
    var out: String?

    @Option(help: ArgumentHelp("Refuse a run whose estimated memory exceeds this (bytes, or with K/M/G/T: 512M, 4G).",
                               valueName: "SIZE"))
    var maxMemory = MemorySize(bytes: MemoryEstimate.defaultLimit)

    @Option(help: ArgumentHelp("Continue the interrupted run whose output folder is DIR from its checkpoint (same spec and --set options).",
                               valueName: "DIR"))
    var resume: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @OptionGroup var threads: ThreadsOption

    func run() throws {
        threads.apply()
        try Terminal.exitOnError {
            var request = options.request
            request.outputDirectory = out
            request.maximumMemory = maxMemory.bytes
            let definition = try Engine.load(request)
            let checkpoint = try resume.map { try Checkpoint.load(resuming: $0, for: definition).0 }
            let prepared = try Engine.prepare(definition, maximumMemory: request.maximumMemory)
            if !quiet { prepared.warnings.forEach(Terminal.printError) }
            let progress = Progress(total: definition.training.epochs, enabled: !quiet && isatty(2) != 0)
            StopSignal.install()
            let result = try Engine.run(prepared, resumingFrom: checkpoint, shouldStop: { StopSignal.requested },
                                        onEpoch: progress.update)
            progress.finish()
            if !quiet { Terminal.printSummary(result) }
            switch result.exitCode {
            case .success: return
            case .interrupted, .terminated: throw ExitCode(StopSignal.exitCode.rawValue)
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
    static let configuration = CommandConfiguration(abstract: "Check the spec and its data completely; train nothing.")

    @OptionGroup var options: SpecOptions

    @Option(help: ArgumentHelp("Refuse a run whose estimated memory exceeds this (bytes, or with K/M/G/T: 512M, 4G).",
                               valueName: "SIZE"))
    var maxMemory = MemorySize(bytes: MemoryEstimate.defaultLimit)

    func run() throws {
        try Terminal.exitOnError {
            let prepared = try Engine.prepare(try Engine.load(options.request), maximumMemory: maxMemory.bytes)
            prepared.warnings.forEach(Terminal.printError)
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
