import Foundation
import TestSupport
import XCTest

/// `expect:` through the real binary: verdict lines, metrics.json, and exit 3 after the
/// outputs are written.
final class ExpectTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try Binary.copyOfFixtures("outcomes")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func metrics(_ run: String) throws -> [String: Any] {
        try JSONReader.object(atPath: folder.appendingPathComponent("runs/\(run)/metrics.json").path)
    }

    /// metrics.json's final_loss as written (Swift's shortest round-trip form, as the verdict prints it).
    func finalLossText(_ run: String) throws -> String {
        let text = try String(contentsOf: folder.appendingPathComponent("runs/\(run)/metrics.json"), encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("\"final_loss\": ") })
        return String(line.split(separator: " ").last!.dropLast())
    }

    func testConditionsThatHoldExitZeroWithAVerdictEach() throws {
        let result = try Binary.run(["quick.yaml", "--set", "expect.final_loss=\"< 1\"", "--set", "expect.epochs=\"== 50\"",
                                     "--set", "expect.grad_norm_ratio_epoch1=\"0..1e6\""], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, result.stdout)
        XCTAssertEqual(lines[2], "expect: final_loss \(try finalLossText("quick")) < 1 ok")
        XCTAssertEqual(lines[3], "expect: epochs 50 == 50 ok")
        XCTAssertTrue(lines[4].hasPrefix("expect: grad_norm_ratio_epoch1 ") && lines[4].hasSuffix(" 0..1e6 ok"), lines[4])
        let metrics = try metrics("quick")
        XCTAssertEqual(metrics["expect_passed"] as? Bool, true)
        let expectations = try XCTUnwrap(metrics["expectations"] as? [[String: Any]])
        XCTAssertEqual(expectations.map { $0["metric"] as? String }, ["final_loss", "epochs", "grad_norm_ratio_epoch1"])
        XCTAssertEqual(expectations.map { $0["condition"] as? String }, ["< 1", "== 50", "0..1e6"])
        XCTAssertEqual(expectations[1]["value"] as? Int, 50)
        XCTAssertEqual(expectations[0]["value"] as? Double, metrics["final_loss"] as? Double)
        XCTAssertEqual(expectations.map { $0["passed"] as? Bool }, [true, true, true])
    }

    func testAFailedConditionExitsThreeAfterWritingTheOutputs() throws {
        let result = try Binary.run(["quick.yaml", "--set", "expect.final_loss=\"< 1e-9\"", "--set", "expect.epochs=\">= 50\""], in: folder)
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.suffix(2), ["expect: final_loss \(try finalLossText("quick")) < 1e-9 FAILED", "expect: epochs 50 >= 50 ok"])
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs/quick").path)
        XCTAssertEqual(Set(files), [".bp-pipeline-run", "metrics.json", "history.csv", "model.json"])
        let metrics = try metrics("quick")
        XCTAssertEqual(metrics["status"] as? String, "completed")
        XCTAssertEqual(metrics["expect_passed"] as? Bool, false)
        let expectations = try XCTUnwrap(metrics["expectations"] as? [[String: Any]])
        XCTAssertEqual(expectations.map { $0["passed"] as? Bool }, [false, true])
    }

    func testQuietPrintsOnlyTheFailedConditionOnStderr() throws {
        let result = try Binary.run(["quick.yaml", "--quiet", "--set", "expect.final_loss=\"< 1e-9\"", "--set", "expect.epochs=\"== 50\""], in: folder)
        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "quick.yaml: error: expect: final_loss \(try finalLossText("quick")) < 1e-9 FAILED\n")
    }

    func testADivergedRunStaysExitOneAndRecordsItsVerdicts() throws {
        let result = try Binary.run(["explodes.yaml", "--set", "expect.final_loss=\"< 1\""], in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        // The loss overflows to inf in epoch 2 (see explodes.yaml); inf < 1 is false.
        XCTAssertTrue(result.stdout.hasSuffix("\nexpect: final_loss inf < 1 FAILED\n"), result.stdout)
        let metrics = try metrics("explodes")
        XCTAssertEqual(metrics["status"] as? String, "diverged")
        XCTAssertEqual(metrics["expect_passed"] as? Bool, false)
    }
}
