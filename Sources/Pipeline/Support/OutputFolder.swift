import Foundation

/// The all-or-nothing output folder: a run writes into a hidden staging folder beside the
/// target and, when every output is written, replaces the target with it.
///
/// Policy: the output folder always holds the latest complete run. A failed run leaves the
/// previous results untouched. A folder that exists but was not written by bp-pipeline (it has
/// no `.bp-pipeline-run` marker) is never replaced: that is refused with exit 73.
struct OutputFolder {
    static let marker = ".bp-pipeline-run"

    let target: String
    let path: String

    static func stage(for target: String) throws -> OutputFolder {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: target, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw PipelineError.output("the output folder is a file; choose another --out or output_dir", path: target)
            }
            let contents = (try? manager.contentsOfDirectory(atPath: target)) ?? []
            if !contents.isEmpty && !contents.contains(marker) {
                throw PipelineError.output("the output folder exists and was not written by bp-pipeline; refusing to replace it (choose another --out or remove it)",
                                           path: target)
            }
        }
        let parent = PathTools.directory(of: target)
        do {
            try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.output("cannot create the folder '\(parent)': \(Self.reason(error))", path: target)
        }
        let name = PathTools.lastComponent(of: target)
        let staging = PathTools.join(parent, ".\(name).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? manager.removeItem(atPath: staging)
        do {
            try manager.createDirectory(atPath: staging, withIntermediateDirectories: false)
            try Data("bp-pipeline run folder\n".utf8).write(to: URL(fileURLWithPath: staging + "/" + marker))
        } catch {
            throw PipelineError.output("cannot write into '\(parent)': \(Self.reason(error))", path: target)
        }
        return OutputFolder(target: target, path: staging)
    }

    /// Moves the staging folder into place, replacing an earlier run.
    func commit() throws {
        let manager = FileManager.default
        let parent = PathTools.directory(of: target)
        let previous = PathTools.join(parent, ".\(PathTools.lastComponent(of: target)).previous-\(ProcessInfo.processInfo.processIdentifier)")
        var moved = false
        if manager.fileExists(atPath: target) {
            do {
                try manager.moveItem(atPath: target, toPath: previous)
                moved = true
            } catch {
                throw PipelineError.output("cannot replace the earlier run: \(Self.reason(error))", path: target)
            }
        }
        do {
            try manager.moveItem(atPath: path, toPath: target)
        } catch {
            if moved { try? manager.moveItem(atPath: previous, toPath: target) }
            throw PipelineError.output("cannot move the finished run into place: \(Self.reason(error))", path: target)
        }
        if moved { try? manager.removeItem(atPath: previous) }
    }

    func discard() {
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func reason(_ error: Error) -> String {
        (error as NSError).localizedFailureReason ?? error.localizedDescription
    }
}
