import ArgumentParser
import Foundation
@preconcurrency import Glibc
import Pipeline

/// The options that only a spec with `sweep:` takes.
struct SweepOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Sweeps: runs at once, each a process of its own with --threads N threads "
                               + "(default: the cores divided by N).", valueName: "N"),
            transform: SweepOptions.jobs)
    var jobs: Int = 1

    @Option(help: ArgumentHelp("Sweeps: run only the runs r with r mod N = K-1 (1-based K/N), or 'auto' from "
                               + "SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX (with --shard-count) or CI_NODE_INDEX.",
                               valueName: "K/N|auto"))
    var shard: String?

    @Option(help: ArgumentHelp("With --shard auto under a Kubernetes Indexed Job: the Job's completions.", valueName: "N"),
            transform: SweepOptions.shardCount)
    var shardCount: Int?

    var isGiven: Bool { jobs != 1 || shard != nil || shardCount != nil }

    static func jobs(_ argument: String) throws -> Int {
        guard let count = Int(argument), (1...256).contains(count) else {
            throw ValidationError("expected a whole number of jobs from 1 to 256")
        }
        return count
    }

    static func shardCount(_ argument: String) throws -> Int {
        guard let count = Int(argument), (1...Shard.maximumCount).contains(count) else {
            throw ValidationError("expected a whole number of shards from 1 to \(Shard.maximumCount)")
        }
        return count
    }

    func parsedShard() throws -> Shard? {
        guard let shard else {
            if shardCount != nil {
                throw PipelineError(.usage, "--shard-count: error: --shard-count goes with --shard auto")
            }
            return nil
        }
        return try Shard.parse(shard, count: shardCount, environment: ProcessInfo.processInfo.environment)
    }
}

/// `bp-pipeline SPEC` and `validate SPEC` when the spec has `sweep:`.
enum SweepCommand {
    /// Checks every run, then runs this shard's runs and writes the summary and charts.
    ///
    /// As a rank of an `mpirun`/`srun` job (`RankRun.group`), rank r runs shard r+1 of N: rank 0
    /// writes the plan, every rank runs its runs and prints their progress, they wait for each
    /// other, and rank 0 writes the summary over all runs; every rank ends with the sweep's code.
    static func run(_ plan: SweepPlan, _ options: RunOptions) throws {
        try refuseResume(options)
        let group = RankRun.group
        if group != nil && (options.sweep.shard != nil || options.sweep.shardCount != nil) {
            throw PipelineError(.usage, "--shard: error: under mpirun or srun the sweep spreads its runs over the ranks itself "
                                + "(rank r runs shard r+1 of N); give --shard only to a sweep started without a launcher, "
                                + "such as each task of an array job")
        }
        let shard = try group.map { Shard(index: $0.rank + 1, count: $0.size) } ?? options.sweep.parsedShard()
        if let shard, let source = shard.source, !options.quiet { print("shard \(shard) (from \(source))") }
        _ = try plan.definitions()
        if let group {
            // Rank 0 alone checks and creates the folder; the others start their runs once it has.
            var failure: (any Error)?
            if group.rank == 0 {
                do { try SweepFolder.check(plan.folder); try plan.writePlan() } catch { failure = error }
            }
            try group.agree(failure)
            if !options.quiet {
                print("\(plan.name): \(plan.runs.count) run\(plan.runs.count == 1 ? "" : "s") over \(group.size) ranks "
                      + "(rank r runs the runs r, r+\(group.size), ...)")
            }
        } else {
            try SweepFolder.check(plan.folder)
        }
        let executable = try currentExecutable()
        let childArguments = arguments(options, sharing: group?.localSize ?? 1)
        StopSignal.install()
        let quiet = options.quiet
        // Every rank prints its own runs' lines, to the stdout the launcher gave it.
        let output = RankRun.progressOutput
        let prefix = group.map { "rank \($0.rank): " } ?? ""
        let runner = SweepRunner(plan: plan, shard: shard, jobs: options.sweep.jobs, executable: executable,
                                 arguments: { ["sweep-run"] + childArguments + ["--index", String($0.index)] },
                                 receivedSignal: { StopSignal.receivedSignal },
                                 say: { line in
                                     guard !quiet else { return }
                                     if let output { fputs(prefix + line + "\n", output) } else { print(prefix + line) }
                                     fflush(nil)
                                 })
        let outcome: SweepRunner.Outcome
        if let group {
            try runner.runOwnRuns()
            // Every rank's runs have ended (a rank that failed meets this call with its error).
            try group.agree(code: 0, message: nil)
            let signals = group.everyRank(StopSignal.receivedSignal)
            guard group.rank == 0 else { return }
            outcome = try SweepRunner.summarize(plan, shard: nil, signal: signals.first { $0 != 0 } ?? 0)
        } else {
            outcome = try runner.run()
        }
        if !quiet {
            let charts = outcome.files.dropFirst()
            print("\(plan.name): \(outcome.summary.tally)")
            print("  summary: \(plan.folder + "/" + SweepFolder.summaryFile)"
                  + (charts.isEmpty ? "" : "; charts: \(charts.joined(separator: ", "))"))
        }
        if outcome.exitCode != .success { throw ExitCode(outcome.exitCode.rawValue) }
    }

    /// `validate` on a sweep: every run decoded, its data read and its folder checked.
    static func validate(_ plan: SweepPlan, _ options: RunOptions) throws {
        try refuseResume(options)
        _ = try options.sweep.parsedShard()
        let definitions = try plan.definitions()
        try SweepFolder.check(plan.folder)
        for definition in definitions { _ = try Engine.prepare(definition, maximumMemory: options.maxMemory.bytes) }
        guard !options.quiet else { return }
        let combinations = Set(plan.runs.map(\.run.combination)).count
        let seeds = plan.seeds.map { " × \($0.count) seed\($0.count == 1 ? "" : "s")" } ?? ""
        print("\(plan.specPath): ok: '\(plan.name)', a sweep of \(plan.runs.count) run\(plan.runs.count == 1 ? "" : "s") "
              + "(\(combinations) combination\(combinations == 1 ? "" : "s")\(seeds)) into \(plan.folder)/")
    }

    private static func refuseResume(_ options: RunOptions) throws {
        if options.resume != nil {
            throw PipelineError(.usage, "--resume: error: a sweep resumes by itself: run it again and it skips its finished runs "
                                + "and continues the interrupted ones from their checkpoints")
        }
    }

    /// The child's arguments, without its index: the spec, every `--set`, the sweep folder, the
    /// memory limit and the threads per job (`sharing`: the sweeps on this machine, one per rank).
    static func arguments(_ options: RunOptions, sharing sweeps: Int = 1) -> [String] {
        let spec = options.spec.spec
        var words = [spec.hasPrefix("-") ? "./" + spec : spec]
        for override in options.spec.overrides { words += ["--set", override] }
        if let out = options.out { words += ["--out", out] }
        words += ["--max-memory", String(options.maxMemory.bytes), "--quiet"]
        if let threads = options.threads.threads {
            words += ["--threads", String(threads)]
        } else if options.sweep.jobs * sweeps > 1 && getenv("OPENBLAS_NUM_THREADS") == nil {
            // N jobs of each sweep on this machine share its cores: each gets its part, at least one.
            words += ["--threads", String(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)) / (options.sweep.jobs * sweeps)))]
        }
        return words
    }

    /// This binary, for the runs' processes.
    static func currentExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else {
            throw PipelineError(.cannotCreate, "bp-pipeline: error: cannot find its own executable (/proc/self/exe) to start the sweep's runs")
        }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `bp-pipeline sweep-run SPEC --index R ...`: one run of a sweep, started by the sweep itself
/// (hidden from help): the run's folder, with `sweep-run.json`, inside the sweep folder. An
/// interrupted earlier attempt is continued from its checkpoint when that fits the spec.
struct SweepRunChild: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sweep-run", abstract: "Run one run of a sweep (used by the sweep itself).",
                                                    shouldDisplay: false)

    @OptionGroup var options: RunOptions

    @Option(help: "The run's 0-based index in the sweep.")
    var index: Int

    func run() throws {
        options.threads.apply()
        try Terminal.exitOnError {
            guard let plan = try SweepPlan.load(options.request) else {
                throw PipelineError(.usage, "\(options.spec.spec): error: the spec has no sweep")
            }
            guard plan.runs.indices.contains(index) else {
                throw PipelineError(.usage, "--index: error: the sweep has runs 0 to \(plan.runs.count - 1), not \(index)")
            }
            let entry = plan.runs[index]
            let definition = try plan.definition(of: entry)
            let folder = plan.folder(of: entry)
            // A checkpoint of another spec version (or a damaged one) is not continued: the run starts again.
            let checkpoint = FileManager.default.fileExists(atPath: folder + "/" + Checkpoint.fileName)
                ? try? Checkpoint.load(resuming: folder, for: definition).0 : nil
            let prepared = try Engine.prepare(definition, maximumMemory: options.maxMemory.bytes)
            StopSignal.install(resetting: false)
            // A sweep killed outright (SIGKILL, an OOM kill) cannot pass a signal on: its runs
            // notice it is gone (they are re-parented) and stop as if interrupted, checkpoint and all.
            let sweep = getppid()
            let result = try Engine.run(prepared, resumingFrom: checkpoint, shouldStop: { StopSignal.requested || getppid() != sweep },
                                        extraFiles: [(SweepFolder.runRecordFile, try plan.runRecord(of: entry))])
            // Named by the run's folder: the sweep's other runs print theirs too.
            for expectation in result.report.expectations where !expectation.passed {
                Terminal.printError("\(result.outputDirectory): error: \(expectation.verdictLine)")
            }
            switch result.exitCode {
            case .success: return
            case .interrupted, .terminated: throw ExitCode(StopSignal.exitCode.rawValue)
            default: throw ExitCode(result.exitCode.rawValue)
            }
        }
    }
}

/// `bp-pipeline report DIR`: summary.csv and the comparison charts again, from the run folders
/// that exist (after the shards of a sweep, or while they run).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a sweep folder's summary.csv and comparison charts from the run folders it holds.")

    @Argument(help: "The sweep's output folder.")
    var folder: String

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try Terminal.exitOnError {
            let summary = try SweepSummary.read(folder)
            let files = try summary.write()
            guard !quiet else { return }
            print("\(summary.folder + "/" + SweepFolder.summaryFile): \(summary.tally)")
            if files.count > 1 { print("  charts: \(files.dropFirst().joined(separator: ", "))") }
        }
    }
}
