import PipelineSpec

/// Process exit codes, after sysexits(3).
public enum ExitCode: Int32, Sendable {
    case success = 0
    /// A run that failed while training (diverged).
    case trainingFailed = 1
    /// A finished run with an `expect:` condition that failed (its outputs are written).
    case expectationFailed = 3
    /// Bad usage or an invalid spec.
    case usage = 64
    /// Invalid data in a data file.
    case dataError = 65
    /// An input file is missing or unreadable.
    case noInput = 66
    /// The output cannot be written.
    case cannotCreate = 73
    /// Stopped by SIGINT (128 + 2) or SIGTERM (128 + 15).
    case interrupted = 130
    case terminated = 143
}

/// An error for the user: the full message (already naming file, line and column where known)
/// and the exit code it maps to.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public let exitCode: ExitCode
    public let description: String

    public init(_ exitCode: ExitCode, _ message: String) {
        self.exitCode = exitCode
        self.description = message
    }

    /// A data-file fault: `path:row:column: error: message` (row and column 1-based when known).
    public static func data(_ message: String, path: String, row: Int? = nil, column: Int? = nil) -> PipelineError {
        var place = path
        if let row { place += ":\(row)" }
        if let column { place += ":\(column)" }
        return PipelineError(.dataError, "\(place): error: \(message)")
    }

    /// A missing or unreadable input file.
    public static func noInput(_ message: String, path: String) -> PipelineError {
        PipelineError(.noInput, "\(path): error: \(message)")
    }

    /// An output that cannot be written.
    public static func output(_ message: String, path: String) -> PipelineError {
        PipelineError(.cannotCreate, "\(path): error: \(message)")
    }

    /// The same error with a leading `prefix` path replaced, so an output's failure inside the
    /// staging folder names the file where the user expects it.
    func replacingPathPrefix(_ prefix: String, with replacement: String) -> PipelineError {
        guard description.hasPrefix(prefix + "/") else { return self }
        return PipelineError(exitCode, replacement + description.dropFirst(prefix.count))
    }

    /// Maps a spec error to its exit code.
    public init(_ error: SpecError) {
        switch error.kind {
        case .fileNotFound, .unreadable: self.init(.noInput, error.description)
        case .invalid: self.init(.usage, error.description)
        }
    }
}

/// Runs `body`, turning spec errors into pipeline errors.
func specErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as SpecError {
        throw PipelineError(error)
    }
}
