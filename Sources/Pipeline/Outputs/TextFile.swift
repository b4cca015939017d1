import BackpropCore
import Foundation

/// Writes `text` to `path`, mapping failures to exit 73.
func writeText(_ text: String, to path: String) throws {
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        throw PipelineError.output("cannot write: \(error.localizedDescription)", path: path)
    }
}

