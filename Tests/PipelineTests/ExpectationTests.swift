import Foundation
import PipelineSpec
import XCTest
@testable import Pipeline

/// `expect:` conditions: what they accept, the exact error for what they refuse, and how a
/// condition judges a value.
final class ExpectationTests: XCTestCase {
    func condition(_ text: String) throws -> (Expectation.Condition, String) {
        let root = try SpecLoader.load(text: "final_loss: \(text)\n", path: "spec.yaml")
        return try Expectation.parseCondition(try XCTUnwrap(root["final_loss"]), metric: "final_loss")
    }

    func testConditionsThatRead() throws {
        let table: [(String, Expectation.Condition, String)] = [
            ("\"< 0.05\"", .compare(.less, 0.05), "< 0.05"),
            ("\"<=0.05\"", .compare(.lessOrEqual, 0.05), "<= 0.05"),
            ("\">= 0.9\"", .compare(.greaterOrEqual, 0.9), ">= 0.9"),
            ("'> -1e-3'", .compare(.greater, -0.001), "> -1e-3"),
            ("\"== 100\"", .compare(.equal, 100), "== 100"),
            ("0.1..0.5", .range(0.1, 0.5), "0.1..0.5"),
            ("\" 1 .. 2 \"", .range(1, 2), "1..2"),
            ("\"-2.5E2..+.5\"", .range(-250, 0.5), "-2.5E2..+.5"),
        ]
        for (text, expected, normalised) in table {
            let (parsed, shown) = try condition(text)
            XCTAssertEqual(parsed, expected, text)
            XCTAssertEqual(shown, normalised, text)
        }
    }

    func testMalformedConditionsPointAtTheFault() {
        let table: [(String, String)] = [
            ("\"<< 0.05\"", "spec.yaml:1:15: error: 'expect.final_loss': expected a number after '<', found '< 0.05'"),
            ("\"< abc\"", "spec.yaml:1:16: error: 'expect.final_loss': expected a number after '<', found 'abc'"),
            ("0.05", "spec.yaml:1:13: error: 'expect.final_loss': 0.05 is a number, not a condition; write \"<= 0.05\", \"== 0.05\" or a range LOW..HIGH"),
            ("\"0.5..0.1\"", "spec.yaml:1:19: error: 'expect.final_loss': the range 0.5..0.1 is empty: its upper end is below its lower end"),
            ("\"< 1 x\"", "spec.yaml:1:18: error: 'expect.final_loss': unexpected 'x' after the condition"),
            ("\"~ 1\"", "spec.yaml:1:14: error: 'expect.final_loss': expected a condition such as \"< 0.05\", \">= 0.9\", \"== 100\" or \"0.1..0.5\", found '~ 1'"),
            ("\"< nan\"", "spec.yaml:1:16: error: 'expect.final_loss': expected a number after '<', found 'nan'"),
            ("\"\"", "spec.yaml:1:14: error: 'expect.final_loss': the condition is empty; expected a condition such as \"< 0.05\", \">= 0.9\", \"== 100\" or \"0.1..0.5\""),
            ("[1, 2]", "spec.yaml:1:13: error: expected a condition such as \"< 0.05\", \">= 0.9\", \"== 100\" or \"0.1..0.5\" for 'expect.final_loss', found a list"),
        ]
        for (text, header) in table {
            XCTAssertThrowsError(try condition(text), text) { error in
                XCTAssertEqual(String(describing: error).split(separator: "\n").first.map(String.init), header, text)
            }
        }
    }

    func testConditionsJudgeValues() {
        XCTAssertTrue(Expectation.Condition.compare(.less, 0.05).holds(for: 0.049))
        XCTAssertFalse(Expectation.Condition.compare(.less, 0.05).holds(for: 0.05))
        XCTAssertTrue(Expectation.Condition.compare(.lessOrEqual, 0.05).holds(for: 0.05))
        XCTAssertTrue(Expectation.Condition.compare(.greater, 1).holds(for: .infinity))
        XCTAssertFalse(Expectation.Condition.compare(.greaterOrEqual, 0.9).holds(for: 0.8999))
        XCTAssertTrue(Expectation.Condition.compare(.equal, 100).holds(for: 100))
        XCTAssertTrue(Expectation.Condition.range(0.1, 0.5).holds(for: 0.1))
        XCTAssertTrue(Expectation.Condition.range(0.1, 0.5).holds(for: 0.5))
        XCTAssertFalse(Expectation.Condition.range(0.1, 0.5).holds(for: 0.50001))
        XCTAssertFalse(Expectation.Condition.range(0.1, 0.5).holds(for: .nan))
    }

    func testMetricNames() {
        XCTAssertEqual(ExpectMetric.named("grad_norm_3"), .gradientNorm(layer: 3))
        XCTAssertEqual(ExpectMetric.named("grad_mean_abs_12"), .gradientMeanAbs(layer: 12))
        XCTAssertEqual(ExpectMetric.named("val_accuracy"), .validationAccuracy)
        for bad in ["grad_norm_0", "grad_norm_01", "grad_norm_", "grad_norm_x", "Final_loss", "grad_norm_1234567"] {
            XCTAssertNil(ExpectMetric.named(bad), bad)
        }
        for (name, metric) in ExpectMetric.fixedNames { XCTAssertEqual(metric.name, name) }
    }
}
