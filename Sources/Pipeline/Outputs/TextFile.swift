/// Writes `text` to `path` as UTF-8, mapping failures to exit 73 with the system's reason.
func writeText(_ text: String, to path: String) throws {
    try writeBytes(Array(text.utf8), to: path)
}

