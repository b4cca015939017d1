import BackpropCore
import PipelineSpec

/// One `expect:` entry: a condition on a final metric of the run, for CI.
///
///     expect:
///       final_loss: "< 0.05"
///       val_accuracy: ">= 0.9"
///       grad_norm_ratio: "0.001..1000"
///
/// A condition is `OP NUMBER` with OP one of `<`, `<=`, `>`, `>=`, `==`, or an inclusive range
/// `LOW..HIGH`. After a finished run every condition is checked against the value metrics.json
/// records; any that fails makes the run exit 3 once its outputs are written.
public struct Expectation: Sendable {
    public enum Comparison: String, Sendable, CaseIterable {
        // Two-character operators first, so "<=" is not read as "<" followed by "=".
        case lessOrEqual = "<=", greaterOrEqual = ">=", equal = "==", less = "<", greater = ">"
    }

    public enum Condition: Sendable, Equatable {
        case compare(Comparison, Double)
        /// low ≤ x ≤ high.
        case range(Double, Double)

        public func holds(for x: Double) -> Bool {
            switch self {
            case .compare(.less, let bound): return x < bound
            case .compare(.lessOrEqual, let bound): return x <= bound
            case .compare(.greater, let bound): return x > bound
            case .compare(.greaterOrEqual, let bound): return x >= bound
            case .compare(.equal, let bound): return x == bound
            case .range(let low, let high): return low <= x && x <= high
            }
        }
    }

    public let metric: ExpectMetric
    public let condition: Condition
    /// The condition as written, trimmed ("< 0.05"), for the verdict line and metrics.json.
    public let text: String
    /// The metric's key in the spec, for errors found once the data is loaded.
    let node: SpecNode
}

/// A metric an expectation can name: what metrics.json records for a finished run, plus the
/// gradient health figures of history.csv's last (or first) row.
public enum ExpectMetric: Sendable, Equatable {
    case finalLoss, lastEpochLoss, epochs, bestEpoch, finalRegularization
    case trainAccuracy, validationLoss, validationAccuracy, testLoss, testAccuracy, trainingSeconds
    /// history.csv's `grad_norm_l` / `grad_mean_abs_l` in the last epoch (l 1-based).
    case gradientNorm(layer: Int), gradientMeanAbs(layer: Int)
    /// grad_norm_1 / grad_norm_L of the last epoch, or of epoch 1: below 1 the first layer
    /// learns more slowly than the last (the seed's vanishing gradient), far below, hardly at all.
    case gradientNormRatio, gradientNormRatioEpoch1
    /// Regression: `mse`, `rmse`, `mae` or `r2` (RegressionMetrics) of the part `train`, `val` or
    /// `test`, with the final parameters, as metrics.json records them.
    case regression(part: String, measure: String)

    /// The names in the order the README lists them; `grad_norm_l` and `grad_mean_abs_l` stand
    /// for one name per layer.
    static let fixedNames: [(String, ExpectMetric)] = [
        ("final_loss", .finalLoss), ("last_epoch_loss", .lastEpochLoss), ("epochs", .epochs),
        ("best_epoch", .bestEpoch), ("final_regularization", .finalRegularization),
        ("train_accuracy", .trainAccuracy), ("val_loss", .validationLoss), ("val_accuracy", .validationAccuracy),
        ("test_loss", .testLoss), ("test_accuracy", .testAccuracy), ("train_seconds", .trainingSeconds),
        ("grad_norm_ratio", .gradientNormRatio), ("grad_norm_ratio_epoch1", .gradientNormRatioEpoch1),
    ] + ["train", "val", "test"].flatMap { part in
        ["r2", "rmse", "mae", "mse"].map { ("\(part)_\($0)", ExpectMetric.regression(part: part, measure: $0)) }
    }

    var isRegression: Bool {
        if case .regression = self { return true }
        return false
    }

    public var name: String {
        switch self {
        case .gradientNorm(let layer): return "grad_norm_\(layer)"
        case .gradientMeanAbs(let layer): return "grad_mean_abs_\(layer)"
        default: return Self.fixedNames.first { $0.1 == self }?.0 ?? ""
        }
    }

    /// The metric called `name` (layer numbers not yet checked against the network), or nil.
    static func named(_ name: String) -> ExpectMetric? {
        if let fixed = fixedNames.first(where: { $0.0 == name }) { return fixed.1 }
        for (prefix, make) in [("grad_norm_", ExpectMetric.gradientNorm), ("grad_mean_abs_", ExpectMetric.gradientMeanAbs)]
        where name.hasPrefix(prefix) {
            let digits = name.dropFirst(prefix.count)
            // "grad_norm_01" is not history.csv's spelling; only a plain 1-based number is.
            guard let first = digits.first, first != "0", digits.count <= 6, digits.allSatisfy(\.isASCII),
                  let layer = Int(digits) else { return nil }
            return make(layer)
        }
        return nil
    }

    /// Epoch counts print as integers.
    var isInteger: Bool { self == .epochs || self == .bestEpoch }

    /// The value for a finished run; nil when this run has none (best_epoch of a run that
    /// diverged in its first epoch).
    func value(in report: RunReport) -> Double? {
        let outcome = report.outcome
        func lastNorms(_ keyPath: KeyPath<EpochRecord, [Double]>, _ layer: Int) -> Double? {
            guard let record = outcome.history.last, layer <= record[keyPath: keyPath].count else { return nil }
            return record[keyPath: keyPath][layer - 1]
        }
        func ratio(_ record: EpochRecord?) -> Double? {
            guard let norms = record?.gradientNorms, let first = norms.first, let last = norms.last else { return nil }
            return first / last
        }
        switch self {
        case .finalLoss: return outcome.finalLoss
        case .lastEpochLoss: return outcome.history.last?.loss
        case .epochs: return Double(outcome.history.count)
        case .bestEpoch: return outcome.bestEpoch.map(Double.init)
        case .finalRegularization: return outcome.finalRegularization
        case .trainAccuracy: return outcome.finalAccuracy
        case .validationLoss: return outcome.finalValidationLoss
        case .validationAccuracy: return outcome.finalValidationAccuracy
        case .testLoss: return report.testEvaluation?.loss
        case .testAccuracy: return report.testEvaluation?.accuracy
        case .trainingSeconds: return report.trainingSeconds
        case .gradientNorm(let layer): return lastNorms(\.gradientNorms, layer)
        case .gradientMeanAbs(let layer): return lastNorms(\.gradientMeanAbs, layer)
        case .gradientNormRatio: return ratio(outcome.history.last)
        case .gradientNormRatioEpoch1: return ratio(outcome.history.first)
        case .regression(let part, let measure):
            return report.regressionMetrics.first { $0.prefix == part }?.metrics.value(measure)
        }
    }
}

/// An expectation checked against a finished run.
public struct ExpectationResult: Sendable, Equatable {
    public let metric: String
    public let condition: String
    /// nil when the run has no such value.
    public let value: Double?
    public let passed: Bool
    /// Why a failed expectation could not be judged on a number (NaN, no value).
    public let reason: String?
    let isInteger: Bool

    /// `expect: final_loss 3.510187782978859e-05 < 0.05 ok` / `... FAILED`, as the summary prints it.
    public var verdictLine: String {
        var line = "expect: \(metric) \(valueText) \(condition) \(passed ? "ok" : "FAILED")"
        if let reason { line += " (\(reason))" }
        return line
    }

    var valueText: String {
        guard let value else { return "none" }
        if isInteger, value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    var json: JSON {
        var members: [(String, JSON)] = [("metric", .string(metric)), ("condition", .string(condition)),
                                         ("value", value.map { isInteger && $0.rounded() == $0 && abs($0) < 1e15 ? .integer(Int($0)) : .number($0) } ?? .null),
                                         ("passed", .bool(passed))]
        if let reason { members.append(("reason", .string(reason))) }
        return .object(members)
    }
}

extension Expectation {
    /// Checks the condition against the run's value of the metric.
    func check(_ report: RunReport) -> ExpectationResult {
        let value = metric.value(in: report)
        let reason: String?
        let passed: Bool
        if let value, value.isNaN {
            (passed, reason) = (false, "the value is NaN")
        } else if let value {
            (passed, reason) = (condition.holds(for: value), nil)
        } else {
            (passed, reason) = (false, "this run has no \(metric.name)")
        }
        return ExpectationResult(metric: metric.name, condition: text, value: value, passed: passed,
                                 reason: reason, isInteger: metric.isInteger)
    }

    /// metrics.json's `expectations` and `expect_passed`, empty when the spec expects nothing.
    static func metricsMembers(_ results: [ExpectationResult]) -> [(String, JSON)] {
        guard !results.isEmpty else { return [] }
        return [("expectations", .array(results.map(\.json))), ("expect_passed", .bool(results.allSatisfy(\.passed)))]
    }
}

// MARK: - Reading `expect:`

extension Expectation {
    /// What the spec says about the run, for the checks that need no data.
    struct SpecFacts {
        var layers: Int
        var hasValidation: Bool
        var hasEarlyStopping: Bool
        var hasRegularization: Bool
    }

    /// Reads the `expect:` mapping (null or absent: no expectations). Unknown metric names,
    /// metrics the spec cannot have, and malformed conditions are spec errors at the place.
    static func decode(_ node: SpecNode?, facts: SpecFacts) throws -> [Expectation] {
        guard let node, !node.isNull else { return [] }
        guard let entries = node.entries else {
            throw node.error("expected a mapping of metric names to conditions for 'expect', found \(node.foundDescription)",
                             hint: "for example  expect: {final_loss: \"< 0.05\"}")
        }
        return try entries.map { entry in
            let name = entry.key.scalarString ?? ""
            guard let metric = ExpectMetric.named(name) else { throw unknownMetric(name, at: entry.key) }
            try checkAvailable(metric, facts: facts, at: entry.key)
            let (condition, text) = try parseCondition(entry.value, metric: name)
            return Expectation(metric: metric, condition: condition, text: text, node: entry.key)
        }
    }

    static func unknownMetric(_ name: String, at node: SpecNode) -> SpecError {
        let names = ExpectMetric.fixedNames.map(\.0)
        let message = "unknown metric \(quote(name)) in 'expect'"
        let known = "known: " + names.joined(separator: ", ") + ", grad_norm_L, grad_mean_abs_L (L a layer number)"
        // grad_norm_l and grad_mean_abs_l are suggested with the number the user wrote.
        let candidates = names + ["grad_norm_1", "grad_mean_abs_1"]
        if let suggestion = didYouMean(name, among: candidates) {
            return node.error(message + "; " + suggestion, hint: known)
        }
        return node.error(message, hint: known)
    }

    static func checkAvailable(_ metric: ExpectMetric, facts: SpecFacts, at node: SpecNode) throws {
        switch metric {
        case .validationLoss, .validationAccuracy, .regression(part: "val", measure: _):
            guard facts.hasValidation else {
                throw node.error("\(metric.name) needs a validation part, and this spec holds out none",
                                 hint: "add 'validation: 0.2' to data or training")
            }
        case .bestEpoch:
            guard facts.hasEarlyStopping else {
                throw node.error("best_epoch exists only with training.early_stopping", hint: "add 'early_stopping: {monitor: loss}' to training")
            }
        case .finalRegularization:
            guard facts.hasRegularization else {
                throw node.error("final_regularization exists only with training.regularization (l1 or l2 above 0)")
            }
        case .gradientNorm(let layer), .gradientMeanAbs(let layer):
            let prefix = metric.name.dropLast(String(layer).count)
            guard layer <= facts.layers else {
                throw node.error("\(metric.name) names layer \(layer), but the network has \(facts.layers) layer\(facts.layers == 1 ? "" : "s")",
                                 hint: "use \(prefix)1 to \(prefix)\(facts.layers)")
            }
        default:
            return
        }
    }

    /// Checks, once the data is loaded, the metrics that depend on it: accuracies need classes,
    /// test figures a test part.
    static func checkAvailable(_ expectations: [Expectation], data: LoadedData) throws {
        for expectation in expectations {
            let metric = expectation.metric
            if [.trainAccuracy, .validationAccuracy, .testAccuracy].contains(metric) && data.task.classNames == nil {
                throw expectation.node.error("\(metric.name) is measured for classification only, and this data has no classes (its targets are numbers)")
            }
            if metric.isRegression && data.task != .regression {
                throw expectation.node.error("\(metric.name) is measured for regression only, and this data is classification (it has classes)")
            }
            if case .regression(part: "test", measure: _) = metric, data.test == nil {
                throw expectation.node.error("\(metric.name) needs a test part, and the data has none",
                                             hint: "give the data stage a 'test' part")
            }
            if [.testLoss, .testAccuracy].contains(metric) && data.test == nil {
                throw expectation.node.error("\(metric.name) needs a test part, and the data has none",
                                             hint: "give the data stage a 'test' part")
            }
        }
    }

    /// Reads `< 0.05`, `>= 0.9`, `== 100` or `0.1..0.5`; errors point at the character that is wrong.
    static func parseCondition(_ node: SpecNode, metric: String) throws -> (Condition, String) {
        let example = "a condition such as \"< 0.05\", \">= 0.9\", \"== 100\" or \"0.1..0.5\""
        guard case .scalar(let raw, _) = node.value, !node.isNull else {
            throw node.error("expected \(example) for 'expect.\(metric)', found \(node.foundDescription)")
        }
        let characters = Array(raw)
        var index = 0
        func skipSpaces() { while index < characters.count, characters[index] == " " { index += 1 } }
        func fail(_ message: String, hint: String? = nil) -> SpecError {
            SpecError("'expect.\(metric)': \(message)", at: location(of: index, in: node, raw: raw), hint: hint)
        }
        // [-+]?(digits(.digits?)?|.digits)([eE][-+]?digits)?, as a spec number is written.
        func number() -> (Double, String)? {
            let start = index
            if index < characters.count, characters[index] == "-" || characters[index] == "+" { index += 1 }
            var digits = 0
            while index < characters.count, characters[index].isASCII, characters[index].isNumber { index += 1; digits += 1 }
            // A '.' starts a fraction only when a digit follows: "1..2" is the range 1 to 2.
            if index + 1 < characters.count, characters[index] == ".", characters[index + 1].isNumber, characters[index + 1].isASCII {
                index += 1
                while index < characters.count, characters[index].isASCII, characters[index].isNumber { index += 1; digits += 1 }
            } else if digits > 0, index < characters.count, characters[index] == ".",
                      index + 1 == characters.count || characters[index + 1] != "." {
                index += 1
            }
            guard digits > 0 else { index = start; return nil }
            if index < characters.count, characters[index] == "e" || characters[index] == "E" {
                let mark = index
                index += 1
                if index < characters.count, characters[index] == "-" || characters[index] == "+" { index += 1 }
                var exponent = 0
                while index < characters.count, characters[index].isASCII, characters[index].isNumber { index += 1; exponent += 1 }
                if exponent == 0 { index = mark }
            }
            let text = String(characters[start..<index])
            guard let value = Double(text), value.isFinite else { index = start; return nil }
            return (value, text)
        }
        skipSpaces()
        guard index < characters.count else { throw fail("the condition is empty; expected \(example)") }
        let condition: Condition
        let text: String
        if let comparison = Expectation.Comparison.allCases.first(where: { characters[index...].starts(with: $0.rawValue) }) {
            index += comparison.rawValue.count
            skipSpaces()
            guard let (bound, boundText) = number() else {
                throw fail("expected a number after '\(comparison.rawValue)', found \(rest(characters, index))")
            }
            condition = .compare(comparison, bound)
            text = "\(comparison.rawValue) \(boundText)"
        } else if let (low, lowText) = number() {
            skipSpaces()
            if index == characters.count {
                index = 0
                throw fail("\(lowText) is a number, not a condition; write \"<= \(lowText)\", \"== \(lowText)\" or a range LOW..HIGH")
            }
            guard characters[index...].starts(with: "..") else {
                throw fail("expected '..' after \(lowText) (a range LOW..HIGH), found \(rest(characters, index))")
            }
            index += 2
            skipSpaces()
            let highStart = index
            guard let (high, highText) = number() else {
                throw fail("expected a number after '..', found \(rest(characters, index))")
            }
            guard low <= high else {
                index = highStart
                throw fail("the range \(lowText)..\(highText) is empty: its upper end is below its lower end")
            }
            condition = .range(low, high)
            text = "\(lowText)..\(highText)"
        } else {
            throw fail("expected \(example), found \(rest(characters, index))")
        }
        skipSpaces()
        guard index == characters.count else { throw fail("unexpected \(rest(characters, index)) after the condition") }
        return (condition, text)
    }

    static func rest(_ characters: [Character], _ index: Int) -> String {
        index < characters.count ? quote(String(characters[index...])) : "the end"
    }

    /// The place of character `offset` of the scalar's text: inside the quotes on the spec's
    /// line when the text stands there as written (no escapes, one line), else the scalar itself.
    static func location(of offset: Int, in node: SpecNode, raw: String) -> SourceLocation {
        let start = node.location
        guard raw.allSatisfy(\.isASCII), case .scalar(_, let plain) = node.value,
              let line = start.source.line(start.line) else { return start }
        let skip = plain ? 0 : 1
        let characters = Array(line)
        let from = start.column - 1 + skip
        guard from >= 0, from + raw.count <= characters.count, String(characters[from..<(from + raw.count)]) == raw else {
            return start
        }
        return SourceLocation(source: start.source, line: start.line, column: start.column + skip + offset)
    }
}
