import Foundation
@preconcurrency import Glibc

/// The all-or-nothing output folder: a run writes into a hidden staging folder beside the
/// target and, when every output is written, swaps it into place.
///
/// Policy (what a cron job wants: the folder always holds the latest run that got as far as
/// training, and never a half-written one; and nothing a user has is ever lost):
/// - a run that reaches training (completed, stopped early, diverged or interrupted) replaces the
///   folder's earlier run once all its outputs are written;
/// - a run that fails before or while writing its outputs leaves nothing new on disk (not even
///   the parent folders it created) and the earlier run untouched;
/// - only a folder that is empty, or that holds exactly what an earlier run wrote, is replaced:
///   the `.bp-pipeline-run` marker lists every file and folder the run put there, and anything
///   else (a user's notes.txt, other runs' folders, a folder without the marker) makes the run
///   refuse with exit 73 before it trains; so do a file, a symbolic link, and a path that names
///   no folder of its own (`.`, `..`, `/`);
/// - the same checks (and that the nearest existing parent is writable) run before the data is
///   read, so a run that could not put its outputs in place fails in seconds, not after training.
///
/// The swap is one `renameat2(RENAME_EXCHANGE)` where the kernel and file system offer it, so a
/// reader sees the old or the new run and never neither; elsewhere two renames with a rollback.
/// Staging folders left by a killed run (`.NAME.partial-PID` of a dead PID) are removed by the
/// next run into the same folder. Paths are read lexically (`runs/new/`, `runs//new` and
/// `runs/./new` are `runs/new`; `a/../b` is `b`, as the shell's `cd` reads it).
struct OutputFolder {
    static let marker = ".bp-pipeline-run"
    static let markerHeading = "bp-pipeline run folder; the files and folders this run wrote:"
    /// The longest folder name (bytes) that leaves room in the file system's 255-byte limit
    /// for the longest name derived from it, `.NAME.checkpoint.bin.tmp-PID` (28 bytes more
    /// with a 7-digit PID, Linux's largest).
    static let longestName = 255 - 28

    /// Where the run is meant to end up.
    let target: String
    /// The staging folder the outputs are written into.
    let path: String
    /// Folders above `target` this run created (outermost first); removed again on discard.
    let createdParents: [String]
    /// The files the run writes (see `check`), for the second look before the swap.
    let runFiles: Set<String>

    /// Why `name` cannot be a folder's name ("contains '/'"), or nil when it can: not empty,
    /// `.` or `..`, no `/`, no control characters (they make names that print as something
    /// else), and short enough.
    static func problem(withFolderName name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name == "." || name == ".." { return "is '\(name)', which is not a folder of its own" }
        if name.contains("/") { return "contains '/'" }
        if let control = name.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains the control character U+\(String(format: "%04X", control.value))"
        }
        if name.utf8.count > longestName {
            return "is \(name.utf8.count) bytes long and a folder name holds at most \(longestName) here"
        }
        return nil
    }

    /// Refuses a target that can never receive the run: empty, a file, a link, a folder that
    /// holds anything an earlier run did not write, or below a folder that cannot be written.
    /// Changes nothing on disk, so `validate` and the start of a run can both call it.
    ///
    /// `runFiles` are the files this run writes (its outputs and `checkpoint.bin`): a folder
    /// whose marker comes from bp-pipeline 0.1, which did not list what it wrote, is still
    /// replaced when it holds nothing but files of those names, so folders from before the
    /// upgrade keep working; anything more is refused.
    static func check(_ target: String, runFiles: Set<String>) throws {
        guard !target.isEmpty else {
            throw PipelineError(.usage, "--out: error: the output folder path is empty; give a folder, e.g. --out runs/latest")
        }
        let name = PathTools.lastComponent(of: target)
        if target == "/" || name == "." || name == ".." {
            throw PipelineError.output("the output folder must be a folder of its own, not the working folder, one of its parents or /; "
                                       + "a run replaces its output folder as a whole (give one, e.g. --out runs/latest)", path: target)
        }
        if let problem = problem(withFolderName: name) {
            throw PipelineError.output("cannot use the output folder: its name \(problem)", path: target)
        }
        var info = stat()
        guard lstat(target, &info) == 0 else {
            let code = errno
            if code == ENOTDIR {
                throw PipelineError.output("cannot create the output folder: a part of the path is a file, not a folder", path: target)
            }
            guard code == ENOENT else { throw PipelineError.output("cannot use the output folder: \(describe(code))", path: target) }
            try checkWritable(parentOf: target)
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: break
        case S_IFLNK:
            throw PipelineError.output("the output folder is a symbolic link; a run replaces the folder, which would replace the link: "
                                       + "give the folder it points to", path: target)
        default:
            throw PipelineError.output("the output folder is a file; choose another --out or output_dir", path: target)
        }
        // A folder that cannot be read cannot be shown to hold nothing of the user's.
        let unreadable = PipelineError.output("cannot read the output folder to check what it holds; refusing to replace it", path: target)
        guard let top = try? FileManager.default.contentsOfDirectory(atPath: target) else { throw unreadable }
        if !top.isEmpty {
            guard top.contains(marker) else {
                throw PipelineError.output("the output folder exists and was not written by bp-pipeline; refusing to replace it (choose another --out or remove it)",
                                           path: target)
            }
            // Only a run folder is walked (not a home folder given by mistake), and only into
            // the folders its run wrote: anything else is named by its outermost folder.
            guard let listed = manifest(of: target) ?? legacyListing(of: target, top, runFiles: runFiles) else {
                let unknown = top.filter { $0 != marker && !runFiles.contains($0) }.sorted()
                let shown = unknown.prefix(5).joined(separator: ", ") + (unknown.count > 5 ? ", ... (\(unknown.count) in all)" : "")
                throw PipelineError.output("the output folder's marker is from bp-pipeline 0.1, which did not list what its run wrote, "
                                           + "and the folder holds more than this spec's outputs (\(shown)); refusing to replace it "
                                           + "(check it holds nothing of yours and remove it, or choose another --out)", path: target)
            }
            let written = Set(listed)
            guard let all = listing(target, descendingInto: { written.contains($0) }) else { throw unreadable }
            let foreign = all.filter { $0 != marker && !written.contains($0) }
            if !foreign.isEmpty {
                let shown = foreign.prefix(5).joined(separator: ", ") + (foreign.count > 5 ? ", ... (\(foreign.count) in all)" : "")
                throw PipelineError.output("the output folder holds what the earlier run did not write (\(shown)); refusing to replace it "
                                           + "(move that elsewhere, or choose another --out)", path: target)
            }
        }
        try checkWritable(parentOf: target)
    }

    /// The nearest existing folder above `target` must be a folder this process can write,
    /// since the staging folder (or the missing parents) are created there.
    private static func checkWritable(parentOf target: String) throws {
        let folder = try nearestFolder(from: PathTools.directory(of: target), for: target).existing
        guard access(folder, W_OK | X_OK) == 0 else {
            throw PipelineError.output("cannot create the output folder: '\(folder)': \(describe(errno))", path: target)
        }
    }

    /// Walks up from `parent` to the first folder that exists: it, and the missing folders on
    /// the way (innermost first). Refuses a path through a file.
    private static func nearestFolder(from parent: String, for target: String) throws -> (existing: String, missing: [String]) {
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
        return (folder, missing)
    }

    /// Every file and folder below `folder`, as relative paths, sorted; symbolic links are
    /// listed, not followed; subfolders only where `descend` says so. Nil when a folder in it
    /// cannot be read.
    static func listing(_ folder: String, descendingInto descend: (String) -> Bool = { _ in true }) -> [String]? {
        var found: [String] = []
        func walk(_ relative: String) -> Bool {
            let absolute = relative.isEmpty ? folder : folder + "/" + relative
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: absolute) else { return false }
            for entry in entries {
                let path = relative.isEmpty ? entry : relative + "/" + entry
                found.append(path)
                var info = stat()
                let isFolder = lstat(folder + "/" + path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
                if isFolder && descend(path) && !walk(path) { return false }
            }
            return true
        }
        return walk("") ? found.sorted() : nil
    }

    /// The paths the marker of the run in `folder` lists; nil for a marker without the list
    /// (written before bp-pipeline kept one), which cannot say which files are the run's.
    static func manifest(of folder: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: folder + "/" + marker) else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first.map(String.init) == markerHeading else { return nil }
        return lines.dropFirst().filter { !$0.isEmpty }.map(String.init)
    }

    /// What a folder with a 0.1 marker (no list) holds, taken as its run's files when every
    /// entry is a regular file named as one of `runFiles`; nil when anything else is there.
    private static func legacyListing(of target: String, _ top: [String], runFiles: Set<String>) -> [String]? {
        let entries = top.filter { $0 != marker }
        for entry in entries {
            var info = stat()
            guard runFiles.contains(entry), lstat(target + "/" + entry, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        }
        return entries
    }

    /// Checks the target, creates its missing parents and an empty staging folder beside it.
    static func stage(for target: String, runFiles: Set<String>) throws -> OutputFolder {
        try check(target, runFiles: runFiles)
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
        return OutputFolder(target: target, path: staging, createdParents: created, runFiles: runFiles)
    }

    /// Creates the folders `file` (a path inside the output folder, e.g. `charts/loss.png`)
    /// needs inside the staging folder.
    func makeFolders(for file: String) throws {
        var folder = path
        for part in file.split(separator: "/").dropLast() {
            folder += "/" + part
            guard mkdir(folder, 0o755) == 0 || errno == EEXIST else {
                let reason = Self.describe(errno)
                throw PipelineError.output("cannot create the folder: \(reason)", path: target + folder.dropFirst(path.count))
            }
        }
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
        try Self.check(target, runFiles: runFiles)
        // The marker lists what this run wrote, so a later run replaces exactly that.
        // (An unreadable entry would be left out, and a later run would refuse to replace it.)
        let written = (Self.listing(path) ?? []).filter { $0 != Self.marker }
        try writeFile(Self.marker, Array(([Self.markerHeading] + written).map { $0 + "\n" }.joined().utf8))
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
        let missing = try nearestFolder(from: parent, for: target).missing
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
