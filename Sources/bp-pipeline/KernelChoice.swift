import BackpropCore
import Foundation
@preconcurrency import Glibc

/// OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded, before any of bp-pipeline runs; so
/// to replace its fallback kernel (see `BLAS.betterCoreType`) the process starts itself again
/// with the variable set: the same program, arguments and process id, before anything is read or
/// written. The variable being set then ends the chain after one restart.
enum KernelChoice {
    static func restartWithABetterKernelIfNeeded() {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let requested = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        guard let core = BLAS.betterCoreType(chosen: BLAS.coreName, cpuFlags: BLAS.cpuFlags(cpuinfo: cpuinfo),
                                             requested: requested) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        // On success execv does not return; on failure the run goes on with the kernel it has.
        _ = execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }
}
