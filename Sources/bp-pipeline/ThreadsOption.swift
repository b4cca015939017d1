import ArgumentParser
import BackpropCore
@preconcurrency import Glibc

/// `--threads N`: every thread a run uses: OpenBLAS's, and the threads that write the charts
/// and history.csv at once (`Engine.write`, which asks `BLAS.threadCount`). Without it:
/// OPENBLAS_NUM_THREADS when that is set, else every online core.
struct ThreadsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Threads to use, BLAS included (default: every core, or OPENBLAS_NUM_THREADS when set).",
                               valueName: "N"),
            transform: ThreadCount.parse)
    var threads: Int?

    /// Sets the thread count before any matrix product runs; without `--threads` or
    /// OPENBLAS_NUM_THREADS the `ranksOnThisMachine` of a data-parallel job share the cores.
    func apply(ranksOnThisMachine: Int = 1) {
        if let threads {
            BLAS.setThreadCount(threads)
        } else if getenv("OPENBLAS_NUM_THREADS") == nil {
            BLAS.setThreadCount(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)) / max(ranksOnThisMachine, 1)))
        }
    }
}

/// `--threads` values: whole numbers from 1 to 1024.
enum ThreadCount {
    static func parse(_ argument: String) throws -> Int {
        guard let count = Int(argument), (1...1024).contains(count) else {
            throw ValidationError("expected a whole number of threads from 1 to 1024")
        }
        return count
    }
}
