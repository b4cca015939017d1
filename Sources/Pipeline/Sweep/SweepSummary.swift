import Foundation
@preconcurrency import Glibc

/// What a sweep folder holds, run by run, read back from `sweep.json` and the run folders:
/// the source of `summary.csv` and the comparison charts, for the sweep itself, each shard and
/// `bp-pipeline report` alike, so they all write the same rows for the same folders.
public struct SweepSummary {
    /// Where a run stands.
    public enum State: Equatable, Sendable {
        /// Its folder holds this spec's run; the status from its metrics.json (`completed`,
        /// `stopped_early`, `diverged`, `interrupted`).
        case ran(String)
        /// Its last attempt exited with this code before writing a folder.
        case failed(Int32)
        /// No folder of this spec's run yet (not run, or another shard's still running).
        case missing
        /// Its folder holds a run of another spec (the spec changed since): it runs again.
        case outdated

        public var text: String {
            switch self {
            case .ran(let status): return status
            case .failed: return "failed"
            case .missing: return "missing"
            case .outdated: return "outdated"
            }
        }

        /// Its folder holds this spec's run, in any status.
        public var isRan: Bool {
            if case .ran = self { return true }
            return false
        }

        /// Finished with this spec: a rerun of the sweep skips it. A diverged run is finished
        /// (it would diverge again, bit for bit); an interrupted one is not.
        public var isFinished: Bool {
            switch self {
            case .ran(let status): return status != "interrupted"
            default: return false
            }
        }
    }

    /// One row of summary.csv.
    public struct Row {
        public let run: SweepRun
        public let state: State
        /// metrics.json of the run, when `state` is `.ran`.
        let metrics: JSONText?

        /// `expect_passed` of metrics.json (nil when the run checked none).
        public var expectPassed: Bool? { metrics?["expect_passed"]?.bool }
    }

    public let folder: String
    public let name: String
    public let keys: [String]
    public let hasExpectations: Bool
    /// The seed of every run when the sweep has no `seeds`.
    public let specSeed: Int
    public let rows: [Row]

    /// Reads the sweep folder `folder`: exit 66 when it is missing or holds no sweep.
    public static func read(_ folder: String) throws -> SweepSummary {
        var info = stat()
        guard stat(folder, &info) == 0 else {
            throw PipelineError.noInput("cannot read the sweep folder: \(OutputFolder.describe(errno))", path: folder)
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PipelineError.noInput("not a folder; give the sweep's output folder", path: folder)
        }
        let planPath = PathTools.join(folder, SweepFolder.planFile)
        guard FileManager.default.fileExists(atPath: PathTools.join(folder, SweepFolder.marker)),
              let plan = SweepFolder.readObject(planPath),
              let runs = plan["runs"]?.array, let keys = plan["keys"]?.array?.compactMap(\.string) else {
            throw PipelineError.noInput("not a sweep folder: it has no readable \(SweepFolder.planFile) "
                                        + "(a sweep writes one when it starts)", path: folder)
        }
        let rows = runs.map { entry -> Row in
            let name = entry["folder"]?.string ?? ""
            let values = entry["values"]?.array?.compactMap(\.string) ?? []
            let run = SweepRun(combination: entry["combination"]?.int ?? 0,
                               values: zip(keys, values).map { SweepRun.Value(key: $0, value: $1) },
                               seed: entry["seed"]?.int,
                               folder: PathTools.join(folder, name))
            let (state, metrics) = Self.state(of: name, digest: entry["digest"]?.string ?? "", in: folder)
            return Row(run: run, state: state, metrics: metrics)
        }
        return SweepSummary(folder: folder, name: plan["name"]?.string ?? PathTools.lastComponent(of: folder),
                            keys: keys, hasExpectations: plan["expect"]?.bool ?? false, specSeed: plan["spec_seed"]?.int ?? 0, rows: rows)
    }

    /// The state of the run folder `name`: its last attempt's failure first, then its folder
    /// when it holds a run of the same digest.
    static func state(of name: String, digest: String, in folder: String) -> (State, JSONText?) {
        if let text = FileManager.default.contents(atPath: SweepFolder.failureFile(of: name, in: folder)) {
            let code = Int32(String(decoding: text, as: UTF8.self).dropFirst("exit ".count).prefix { $0.isNumber }) ?? 1
            return (.failed(code), nil)
        }
        let runFolder = PathTools.join(folder, name)
        guard let record = SweepFolder.readObject(PathTools.join(runFolder, SweepFolder.runRecordFile)) else { return (.missing, nil) }
        guard record["digest"]?.string == digest else { return (.outdated, nil) }
        guard let metrics = SweepFolder.readObject(PathTools.join(runFolder, "metrics.json")),
              let status = metrics["status"]?.string else { return (.missing, nil) }
        return (.ran(status), metrics)
    }

    // MARK: - summary.csv

    /// The metrics columns after `final_loss`, each present when any run has it.
    static let optionalColumns = ["val_loss", "val_accuracy", "test_loss", "test_accuracy"]

    /// One header row, one row per run in the sweep's order: `run` (the folder), the swept
    /// keys, `seed`, `status`, `epochs`, `final_loss`, the validation and test figures any run
    /// has, `train_seconds`, and `expect_passed` when the spec has `expect:`. A run without
    /// figures (missing, failed) has empty cells; so has a number that is not finite.
    public func csv() -> String {
        let optional = Self.optionalColumns.filter { column in rows.contains { $0.metrics?[column]?.numberText != nil } }
        var header = ["run"] + keys + ["seed", "status", "epochs", "final_loss"] + optional + ["train_seconds"]
        if hasExpectations { header.append("expect_passed") }
        var lines = [header.map(Self.field).joined(separator: ",")]
        for row in rows {
            // Numbers as metrics.json writes them (Swift's shortest round-trip form; null is empty).
            func number(_ key: String) -> String { row.metrics?[key]?.numberText ?? "" }
            let seed = String(row.run.seed ?? specSeed)
            var cells = [PathTools.lastComponent(of: row.run.folder)] + row.run.values.map(\.value)
            cells += [seed, row.state.text, number("epochs"), number("final_loss")]
            cells += optional.map(number)
            cells.append(number("train_seconds"))
            if hasExpectations { cells.append(row.expectPassed.map { $0 ? "true" : "false" } ?? "") }
            lines.append(cells.map(Self.field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Writes summary.csv (atomically) and the comparison charts of every run that has a
    /// folder; returns the file names written.
    public func write() throws -> [String] {
        try SweepFolder.writeAtomically(csv(), to: SweepFolder.summaryFile, in: folder)
        let ran = rows.filter(\.state.isRan).map(\.run)
        return [SweepFolder.summaryFile] + (try ComparisonCharts.write(ran, title: name, into: folder))
    }

    /// "15 runs: 12 completed, 3 missing", counting each state in the order first seen.
    public var tally: String {
        var counts: [(String, Int)] = []
        for row in rows {
            if let index = counts.firstIndex(where: { $0.0 == row.state.text }) { counts[index].1 += 1 } else { counts.append((row.state.text, 1)) }
        }
        let runs = "\(rows.count) run\(rows.count == 1 ? "" : "s")"
        return runs + ": " + counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
    }
}
