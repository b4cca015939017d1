/// `--shard K/N`: this process runs the sweep's runs whose 0-based index r has r mod N = K − 1.
/// Runs are counted with their seeds (run r is combination r / seeds, seed r mod seeds), so a
/// sweep of few combinations and many seeds still spreads over many shards.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    /// 1-based, as Slurm array and CI matrix indices usually are.
    public let index: Int
    public let count: Int
    /// Where `--shard auto` found it ("SLURM_ARRAY_TASK_ID=5, ..."), nil for `--shard K/N`.
    public let source: String?

    /// The largest shard count accepted (far beyond any array a scheduler runs).
    public static let maximumCount = 1_000_000

    public init(index: Int, count: Int, source: String? = nil) {
        self.index = index
        self.count = count
        self.source = source
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether run `runIndex` (0-based) is this shard's.
    public func owns(_ runIndex: Int) -> Bool { runIndex % count == index - 1 }

    /// Reads `--shard` (`K/N` or `auto`) with `--shard-count`; `environment` is the process's.
    /// Errors are usage errors (exit 64) quoting what was given.
    public static func parse(_ argument: String, count shardCount: Int?, environment: [String: String]) throws -> Shard {
        if argument == "auto" { return try automatic(count: shardCount, environment: environment) }
        if shardCount != nil {
            throw usage("--shard-count: error: --shard-count goes with --shard auto (the count of a Kubernetes Indexed Job); "
                        + "with --shard K/N the count is N")
        }
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = number(parts[0]), let n = number(parts[1]), n >= 1, n <= maximumCount, (1...n).contains(k) else {
            throw usage("--shard: error: expected K/N with 1 <= K <= N (for example 2/4), or auto; found '\(argument)'")
        }
        return Shard(index: k, count: n)
    }

    /// The scheduler's own variables, first found first: Slurm job arrays, Kubernetes Indexed
    /// Jobs (with `--shard-count`), GitLab CI `parallel:`.
    static func automatic(count shardCount: Int?, environment: [String: String]) throws -> Shard {
        func value(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let number = number(Substring(text)) else {
                throw usage("--shard auto: error: \(name) is '\(text)', not a whole number")
            }
            return number
        }
        func checked(_ index: Int, _ count: Int, _ source: String) throws -> Shard {
            guard count >= 1, count <= maximumCount, (1...count).contains(index) else {
                throw usage("--shard auto: error: \(source) gives shard \(index) of \(count), which is not between 1 and \(count)")
            }
            return Shard(index: index, count: count, source: source)
        }
        if let id = try value("SLURM_ARRAY_TASK_ID") {
            guard let count = try value("SLURM_ARRAY_TASK_COUNT") else {
                throw usage("--shard auto: error: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; "
                            + "run inside an array job (sbatch --array), or give --shard K/N")
            }
            let minimum = try value("SLURM_ARRAY_TASK_MIN") ?? 0
            let step = try value("SLURM_ARRAY_TASK_STEP") ?? 1
            // --array=MIN-MAX:STEP numbers the tasks MIN, MIN+STEP, ...; task i is shard i+1.
            guard step >= 1, id >= minimum, (id - minimum) % step == 0 else {
                throw usage("--shard auto: error: SLURM_ARRAY_TASK_ID=\(id) is not MIN + i·STEP for SLURM_ARRAY_TASK_MIN=\(minimum), "
                            + "SLURM_ARRAY_TASK_STEP=\(step); give --shard K/N")
            }
            var source = "SLURM_ARRAY_TASK_ID=\(id), SLURM_ARRAY_TASK_MIN=\(minimum), SLURM_ARRAY_TASK_COUNT=\(count)"
            if step != 1 { source += ", SLURM_ARRAY_TASK_STEP=\(step)" }
            return try checked((id - minimum) / step + 1, count, source)
        }
        if let index = try value("JOB_COMPLETION_INDEX") {
            guard let shardCount else {
                throw usage("--shard auto: error: JOB_COMPLETION_INDEX is \(index) but Kubernetes does not say how many completions the Job has; "
                            + "give --shard-count N (the Job's spec.completions)")
            }
            return try checked(index + 1, shardCount, "JOB_COMPLETION_INDEX=\(index), --shard-count \(shardCount)")
        }
        if let index = try value("CI_NODE_INDEX") {
            guard let total = try value("CI_NODE_TOTAL") else {
                throw usage("--shard auto: error: CI_NODE_INDEX is set but CI_NODE_TOTAL is not; give --shard K/N")
            }
            return try checked(index, total, "CI_NODE_INDEX=\(index), CI_NODE_TOTAL=\(total)")
        }
        throw usage("--shard auto: error: no scheduler's shard variables are set (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, CI_NODE_INDEX); "
                    + "give --shard K/N")
    }

    /// A plain decimal number without sign (at most 9 digits, so no overflow).
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    private static func usage(_ message: String) -> PipelineError { PipelineError(.usage, message) }
}
