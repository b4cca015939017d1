import Foundation
import XCTest

/// `bp-pipeline gradcheck`: its report and exit codes, through the built executable.
final class GradCheckCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The executable SwiftPM builds next to the test bundle.
    static var executable: URL? {
        var folders: [URL] = []
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        folders.append(Bundle.main.bundleURL)
        return folders.map { $0.appendingPathComponent("bp-pipeline") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    func gradcheck(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try XCTUnwrap(Self.executable, "bp-pipeline not found next to the test bundle; build with --build-tests")
        process.arguments = ["gradcheck"] + arguments
        process.currentDirectoryURL = Self.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    func testXorPassesWithAReportPerLayer() throws {
        let result = try gradcheck(["Pipelines/xor.yaml"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, result.stdout)
        XCTAssertEqual(lines[0], "Pipelines/xor.yaml: gradcheck of 17 parameters (17 checked) on the first batch of 4 samples, fourth-order differences, h = 1e-3")
        XCTAssertTrue(lines[1].hasPrefix("layer 1: worst relative error "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("layer 2: worst relative error "), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("ok: worst relative error "), lines[3])
    }

    func testEveryActivationOfTheDeepNetworkWithSetOverrides() throws {
        for activation in ["sigmoid", "relu"] {
            let result = try gradcheck(["Pipelines/deep-relu.yaml", "--set", "activation.type=\(activation)"])
            XCTAssertEqual(result.status, 0, "\(activation): \(result.stdout)\(result.stderr)")
        }
    }

    func testAnImpossibleToleranceFailsWithExitOne() throws {
        let result = try gradcheck(["Pipelines/xor.yaml", "--tolerance", "1e-30"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("FAILED: W1["), result.stdout)
        XCTAssertTrue(result.stdout.contains("> 1.00e-30"), result.stdout)
    }

    func testBadSpecAndBadToleranceAreUsageErrors() throws {
        let missing = try gradcheck(["Pipelines/no-such.yaml"])
        XCTAssertEqual(missing.status, 66)
        let tolerance = try gradcheck(["Pipelines/xor.yaml", "--tolerance", "0"])
        XCTAssertEqual(tolerance.status, 64)
        XCTAssertTrue(tolerance.stderr.contains("--tolerance must be a positive number, found 0.0"), tolerance.stderr)
    }
}
