import BackpropCore
import Foundation
import XCTest

/// The restart with a better OpenBLAS kernel, through the real binary: OPENBLAS_VERBOSE=2 makes
/// OpenBLAS print `Core: NAME` each time it is loaded, so a restart shows as a second line.
final class KernelChoiceEndToEndTests: XCTestCase {
    static let root = Binary.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `Core:` lines of `bp-pipeline validate SPEC`: validate reads the spec, as a run does,
    /// before it decides on the restart.
    func coreLines(_ spec: String, _ environment: [String: String]) throws -> [String] {
        let result = try Binary.run(["validate", spec, "--quiet"], in: Self.root, environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stderr.split(separator: "\n").filter { $0.hasPrefix("Core: ") }.map { String($0.dropFirst(6)) }
    }

    func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment.merge(extra) { $1 }
        return environment
    }

    /// spiral.yaml's 1000 points through 2-16-... layers make products far above BLAS.directLimit.
    func testARunThatCallsBLASRestartsOnceWithTheKernelBLASChoosesOnThisMachine() throws {
        // What OpenBLAS picks here by itself, and what bp-pipeline should make of it on this CPU.
        let lines = try coreLines("Pipelines/spiral.yaml", environment(["OPENBLAS_VERBOSE": "2"]))
        let first = try XCTUnwrap(lines.first, "OPENBLAS_VERBOSE=2 printed no Core line")
        let flags = BLAS.cpuFlags(cpuinfo: try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))
        if let better = BLAS.betterCoreType(chosen: first, cpuFlags: flags, requested: nil) {
            XCTAssertEqual(lines, [first, better], "one restart, with the better kernel")
        } else {
            XCTAssertEqual(lines, [first], "no restart when OpenBLAS's choice stands")
        }
    }

    /// The seed's one sample through 2-2-2 layers: every product is 1 · 2 · 2 = 4 multiply-adds,
    /// done by the direct loop, so the process never starts a second time.
    func testARunThatNeverCallsBLASDoesNotRestart() throws {
        XCTAssertEqual(try coreLines("Pipelines/seed.yaml", environment(["OPENBLAS_VERBOSE": "2"])).count, 1)
    }

    func testTheUsersOPENBLAS_CORETYPEIsNeverReplaced() throws {
        XCTAssertEqual(try coreLines("Pipelines/spiral.yaml", environment(["OPENBLAS_VERBOSE": "2", "OPENBLAS_CORETYPE": "Prescott"])),
                       ["Prescott"])
    }
}
