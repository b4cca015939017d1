#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a spec: a file or text -> one YAML document -> a mapping `SpecNode`.
///
/// Refuses what no spec can be: a missing or unreadable file, bytes that are not UTF-8, an empty
/// document, a document that is not a mapping, more than one document, and anything libyaml
/// rejects, each as a `SpecError` with the position it concerns.
public enum SpecLoader {
    /// Cap on nodes after alias expansion, against "billion laughs" anchor bombs. Inline data of
    /// a few hundred thousand numbers still fits; anything larger belongs in a data file.
    public static let maximumNodes = 1_000_000
    /// Largest spec file read (bytes).
    public static let maximumFileSize = 64 << 20

    /// Reads and parses the file at `path` (as given, relative to the working directory).
    public static func load(path: String) throws -> SpecNode {
        let bytes = try readFile(path)
        return try parse(SourceFile.decoding(bytes, path: path))
    }

    /// Parses `text` as if it were the file at `path`.
    public static func load(text: String, path: String) throws -> SpecNode {
        try parse(SourceFile(path: path, text: text))
    }

    /// Parses an already decoded source and checks that it holds one non-empty mapping.
    public static func parse(_ source: SourceFile) throws -> SpecNode {
        guard let root = try YAMLParser.parse(source, maximumNodes: maximumNodes),
              !(root.scalarString == "" && root.isNull) else {
            throw SpecError("the spec is empty", path: source.path, kind: .invalid)
        }
        guard case .mapping = root.value else {
            throw root.error("a spec must be a mapping of keys such as 'data:' and 'network:', found \(root.kindName)")
        }
        return root
    }

    /// The file's bytes; `fileNotFound` when nothing is there, `unreadable` for directories and
    /// files that cannot be opened or read.
    static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw SpecError("no such file", path: path, kind: .fileNotFound)
            }
            throw SpecError("cannot open the file: \(describe(code))", path: path, kind: .unreadable)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw SpecError("cannot read the file: \(describe(errno))", path: path, kind: .unreadable)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw SpecError("is a directory, not a spec file", path: path, kind: .unreadable)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SpecError("cannot read the file: \(describe(errno))", path: path, kind: .unreadable)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumFileSize {
                throw SpecError("the file is larger than \(maximumFileSize >> 20) MiB; a spec should be small "
                                + "(put large data in a data file)", path: path, kind: .invalid)
            }
        }
        return bytes
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
