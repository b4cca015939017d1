import BackpropCore
import CMPI
import Foundation

/// The MPI job this process is one rank of, when a launcher (`mpirun`, `srun`) started it: the
/// only user of CMPI. A plain run never creates one, so it never initialises MPI.
///
/// Besides the core's per-step exchange (`ProcessGroup`), it answers the one question the ranks
/// must agree on outside training: did any rank fail, and with which exit code (`agree`).
public final class MPIGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    /// The ranks on this machine (this one included): they share its cores.
    public let localSize: Int
    /// Nanoseconds spent in the step exchanges: the transfer, and waiting for the slowest rank.
    public private(set) var exchangeNanoseconds: UInt64 = 0
    /// The exchanges so far (one per training step).
    public private(set) var exchanges = 0

    /// Whether the environment says a launcher started this process as a rank: Open MPI's
    /// `mpirun` sets OMPI_COMM_WORLD_SIZE, MPICH's PMI_SIZE, a PMIx launcher (`srun --mpi=pmix`)
    /// PMIX_RANK, and Slurm's `srun` SLURM_PROCID with SLURM_STEP_NUM_TASKS (a batch script's own
    /// step has SLURM_PROCID but is no job step of ranks, so it runs plain).
    public static func launched(environment: [String: String]) -> Bool {
        if ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains(where: { environment[$0] != nil }) { return true }
        return environment["SLURM_PROCID"] != nil && environment["SLURM_STEP_NUM_TASKS"] != nil
    }

    /// Whether `name` is one of the environment variables a launcher gives its ranks: Open MPI's
    /// OMPI_*, PMIx's PMIX_*, MPICH's PMI_*, and Slurm's SLURM_PROCID and SLURM_STEP_NUM_TASKS
    /// (every variable `launched` reads, and what an MPI library reads to join the job). A
    /// sweep's runs start without them, so each is a plain single-process run, never a rank.
    public static func isLauncherVariable(_ name: some StringProtocol) -> Bool {
        ["OMPI_", "PMIX_", "PMI_"].contains { name.hasPrefix($0) } || name == "SLURM_PROCID" || name == "SLURM_STEP_NUM_TASKS"
    }

    /// MPI_Init, then this rank's place in MPI_COMM_WORLD. Open MPI ends the process itself (with
    /// its own message) when it cannot start.
    public init() {
        var argc = CommandLine.argc
        var argv = Optional(CommandLine.unsafeArgv)
        MPI_Init(&argc, &argv)
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(shim_MPI_COMM_WORLD(), &rank)
        MPI_Comm_size(shim_MPI_COMM_WORLD(), &size)
        self.rank = Int(rank)
        self.size = Int(size)
        // The ranks that share memory with this one, i.e. run on this machine.
        var local: MPI_Comm?
        var localSize: Int32 = 1
        MPI_Comm_split_type(shim_MPI_COMM_WORLD(), Int32(MPI_COMM_TYPE_SHARED), rank, shim_MPI_INFO_NULL(), &local)
        MPI_Comm_size(local, &localSize)
        MPI_Comm_free(&local)
        self.localSize = Int(localSize)
    }

    /// MPI_Finalize: the last MPI call of the process.
    public func finish() { MPI_Finalize() }

    /// The largest step exchange one MPI_Allgather of bytes can carry (its counts are Int32).
    public static let largestExchange = Int(Int32.max)

    public func allGather(_ mine: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) {
        let start = DispatchTime.now().uptimeNanoseconds
        MPI_Allgather(mine.baseAddress, Int32(mine.count), shim_MPI_BYTE(),
                      all.baseAddress, Int32(mine.count), shim_MPI_BYTE(), shim_MPI_COMM_WORLD())
        exchangeNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        exchanges += 1
    }

    public func allToAll(_ send: UnsafeRawBufferPointer, counts sendCounts: [Int], offsets sendOffsets: [Int],
                         into receive: UnsafeMutableRawBufferPointer, counts receiveCounts: [Int], offsets receiveOffsets: [Int]) {
        let start = DispatchTime.now().uptimeNanoseconds
        Self.withInt32(sendCounts, sendOffsets, receiveCounts, receiveOffsets) { sc, so, rc, ro in
            MPI_Alltoallv(send.baseAddress, sc, so, shim_MPI_BYTE(), receive.baseAddress, rc, ro, shim_MPI_BYTE(),
                          shim_MPI_COMM_WORLD())
        }
        exchangeNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        exchanges += 1
    }

    public func allGatherInPlace(_ all: UnsafeMutableRawBufferPointer, counts: [Int], offsets: [Int]) {
        let start = DispatchTime.now().uptimeNanoseconds
        Self.withInt32(counts, offsets, counts, offsets) { c, o, _, _ in
            MPI_Allgatherv(shim_MPI_IN_PLACE(), 0, shim_MPI_BYTE(), all.baseAddress, c, o, shim_MPI_BYTE(), shim_MPI_COMM_WORLD())
        }
        exchangeNanoseconds += DispatchTime.now().uptimeNanoseconds - start
    }

    /// The four arrays as Int32 (MPI's counts and displacements) in stack buffers, so a step's
    /// exchange allocates nothing. The callers' byte counts fit: `largestExchange` is checked
    /// for the whole exchange before training.
    private static func withInt32(_ a: [Int], _ b: [Int], _ c: [Int], _ d: [Int],
                                  _ body: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>) -> Void) {
        let n = a.count
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * max(n, 1)) { buffer in
            for i in 0..<n {
                buffer[i] = Int32(clamping: a[i])
                buffer[n + i] = Int32(clamping: b[i])
                buffer[2 * n + i] = Int32(clamping: c[i])
                buffer[3 * n + i] = Int32(clamping: d[i])
            }
            let base = UnsafePointer(buffer.baseAddress!)
            body(base, base + n, base + 2 * n, base + 3 * n)
        }
    }

    /// Every rank's `values` (the same count on each), in rank order; not timed as an exchange.
    ///
    /// A rank can wait here long for the others (a sweep's rank for the slowest rank's runs), so
    /// it sleeps 1 ms between checks instead of spinning in a blocking MPI_Allgather, and leaves
    /// its core to the processes still training. Every call of it is this non-blocking kind:
    /// MPI matches a non-blocking collective only with non-blocking ones.
    func gather(_ values: [Int64]) -> [[Int64]] {
        var all = [Int64](repeating: 0, count: values.count * size)
        values.withUnsafeBufferPointer { mine in
            all.withUnsafeMutableBufferPointer {
                var request: MPI_Request?
                MPI_Iallgather(mine.baseAddress, Int32(values.count), shim_MPI_INT64_T(),
                               $0.baseAddress, Int32(values.count), shim_MPI_INT64_T(), shim_MPI_COMM_WORLD(), &request)
                var done: Int32 = 0
                while true {
                    MPI_Test(&request, &done, nil)
                    if done != 0 { break }
                    usleep(1_000)
                }
            }
        }
        return (0..<size).map { Array(all[$0 * values.count ..< ($0 + 1) * values.count]) }
    }

    /// Collective: every rank's `value`, in rank order; it returns once every rank called it.
    public func everyRank(_ value: Int32) -> [Int32] { gather([Int64(value)]).map { Int32($0[0]) } }

    /// Collective: every rank says how it ends, `code` (0: fine so far) with the `message` it
    /// would print; the job's outcome is that of the lowest rank with a non-zero code. Returns
    /// normally when every code is 0; otherwise throws `RankOutcome` on every rank, carrying the
    /// outcome's code and, only on the rank it came from, the message, so it is printed once.
    ///
    /// A rank that failed calls this once and ends; the others call it at each of the same points
    /// (after loading, after creating the output folder, at the end), so a failure on any rank
    /// meets the others' next call.
    public func agree(code: Int32, message: String?) throws {
        let codes = everyRank(code)
        guard let first = codes.firstIndex(where: { $0 != 0 }) else { return }
        throw RankOutcome(exitCode: codes[first], message: first == rank ? message : nil)
    }

    /// `agree(code:message:)` for an error (nil: fine so far).
    public func agree(_ error: (any Error)?) throws {
        let (code, message) = error.map(RankOutcome.describe) ?? (0, nil)
        try agree(code: code, message: message)
    }

    /// Collective: nil when every rank loaded the same training set (by count and a hash of its
    /// numbers), else the error rank 0 reports, naming the first rank that differs.
    public func checkSameData(_ data: Dataset) -> PipelineError? {
        let all = gather([Int64(data.count), Int64(bitPattern: Self.fingerprint(data))])
        guard let other = all.firstIndex(where: { $0 != all[0] }) else { return nil }
        return PipelineError(.dataError, "error: rank \(other) of \(size) loaded other training data than rank 0 "
                             + "(\(all[other][0]) samples against \(all[0][0]), or other values); every rank must read the same files")
    }

    /// FNV-1a over the bit patterns of every input and target.
    static func fingerprint(_ data: Dataset) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for values in [data.inputs.storage, data.targets.storage] {
            for v in values {
                hash = (hash ^ v.bitPattern) &* 0x100_0000_01b3
            }
        }
        return hash
    }
}

/// How a data-parallel job ends once its ranks agreed (`MPIGroup.agree`): the exit code every
/// rank uses, and on the one rank that reports it, the message.
public struct RankOutcome: Error {
    public let exitCode: Int32
    public let message: String?

    public init(exitCode: Int32, message: String?) {
        self.exitCode = exitCode
        self.message = message
    }

    /// A rank's exit code and message for `error`: a PipelineError's own, 1 and the error's
    /// text for anything unexpected.
    static func describe(_ error: any Error) -> (Int32, String?) {
        switch error {
        case let error as RankOutcome: return (error.exitCode, error.message)
        case let error as PipelineError: return (error.exitCode.rawValue, error.description)
        case let error as ReportedExit: return (error.exitCode, nil)
        default: return (ExitCode.trainingFailed.rawValue, "bp-pipeline: error: \(error)")
        }
    }
}

/// An exit code whose message (if any) the command line already printed, such as an
/// interrupted run's 143 after its summary.
public struct ReportedExit: Error {
    public let exitCode: Int32
    public init(_ exitCode: Int32) { self.exitCode = exitCode }
}
