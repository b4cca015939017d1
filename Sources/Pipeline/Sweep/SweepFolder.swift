import Foundation
@preconcurrency import Glibc

/// The sweep's top folder: a folder that is never replaced as a whole, only added to.
///
/// Layout:
///
///     OUT/.bp-pipeline-sweep          marker: a sweep wrote here
///     OUT/sweep.json                  the plan: keys, seeds, every run's folder and digest
///     OUT/summary.csv, OUT/*.png      rebuilt by every sweep, shard and `report`
///     OUT/relu-seed2/                 one run folder per run (the plain-run policy applies)
///     OUT/.relu-seed2.failed          a run that failed before writing its folder (exit code)
///
/// Policy: the folder must be missing, empty, or hold the sweep marker; a folder holding
/// anything else (a user's folder, a plain run's folder) is refused with exit 73. Several
/// shards may start at once on a shared file system: each creates the folder and marker if
/// missing (either wins, the other sees EEXIST), writes only its own runs' folders, and the
/// files above are replaced by rename, so a reader never sees half of one.
public enum SweepFolder {
    static let marker = ".bp-pipeline-sweep"
    static let markerText = "bp-pipeline sweep folder: summary.csv, sweep.json, the comparison charts and one folder per run\n"
    public static let planFile = "sweep.json"
    public static let summaryFile = "summary.csv"
    /// Written into each run folder (through the engine, so its marker lists it).
    public static let runRecordFile = "sweep-run.json"

    /// Refuses a folder a sweep must not write into; creates a missing one (with its parents)
    /// and its marker.
    public static func prepare(_ folder: String) throws {
        try check(folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let descriptor = open(folder + "/" + marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor >= 0 {
            _ = markerText.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
            close(descriptor)
        } else if errno != EEXIST {
            throw PipelineError.output("cannot write the sweep marker: \(OutputFolder.describe(errno))", path: folder)
        }
    }

    /// The checks of `prepare`, changing nothing (for `validate`).
    public static func check(_ folder: String) throws {
        guard !folder.isEmpty else {
            throw PipelineError(.usage, "--out: error: the output folder path is empty; give a folder, e.g. --out runs/sweep")
        }
        let name = PathTools.lastComponent(of: folder)
        if folder == "/" || name == "." || name == ".." {
            throw PipelineError.output("the sweep's output folder must be a folder of its own, not the working folder, one of its parents or /",
                                       path: folder)
        }
        if let problem = OutputFolder.problem(withFolderName: name) {
            throw PipelineError.output("cannot use the output folder: its name \(problem)", path: folder)
        }
        var info = stat()
        guard stat(folder, &info) == 0 else {
            guard errno == ENOENT else {
                let reason = errno == ENOTDIR ? "a part of the path is a file, not a folder" : OutputFolder.describe(errno)
                throw PipelineError.output("cannot use the output folder: \(reason)", path: folder)
            }
            return
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PipelineError.output("the output folder is a file; choose another --out or output_dir", path: folder)
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw PipelineError.output("cannot read the output folder to check what it holds", path: folder)
        }
        if entries.contains(marker) { return }
        if entries.contains(OutputFolder.marker) {
            throw PipelineError.output("the output folder holds a single run, not a sweep; refusing to write the sweep's runs into it "
                                       + "(choose another --out or output_dir, or remove it)", path: folder)
        }
        if !entries.isEmpty {
            throw PipelineError.output("the output folder exists and was not written by a bp-pipeline sweep; refusing to write into it "
                                       + "(choose another --out or output_dir, or remove it)", path: folder)
        }
    }

    /// Writes `text` to `folder/file` through a temporary file and a rename: readers (another
    /// shard's `report`, a person) see the old file or the new one, never a part.
    static func writeAtomically(_ text: String, to file: String, in folder: String) throws {
        let temporary = folder + "/." + file + ".tmp-\(getpid())"
        do {
            try writeBytes(Array(text.utf8), to: temporary)
        } catch {
            _ = unlink(temporary)
            throw error
        }
        guard rename(temporary, folder + "/" + file) == 0 else {
            let reason = OutputFolder.describe(errno)
            _ = unlink(temporary)
            throw PipelineError.output("cannot write: \(reason)", path: folder + "/" + file)
        }
    }

    /// `.NAME.failed` beside a run's folder: the exit code of its last attempt, when that
    /// attempt left no folder (it failed before writing its outputs).
    static func failureFile(of runFolderName: String, in folder: String) -> String {
        folder + "/." + runFolderName + ".failed"
    }

    public static func recordFailure(of runFolderName: String, exitCode: Int32, in folder: String) throws {
        try writeAtomically("exit \(exitCode)\n", to: "." + runFolderName + ".failed", in: folder)
    }

    public static func clearFailure(of runFolderName: String, in folder: String) {
        _ = unlink(failureFile(of: runFolderName, in: folder))
    }

    /// Reads a JSON object written by bp-pipeline; nil when missing, unreadable or not an object.
    static func readObject(_ path: String) -> JSONText? {
        guard let data = FileManager.default.contents(atPath: path), let value = JSONText.parse([UInt8](data)),
              case .object = value else { return nil }
        return value
    }
}

extension SweepPlan {
    /// `sweep.json`: what `report` needs to list every run, including the ones no folder holds yet.
    func planJSON() throws -> String {
        let runs = try self.runs.map { entry -> JSON in
            .object([
                ("folder", .string(entry.folderName)),
                ("combination", .integer(entry.run.combination)),
                ("values", .array(entry.run.values.map { .string($0.value) })),
                ("seed", entry.run.seed.map(JSON.integer) ?? .null),
                ("digest", .string(try digest(of: entry))),
            ])
        }
        return JSON.object([
            ("format", .integer(1)),
            ("name", .string(name)),
            ("spec", .string(specPath)),
            ("keys", .array(axes.map { .string($0.key) })),
            ("seeds", seeds.map { .array($0.map(JSON.integer)) } ?? .null),
            ("spec_seed", .integer(specSeed)),
            ("expect", .bool(hasExpectations)),
            ("runs", .array(runs)),
        ]).serialized()
    }

    /// Writes the marker (if missing) and `sweep.json`.
    public func writePlan() throws {
        try SweepFolder.prepare(folder)
        try SweepFolder.writeAtomically(try planJSON(), to: SweepFolder.planFile, in: folder)
    }

    /// `sweep-run.json` in the run's folder: which run it is and the digest of its spec.
    public func runRecord(of entry: Entry) throws -> [UInt8] {
        Array(JSON.object([
            ("folder", .string(entry.folderName)),
            ("index", .integer(entry.index)),
            ("combination", .integer(entry.run.combination)),
            ("values", .object(entry.run.values.map { ($0.key, .string($0.value)) })),
            ("seed", entry.run.seed.map(JSON.integer) ?? .null),
            ("digest", .string(try digest(of: entry))),
        ]).serialized().utf8)
    }
}
