import XCTest
@testable import BackpropCore

/// `BLAS.betterCoreType`: OpenBLAS's Prescott fallback is replaced only by a kernel the CPU can
/// run, and never against the user's OPENBLAS_CORETYPE.
final class KernelChoiceTests: XCTestCase {
    static let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    func testOnlyThePrescottFallbackIsReplacedByAKernelTheCPUHas() {
        let cases: [(chosen: String, flags: Set<String>, requested: String?, expected: String?, why: String)] = [
            ("Prescott", Self.avx512, nil, "SkylakeX", "an AVX-512 CPU OpenBLAS did not know"),
            ("Prescott", ["sse4_2", "avx", "avx2", "fma"], nil, "Haswell", "AVX2 and FMA only"),
            ("Prescott", ["sse4_2", "avx", "avx2"], nil, nil, "AVX2 without FMA: Haswell's kernels use FMA"),
            ("Prescott", Self.avx512.subtracting(["avx512bw"]), nil, "Haswell", "AVX-512 without BW is not enough for SkylakeX"),
            ("Prescott", ["sse3"], nil, nil, "nothing better to run"),
            ("Prescott", Self.avx512, "Prescott", nil, "the user's choice stands"),
            ("Prescott", Self.avx512, "", nil, "even an empty OPENBLAS_CORETYPE is the user's"),
            ("Cooperlake", Self.avx512, nil, nil, "OpenBLAS knew the CPU"),
            ("Zen", ["avx2", "fma"], nil, nil, "OpenBLAS knew the CPU"),
            ("Haswell", Self.avx512, nil, nil, "a real choice, not the fallback"),
        ]
        for c in cases {
            XCTAssertEqual(BLAS.betterCoreType(chosen: c.chosen, cpuFlags: c.flags, requested: c.requested), c.expected, c.why)
        }
    }

    func testCPUFlagsAreReadFromTheFirstProcessorsFlagsLine() {
        let cpuinfo = """
            processor\t: 0
            model name\t: Intel(R) Xeon(R) Processor
            flags\t\t: fpu sse2 avx2 fma avx512f
            bugs\t\t: spectre_v1

            processor\t: 1
            flags\t\t: fpu sse2
            """
        XCTAssertEqual(BLAS.cpuFlags(cpuinfo: cpuinfo), ["fpu", "sse2", "avx2", "fma", "avx512f"])
        XCTAssertEqual(BLAS.cpuFlags(cpuinfo: ""), [])
        XCTAssertEqual(BLAS.cpuFlags(cpuinfo: "processor : 0\n"), [])
    }
}
