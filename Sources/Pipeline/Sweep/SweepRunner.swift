import Foundation
@preconcurrency import Glibc

/// Runs a sweep's runs (this shard's), each as a child process of the same binary, at most
/// `jobs` at a time; then rebuilds summary.csv and the charts from the folder.
///
/// Separate processes isolate the runs: one that fails, or runs out of memory, takes no other
/// with it, and each has its own BLAS threads (`--threads` per job). Each child is in a process
/// group of its own, so a terminal's Ctrl-C reaches only the sweep, which forwards it once to
/// every running child (each then checkpoints, as a plain run does) and launches nothing more.
public struct SweepRunner {
    public let plan: SweepPlan
    public let shard: Shard?
    public let jobs: Int
    /// The program to run for each run (this binary) and its arguments for entry r.
    public let executable: String
    public let arguments: (SweepPlan.Entry) -> [String]
    /// The signal received so far (0: none).
    public let receivedSignal: () -> Int32
    /// Where progress lines go (stdout, or nowhere with --quiet).
    public let say: (String) -> Void

    public init(plan: SweepPlan, shard: Shard?, jobs: Int, executable: String,
                arguments: @escaping (SweepPlan.Entry) -> [String],
                receivedSignal: @escaping () -> Int32, say: @escaping (String) -> Void) {
        self.plan = plan
        self.shard = shard
        self.jobs = jobs
        self.executable = executable
        self.arguments = arguments
        self.receivedSignal = receivedSignal
        self.say = say
    }

    /// How the sweep ended.
    public struct Outcome {
        public let summary: SweepSummary
        /// The files written at the top of the sweep folder.
        public let files: [String]
        /// 0 every run of this shard finished and passed its expectations; 1 any failed,
        /// diverged or is missing; 3 (else) any expectation failed; 130/143 interrupted.
        public let exitCode: ExitCode
    }

    public func run() throws -> Outcome {
        try plan.writePlan()
        try runOwnRuns()
        return try Self.summarize(plan, shard: shard, signal: receivedSignal())
    }

    /// Runs this shard's runs that have not finished earlier, `jobs` at a time, and waits for
    /// them (after a signal: for the running ones, which it passes the signal to). The sweep
    /// folder and its plan must exist.
    public func runOwnRuns() throws {
        let mine = plan.runs.filter { shard?.owns($0.index) ?? true }
        var queue: [SweepPlan.Entry] = []
        var done = 0
        func position() -> String { "[\(done)/\(mine.count)]" }
        for entry in mine {
            let (state, _) = SweepSummary.state(of: entry.folderName, digest: try plan.digest(of: entry), in: plan.folder)
            if state.isFinished {
                done += 1
                say("\(position()) \(entry.folderName): \(state.text) earlier with this spec, skipped")
            } else {
                queue.append(entry)
            }
        }
        var running: [pid_t: SweepPlan.Entry] = [:]
        var forwarded = false
        queue.reverse()  // pop from the end: the sweep's order
        while !running.isEmpty || (receivedSignal() == 0 && !queue.isEmpty) {
            let signal = receivedSignal()
            if signal != 0 && !forwarded {
                forwarded = true
                for pid in running.keys { kill(pid, signal) }
            }
            while signal == 0 && running.count < jobs, let entry = queue.popLast() {
                SweepFolder.clearFailure(of: entry.folderName, in: plan.folder)
                do {
                    running[try spawn(arguments(entry))] = entry
                } catch {
                    // Out of processes or memory: this run fails, the running ones go on.
                    done += 1
                    try SweepFolder.recordFailure(of: entry.folderName, exitCode: ExitCode.cannotCreate.rawValue, in: plan.folder)
                    say("\(position()) \(entry.folderName): failed (\(error))")
                }
            }
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0, let entry = running.removeValue(forKey: pid) {
                done += 1
                try finished(entry, status: status, position: position(), stopping: forwarded)
                continue
            }
            if pid < 0 && errno == ECHILD { break }
            usleep(20_000)
        }
    }

    /// Rebuilds summary.csv and the charts from the folder, with the exit code of `shard`'s
    /// runs (nil: every run), or of `signal` when the sweep received one (0: none).
    public static func summarize(_ plan: SweepPlan, shard: Shard?, signal: Int32) throws -> Outcome {
        let summary = try SweepSummary.read(plan.folder)
        let files = try summary.write()
        return Outcome(summary: summary, files: files, exitCode: exitCode(summary, shard: shard, signal: signal))
    }

    /// Notes how a child ended: a failure that left no folder is recorded beside it.
    /// A run the forwarded signal stopped before it could write anything (still loading its
    /// data) is not a failure: it stays missing and runs next time.
    private func finished(_ entry: SweepPlan.Entry, status: Int32, position: String, stopping: Bool) throws {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let (state, metrics) = SweepSummary.state(of: entry.folderName, digest: try plan.digest(of: entry), in: plan.folder)
        if stopping && (code == 130 || code == 143), !state.isRan {
            say("\(position) \(entry.folderName): stopped before training")
            return
        }
        guard case .ran(let text) = state else {
            try SweepFolder.recordFailure(of: entry.folderName, exitCode: code, in: plan.folder)
            say("\(position) \(entry.folderName): failed (exit \(code))")
            return
        }
        var line = "\(position) \(entry.folderName): \(text)"
        if let epochs = metrics?["epochs"]?.int { line += ", \(epochs) epochs" }
        if let loss = metrics?["final_loss"]?.numberText { line += ", final_loss \(loss)" }
        if metrics?["expect_passed"]?.bool == false { line += ", expect: failed" }
        say(line)
    }

    private static func exitCode(_ summary: SweepSummary, shard: Shard?, signal: Int32) -> ExitCode {
        if signal != 0 { return signal == SIGTERM ? .terminated : .interrupted }
        let rows = summary.rows.enumerated().filter { shard?.owns($0.offset) ?? true }.map(\.element)
        if rows.contains(where: { row in
            guard case .ran(let status) = row.state else { return true }
            return status == "diverged" || status == "interrupted"
        }) {
            return .trainingFailed
        }
        return rows.contains { $0.expectPassed == false } ? .expectationFailed : .success
    }

    /// Starts `executable` with `arguments` in a process group of its own; stdout and stderr
    /// are the sweep's, and so is the environment, less a launcher's variables: a sweep that is
    /// a rank of an `mpirun` job starts plain runs, which never initialise MPI.
    private func spawn(_ arguments: [String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environment = ProcessInfo.processInfo.environment.filter { !MPIGroup.isLauncherVariable($0.key) }
            .map { strdup($0.key + "=" + $0.value) } + [nil]
        defer { for pointer in environment { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, nil, &attributes, argv, environment)
        guard result == 0 else {
            throw PipelineError(.cannotCreate, "\(executable): error: cannot start a run of the sweep: \(OutputFolder.describe(result))")
        }
        return pid
    }
}
