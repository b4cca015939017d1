import Foundation
@preconcurrency import Glibc

/// The all-or-nothing output folder: a run writes into a hidden staging folder beside the
/// target and, when every output is written, swaps it into place.
///
/// Policy (what a cron job wants: the folder always holds the latest run that got as far as
/// training, and never a half-written one):
/// - a run that reaches training (completed, stopped early, diverged or interrupted) replaces the
///   folder's earlier run once all its outputs are written;
/// - a run that fails before or while writing its outputs leaves nothing new on disk (not even
///   the parent folders it created) and the earlier run untouched;
/// - a folder that exists but was not written by bp-pipeline (non-empty, no `.bp-pipeline-run`
///   marker) is never replaced: exit 73; so is a path that is a file.
///
/// The swap is one `renameat2(RENAME_EXCHANGE)` where the kernel and file system offer it, so a
/// reader sees the old or the new run and never neither; elsewhere two renames with a rollback.
/// Staging folders left by a killed run (`.NAME.partial-PID` of a dead PID) are removed by the
/// next run into the same folder.
struct OutputFolder {
    static let marker = ".bp-pipeline-run"

    /// Where the run is meant to end up.
    let target: String
    /// The staging folder the outputs are written into.
    let path: String
    /// Folders above `target` this run created (outermost first); removed again on discard.
    let createdParents: [String]

    /// Refuses a target that can never receive the run: empty, a file, or someone else's
    /// folder. Changes nothing on disk, so `validate` and the start of a run can both call it.
    static func check(_ target: String) throws {
        guard !target.isEmpty else {
            throw PipelineError(.usage, "--out: error: the output folder path is empty; give a folder, e.g. --out runs/latest")
        }
        var info = stat()
        guard stat(target, &info) == 0 else {
            let code = errno
            if code == ENOENT { return }
            if code == ENOTDIR {
                throw PipelineError.output("cannot create the output folder: a part of the path is a file, not a folder", path: target)
            }
            throw PipelineError.output("cannot use the output folder: \(describe(code))", path: target)
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PipelineError.output("the output folder is a file; choose another --out or output_dir", path: target)
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
        if !contents.isEmpty && !contents.contains(marker) {
            throw PipelineError.output("the output folder exists and was not written by bp-pipeline; refusing to replace it (choose another --out or remove it)",
                                       path: target)
        }
    }

    /// Checks the target, creates its missing parents and an empty staging folder beside it.
    static func stage(for target: String) throws -> OutputFolder {
        try check(target)
        let parent = PathTools.directory(of: target)
        let created = try createParents(parent, for: target)
        let name = PathTools.lastComponent(of: target)
        removeStale(in: parent, name: name)
        let staging = PathTools.join(parent, ".\(name).partial-\(getpid())")
        try? FileManager.default.removeItem(atPath: staging)
        guard mkdir(staging, 0o755) == 0 else {
            let reason = describe(errno)
            removeCreated(created)
            throw PipelineError.output("cannot create the staging folder '\(staging)': \(reason)", path: target)
        }
        let folder = OutputFolder(target: target, path: staging, createdParents: created)
        do {
            try folder.writeFile(marker, Array("bp-pipeline run folder\n".utf8))
        } catch {
            folder.discard()
            throw error
        }
        return folder
    }

    /// Writes `data` to `file` inside the staging folder; failures are exit 73 naming the file.
    func writeFile(_ file: String, _ bytes: [UInt8]) throws {
        do {
            try writeBytes(bytes, to: path + "/" + file)
        } catch let error as PipelineError {
            throw error.replacingPathPrefix(path, with: target)
        }
    }

    /// Moves the staging folder into place, replacing an earlier bp-pipeline run.
    func commit() throws {
        // The run may have taken hours: look again in case someone put something there meanwhile.
        try Self.check(target)
        var info = stat()
        guard stat(target, &info) == 0 else {
            guard rename(path, target) == 0 else {
                throw PipelineError.output("cannot move the finished run into place: \(Self.describe(errno))", path: target)
            }
            return
        }
        if Self.exchange(path, target) {
            // `path` now holds the earlier run.
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        let previous = PathTools.join(PathTools.directory(of: target), ".\(PathTools.lastComponent(of: target)).previous-\(getpid())")
        try? FileManager.default.removeItem(atPath: previous)
        guard rename(target, previous) == 0 else {
            throw PipelineError.output("cannot replace the earlier run: \(Self.describe(errno))", path: target)
        }
        guard rename(path, target) == 0 else {
            let reason = Self.describe(errno)
            _ = rename(previous, target)
            throw PipelineError.output("cannot move the finished run into place: \(reason)", path: target)
        }
        try? FileManager.default.removeItem(atPath: previous)
    }

    /// Removes the staging folder and any parent folders this run created.
    func discard() {
        try? FileManager.default.removeItem(atPath: path)
        Self.removeCreated(createdParents)
    }

    /// Creates the missing folders of `parent` one by one, returning those it made (outermost first).
    private static func createParents(_ parent: String, for target: String) throws -> [String] {
        var missing: [String] = []
        var folder = parent
        var info = stat()
        while stat(folder, &info) != 0 {
            let code = errno
            guard code == ENOENT else {
                let reason = code == ENOTDIR ? "a part of the path is a file, not a folder" : describe(code)
                throw PipelineError.output("cannot create the output folder: \(reason)", path: target)
            }
            missing.append(folder)
            let up = PathTools.directory(of: folder)
            if up == folder { break }
            folder = up
        }
        if stat(folder, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR {
            throw PipelineError.output("cannot create the output folder: '\(folder)' is a file, not a folder", path: target)
        }
        var created: [String] = []
        for folder in missing.reversed() {
            guard mkdir(folder, 0o755) == 0 || errno == EEXIST else {
                let reason = describe(errno)
                removeCreated(created)
                throw PipelineError.output("cannot create the folder '\(folder)': \(reason)", path: target)
            }
            created.append(folder)
        }
        return created
    }

    /// Removes now-empty folders this run created, innermost first (rmdir leaves non-empty ones).
    private static func removeCreated(_ folders: [String]) {
        for folder in folders.reversed() { _ = rmdir(folder) }
    }

    /// Removes `.NAME.partial-PID` and `.NAME.previous-PID` folders and half-written
    /// `.NAME.checkpoint.bin.tmp-PID` files whose process is gone.
    private static func removeStale(in parent: String, name: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for entry in entries {
            for infix in [".partial-", ".previous-", ".checkpoint.bin.tmp-"] where entry.hasPrefix(".\(name)\(infix)") {
                guard let pid = Int32(entry.dropFirst(name.count + 1 + infix.count)), pid != getpid() else { continue }
                if kill(pid, 0) != 0 && errno == ESRCH {
                    try? FileManager.default.removeItem(atPath: PathTools.join(parent, entry))
                }
            }
        }
    }

    /// `renameat2(a, b, RENAME_EXCHANGE)`: swaps two paths atomically. Looked up at run time
    /// (glibc 2.28+; Swift's Glibc module does not import it); false when missing or refused, e.g.
    /// by a file system without exchange support.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32
        let renameExchange: UInt32 = 2  // RENAME_EXCHANGE from <linux/fs.h>
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: Renameat2.self)
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
