import ArgumentParser
import BackpropCore
@preconcurrency import Glibc
import Pipeline
import Synchronization

/// Everything the executable prints: errors, progress, the summary and the plugin list.
enum Terminal {
    /// Runs `body`; a PipelineError is printed to stderr and becomes its exit code. Any other
    /// error (none is expected: stages throw PipelineError or SpecError) is still one line on
    /// stderr and exit 1, never ArgumentParser's usage text.
    static func exitOnError(_ body: () throws -> Void) throws {
        // A rank of a data-parallel job leaves its errors to RankRun, which prints each once.
        guard RankRun.group == nil else { return try body() }
        do {
            try body()
        } catch let error as PipelineError {
            printError(error.description)
            throw ExitCode(error.exitCode.rawValue)
        } catch let exit as ArgumentParser.ExitCode {
            throw exit
        } catch {
            printError("bp-pipeline: error: \(error)")
            throw ExitCode(Pipeline.ExitCode.trainingFailed.rawValue)
        }
    }

    static func printError(_ message: String) {
        var text = message
        if !text.hasSuffix("\n") { text += "\n" }
        fputs(text, stderr)
    }

    /// The summary on stdout; an interrupted run also names its checkpoint and prints
    /// `resume`, the command that continues it. Then one verdict line per `expect:` condition.
    static func printSummary(_ result: RunResult, resume: String) {
        let outcome = result.report.outcome
        var line = "\(result.report.definition.name): \(outcome.status.rawValue) after \(outcome.history.count) epoch\(outcome.history.count == 1 ? "" : "s"), final loss \(outcome.finalLoss)"
        if let accuracy = outcome.finalAccuracy { line += ", train accuracy \(percent(accuracy))" }
        if let accuracy = outcome.finalValidationAccuracy { line += ", validation accuracy \(percent(accuracy))" }
        if let accuracy = result.report.testEvaluation?.accuracy { line += ", test accuracy \(percent(accuracy))" }
        print(line)
        if let failure = outcome.failure { print("  \(failure)") }
        let files = result.report.definition.outputs.map(\.file)
        print("  outputs: \(result.outputDirectory)/ (\(files.isEmpty ? "none" : files.joined(separator: ", ")))")
        if outcome.status == .interrupted {
            print("  checkpoint: \(result.outputDirectory)/\(Checkpoint.fileName)")
            print("  resume with: \(resume)")
        }
        for expectation in result.report.expectations { print(expectation.verdictLine) }
    }

    /// With `--quiet` the summary is not printed, but a failed expectation is the reason for
    /// exit 3 and goes to stderr: `spec.yaml: error: expect: val_accuracy 0.83 >= 0.9 FAILED`.
    static func printFailedExpectations(_ result: RunResult) {
        for expectation in result.report.expectations where !expectation.passed {
            printError("\(result.report.definition.specPath): error: \(expectation.verdictLine)")
        }
    }

    static func percent(_ x: Double) -> String {
        let tenths = (x * 1000).rounded() / 10
        return "\(tenths)%"
    }

    static func catalogue() -> String {
        var out = ""
        for family in Registry.catalogue() {
            out += "\(family.kind.rawValue) (\(family.noun)):\n"
            for plugin in family.plugins {
                let names = ([plugin.name] + plugin.aliases).joined(separator: ", ")
                out += "  \(names.padding(toLength: max(22, names.count + 2), withPad: " ", startingAt: 0))\(plugin.summary)\n"
                for parameter in plugin.parameters {
                    let fallback = parameter.defaultValue.map { " (default \($0))" } ?? " (required)"
                    out += "      \(parameter.name): \(parameter.valueText)\(fallback) - \(parameter.summary)\n"
                }
            }
            out += "\n"
        }
        return out
    }
}

/// A progress line on stderr, only when stderr is a terminal; redrawn at most ~10 times a second.
final class Progress {
    let total: Int
    let enabled: Bool
    private var lastDraw: UInt64 = 0

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(_ record: EpochRecord) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let ms = UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
        guard ms - lastDraw >= 100 || record.epoch == total else { return }
        lastDraw = ms
        var line = "\repoch \(record.epoch)/\(total)  loss \(record.loss)"
        if let v = record.validationLoss { line += "  val_loss \(v)" }
        fputs(line + "\u{1B}[K", stderr)
    }

    func finish() {
        if enabled { fputs("\r\u{1B}[K", stderr) }
    }
}

/// SIGINT and SIGTERM during training: the handler only records the signal; the trainer polls
/// `requested` after each batch, finishes it, and the run writes its checkpoint and outputs
/// with status "interrupted". A second signal kills at once (the handler resets itself).
enum StopSignal {
    private static let received = Atomic<Int32>(0)

    /// `resetting: false` (a sweep's runs) takes a repeated signal as the first: Slurm signals
    /// every process of a job step and the sweep forwards the signal too, and the run must still
    /// get to write its outputs and checkpoint.
    static func install(resetting: Bool = true) {
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in StopSignal.received.store(number, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = resetting ? Int32(bitPattern: UInt32(SA_RESETHAND)) : 0
            sigaction(signal, &action, nil)
        }
    }

    static var requested: Bool { received.load(ordering: .relaxed) != 0 }

    /// The signal received (SIGINT or SIGTERM), 0 before any; a sweep forwards it to its runs.
    static var receivedSignal: Int32 { received.load(ordering: .relaxed) }

    /// 130 after SIGINT, 143 after SIGTERM (128 + the signal number).
    static var exitCode: Pipeline.ExitCode {
        received.load(ordering: .relaxed) == SIGTERM ? .terminated : .interrupted
    }
}
