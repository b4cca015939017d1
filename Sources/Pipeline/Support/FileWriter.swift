import Foundation
@preconcurrency import Glibc

/// Writes `bytes` to `path` (created or truncated, mode 0644) with plain POSIX calls, so a
/// failure reads as the system's reason ("File too large", "No space left on device") rather
/// than Foundation's "The operation could not be completed". `durable` also fsyncs, for files
/// a later run reads back (checkpoints). Failures are exit 73 naming `path`.
func writeBytes(_ bytes: [UInt8], to path: String, durable: Bool = false) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
        throw PipelineError.output("cannot write: \(OutputFolder.describe(errno))", path: path)
    }
    var failure: Int32?
    bytes.withUnsafeBytes { buffer in
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            offset += written
        }
    }
    if failure == nil && durable && fsync(descriptor) != 0 { failure = errno }
    if close(descriptor) != 0 && failure == nil { failure = errno }
    if let failure {
        throw PipelineError.output("cannot write: \(OutputFolder.describe(failure))", path: path)
    }
}
