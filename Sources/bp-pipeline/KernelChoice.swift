import BackpropCore
import Foundation
@preconcurrency import Glibc
import Pipeline

/// OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded, before any of bp-pipeline runs; so
/// to replace its fallback kernel (see `BLAS.betterCoreType`) the process starts itself again
/// with the variable set: the same program, arguments and process id. The variable being set
/// then ends the chain after one restart.
///
/// The restart is decided once the spec is read (microseconds for a YAML file) and before the
/// data is read or anything is written: a run whose every product stays at or under
/// `BLAS.directLimit` multiply-adds never calls BLAS, so its kernel cannot matter, and the
/// second process start (about half of the seed pipeline's whole time) is skipped.
enum KernelChoice {
    /// `Engine.load`, then the restart when the run may call BLAS.
    static func load(_ request: RunRequest) throws -> PipelineDefinition {
        let definition = try Engine.load(request)
        // A rank of an MPI job chose its kernel before MPI_Init (BPPipeline.main).
        if RankRun.group == nil && mayCallBLAS(definition) { restartWithABetterKernelIfNeeded() }
        return definition
    }

    /// False only when the run provably makes no product above `BLAS.directLimit`: the data
    /// stage tells its sample count from the spec (inline, synthetic) and no output runs the
    /// network on other points (decision_boundary's grid). Each layer's three products (forward
    /// X·W, ∂W = Xᵀ·δ, ∂X = δ·Wᵀ) cost rows · fan-in · units multiply-adds, and no pass holds
    /// more rows than all the samples together.
    static func mayCallBLAS(_ definition: PipelineDefinition) -> Bool {
        guard !definition.outputs.contains(where: { $0 is DecisionBoundaryOutput }) else { return true }
        let samples: Int
        if let inline = definition.data as? InlineData {
            samples = inline.sampleCount
        } else if let synthetic = definition.data as? SyntheticData, let shape = try? synthetic.estimatedShape() {
            samples = shape.samples
        } else {
            return true
        }
        var fanIn = definition.network.inputs
        for layer in definition.network.layers {
            let perRow = fanIn.multipliedReportingOverflow(by: layer.units)
            let product = samples.multipliedReportingOverflow(by: perRow.partialValue)
            if perRow.overflow || product.overflow || product.partialValue > BLAS.directLimit { return true }
            fanIn = layer.units
        }
        return false
    }

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
