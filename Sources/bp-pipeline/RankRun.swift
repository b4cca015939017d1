import ArgumentParser
@preconcurrency import Glibc
import Pipeline

/// The command line as one rank of a data-parallel job (`mpirun -np N bp-pipeline SPEC`).
///
/// Every rank parses the same arguments and runs the same command; rank 0 alone prints to stdout
/// and writes files. Errors are not printed where they happen but agreed on (`MPIGroup.agree`),
/// so the job prints each once, from the lowest rank that had it, and every rank exits with the
/// same code.
enum RankRun {
    /// The job, while this process runs as one of its ranks (set once, before any command runs).
    nonisolated(unsafe) private(set) static var group: MPIGroup?

    /// On ranks other than 0, the stdout the launcher gave, kept before stdout goes to
    /// /dev/null: a sweep's ranks each print the lines of their own runs there.
    nonisolated(unsafe) private(set) static var progressOutput: UnsafeMutablePointer<FILE>?

    /// Runs `arguments` as this rank and ends the process with the job's exit code.
    static func run(_ arguments: [String]) -> Never {
        let group = MPIGroup()
        Self.group = group
        if group.rank != 0 {
            // Close-on-exec: a sweep's runs get /dev/null as stdout, like the rank.
            let kept = fcntl(1, F_DUPFD_CLOEXEC, 3)
            if kept >= 0 { progressOutput = fdopen(kept, "w") }
            _ = freopen("/dev/null", "w", stdout)
        }
        var code: Int32 = 0
        var message: String?
        do {
            if let first = arguments.first, let typo = CommandLineWords.unknownCommand(first, among: BPPipeline.commandNames) {
                throw PipelineError(.usage, typo)
            }
            var command = try BPPipeline.parseAsRoot(arguments)
            try command.run()
            try group.agree(code: 0, message: nil)
        } catch let outcome as RankOutcome {
            (code, message) = (outcome.exitCode, outcome.message)
        } catch {
            // Not agreed yet: this rank's own end (a usage error, or a command's exit code).
            let (mine, text) = describe(error)
            do {
                try group.agree(code: mine, message: text)
                // Every rank is fine: `--help` and the like print their text.
                if let text, !text.isEmpty { print(text) }
            } catch let outcome as RankOutcome {
                (code, message) = (outcome.exitCode, outcome.message)
            } catch {
                code = Pipeline.ExitCode.trainingFailed.rawValue
            }
        }
        if let message, !message.isEmpty { Terminal.printError(message) }
        fflush(stdout)
        if let progressOutput { fflush(progressOutput) }
        group.finish()
        exit(code)
    }

    /// A command's exit code and message for `error`, as ArgumentParser or `Terminal.exitOnError`
    /// would print them.
    private static func describe(_ error: any Error) -> (Int32, String?) {
        switch error {
        case let error as PipelineError: return (error.exitCode.rawValue, error.description)
        case let error as ReportedExit: return (error.exitCode, nil)
        case let exit as ArgumentParser.ExitCode: return (exit.rawValue, nil)
        default: return (BPPipeline.exitCode(for: error).rawValue, BPPipeline.fullMessage(for: error))
        }
    }

    /// A data-parallel run: every rank loads the spec, the checkpoint and the data; they agree
    /// that all did, and on the same training set, before training together.
    static func prepare(_ options: RunOptions, group: MPIGroup) throws -> (PreparedRun, Checkpoint?) {
        var loaded: (PreparedRun, Checkpoint?)?
        var failure: (any Error)?
        do { loaded = try options.prepare() } catch { failure = error }
        try group.agree(failure)
        guard let loaded else { throw ReportedExit(Pipeline.ExitCode.trainingFailed.rawValue) }
        if let different = group.checkSameData(loaded.0.data.training) {
            throw RankOutcome(exitCode: different.exitCode.rawValue, message: group.rank == 0 ? different.description : nil)
        }
        // One exchange carries every gradient, as Doubles at most, in one MPI call.
        let bytes = 32 + loaded.0.network.parameterCount * 8
        if bytes > MPIGroup.largestExchange {
            let message = "\(loaded.0.definition.specPath): error: the network's gradients take \(bytes) bytes, more than one "
                + "data-parallel exchange carries (\(MPIGroup.largestExchange)); train it in one process"
            throw RankOutcome(exitCode: Pipeline.ExitCode.usage.rawValue, message: group.rank == 0 ? message : nil)
        }
        return loaded
    }
}
