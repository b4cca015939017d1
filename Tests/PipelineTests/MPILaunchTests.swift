import Pipeline
import XCTest

/// Which environments make a process a rank of a data-parallel job (and so call MPI_Init).
final class MPILaunchTests: XCTestCase {
    func testTheLaunchersEnvironmentDecidesAndAPlainRunStaysPlain() {
        let cases: [([String: String], Bool, String)] = [
            ([:], false, "a plain run"),
            (["PATH": "/usr/bin", "OPENBLAS_CORETYPE": "Haswell"], false, "a plain run with the kernel restart's variable"),
            (["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"], true, "Open MPI's mpirun"),
            (["OMPI_COMM_WORLD_SIZE": "1"], true, "mpirun -np 1"),
            (["PMI_SIZE": "4", "PMI_RANK": "0"], true, "MPICH's launcher"),
            (["PMIX_RANK": "3"], true, "a PMIx launcher (srun --mpi=pmix)"),
            (["SLURM_PROCID": "1", "SLURM_STEP_NUM_TASKS": "2"], true, "a task of an srun step"),
            (["SLURM_PROCID": "0", "SLURM_NTASKS": "8", "SLURM_JOB_ID": "17"], false, "an sbatch script's own shell, no srun"),
        ]
        for (environment, launched, what) in cases {
            XCTAssertEqual(MPIGroup.launched(environment: environment), launched, what)
            // What a sweep's run gets: never a rank, whatever launched the sweep.
            XCTAssertFalse(MPIGroup.launched(environment: environment.filter { !MPIGroup.isLauncherVariable($0.key) }), what)
        }
    }

    /// The variables a sweep's runs start without: the launcher's, and only those.
    func testASweepsRunsLoseTheLaunchersVariablesAndKeepTheRest() {
        let launcher = ["OMPI_COMM_WORLD_SIZE", "OMPI_MCA_orte_hnp_uri", "PMIX_RANK", "PMIX_NAMESPACE", "PMI_SIZE", "PMI_FD",
                        "SLURM_PROCID", "SLURM_STEP_NUM_TASKS"]
        let kept = ["PATH", "HOME", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "SLURM_JOB_ID", "SLURM_ARRAY_TASK_ID",
                    "SLURM_NTASKS", "SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS", "PMIXED", "XOMPI_SIZE"]
        XCTAssertEqual(launcher.filter { !MPIGroup.isLauncherVariable($0) }, [])
        XCTAssertEqual(kept.filter { MPIGroup.isLauncherVariable($0) }, [])
    }
}
