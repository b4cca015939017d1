/// The text of one spec source: a file, or one `--set KEY=VALUE` argument.
///
/// Lines are split the way libyaml counts them (`\n`, `\r\n`, `\r`, NEL, LS, PS), so a
/// `SourceLocation` from the parser always names the line that `line(_:)` returns.
public final class SourceFile: Sendable {
    /// Where the text came from; decides how errors render their header.
    public enum Kind: Sendable { case file, commandLine }

    /// The file path as given, or the whole argument (`training.epochs=100`).
    public let path: String
    public let text: String
    public let kind: Kind
    /// One range per line, without its line break; a text ending in a break has a final empty line.
    private let lineRanges: [Range<String.Index>]

    public init(path: String, text: String, kind: Kind = .file) {
        self.path = path
        self.text = text
        self.kind = kind
        var ranges: [Range<String.Index>] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        // libyaml skips a leading byte-order mark without counting a column; so does line 1.
        if start < scalars.endIndex, scalars[start] == "\u{FEFF}" { start = scalars.index(after: start) }
        var index = start
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let next = scalars.index(after: index)
            switch scalar {
            case "\r":
                ranges.append(start..<index)
                if next < scalars.endIndex, scalars[next] == "\n" {
                    start = scalars.index(after: next)
                } else {
                    start = next
                }
                index = start
            case "\n", "\u{85}", "\u{2028}", "\u{2029}":
                ranges.append(start..<index)
                start = next
                index = next
            default:
                index = next
            }
        }
        ranges.append(start..<scalars.endIndex)
        lineRanges = ranges
    }

    /// Line `number` (1-based) without its line break, or nil past the end.
    public func line(_ number: Int) -> String? {
        guard number >= 1, number <= lineRanges.count else { return nil }
        return String(text.unicodeScalars[lineRanges[number - 1]])
    }

    /// The number of lines (a text ending in a line break counts the empty line after it).
    public var lineCount: Int { lineRanges.count }

    /// Decodes file bytes as UTF-8, or throws "the file is not UTF-8 text" at the first bad byte.
    ///
    /// The error's location counts characters the way libyaml does, so line and column are the
    /// ones an editor shows; the rendered line shows the bad bytes as U+FFFD.
    public static func decoding(_ bytes: [UInt8], path: String) throws -> SourceFile {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        var position = TextPosition()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                offset += encoded.count
                // A leading byte-order mark takes no column (as in libyaml).
                if !(scalar == "\u{FEFF}" && offset == encoded.count) { position.advance(over: scalar) }
            case .emptyInput:
                return SourceFile(path: path, text: String(decoding: bytes, as: UTF8.self))
            case .error:
                let byte = offset < bytes.count ? bytes[offset] : 0
                let source = SourceFile(path: path, text: String(decoding: bytes, as: UTF8.self))
                let hex = String(byte, radix: 16, uppercase: true)
                throw SpecError(
                    "the file is not UTF-8 text (byte 0x\(hex.count == 1 ? "0" + hex : hex) at offset \(offset))",
                    at: SourceLocation(source: source, line: position.line, column: position.column),
                    hint: "save the spec as UTF-8")
            }
        }
    }
}

/// A 1-based line and column (in characters, as libyaml counts them) inside a `SourceFile`.
public struct SourceLocation: Sendable {
    public let source: SourceFile
    public let line: Int
    public let column: Int

    public init(source: SourceFile, line: Int, column: Int) {
        self.source = source
        self.line = line
        self.column = column
    }
}

/// Thrown for every problem with a spec; `description` is the full compiler-style rendering:
///
///     Pipelines/xor.yaml:7:11: error: unknown activation 'relu6'; did you mean 'relu'?
///         type: relu6
///               ^
public struct SpecError: Error, Sendable, CustomStringConvertible {
    /// `invalid` covers syntax and semantic errors (exit 64); the others concern the file (exit 66).
    public enum Kind: Sendable { case fileNotFound, unreadable, invalid }

    public let kind: Kind
    public let location: SourceLocation?
    /// The file it concerns (for errors without location), or the `--set` argument.
    public let path: String
    public let message: String
    public let hint: String?

    public init(_ message: String, at location: SourceLocation?, hint: String? = nil, kind: Kind = .invalid) {
        self.kind = kind
        self.location = location
        self.path = location?.source.path ?? ""
        self.message = message
        self.hint = hint
    }

    /// An error about a whole file, with no position (missing, unreadable, empty).
    public init(_ message: String, path: String, kind: Kind) {
        self.kind = kind
        self.location = nil
        self.path = path
        self.message = message
        self.hint = nil
    }

    private init(copying other: SpecError, hint: String?) {
        kind = other.kind
        location = other.location
        path = other.path
        message = other.message
        self.hint = hint
    }

    /// The same error with another hint (nil removes it).
    public func with(hint: String?) -> SpecError { SpecError(copying: self, hint: hint) }

    /// Header, then (with a location) the source line and a caret, then the hint.
    ///
    /// Tabs and other control characters in the shown line become single spaces so the caret,
    /// placed `column - 1` characters in, lines up; very long lines show a window around it.
    public var description: String {
        var lines: [String] = []
        let window = 160
        guard let location else {
            lines.append("\(path): error: \(message)")
            if let hint { lines.append("    hint: \(hint)") }
            return lines.joined(separator: "\n")
        }
        switch location.source.kind {
        case .file:
            lines.append("\(location.source.path):\(location.line):\(location.column): error: \(message)")
        case .commandLine:
            // The argument is user text of any length: quoted on one line, cut to a window.
            lines.append("--set \(quote(location.source.path, limit: window)): error: \(message)")
        }
        if let text = location.source.line(location.line) {
            var shown = text.unicodeScalars.map { scalar -> Unicode.Scalar in
                scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{FEFF}" ? " " : scalar
            }
            var caret = max(0, location.column - 1)
            var prefix = "", suffix = ""
            if shown.count > window {
                let start = max(0, min(caret - window / 2, shown.count - window))
                if start > 0 {
                    prefix = "..."
                    caret = caret - start + 3
                }
                if start + window < shown.count { suffix = "..." }
                shown = Array(shown[start..<(start + window)])
            }
            var rendered = String.UnicodeScalarView()
            rendered.append(contentsOf: shown)
            lines.append("    " + prefix + String(rendered) + suffix)
            lines.append("    " + String(repeating: " ", count: caret) + "^")
        }
        if let hint { lines.append("    hint: \(hint)") }
        return lines.joined(separator: "\n")
    }
}

/// A 1-based line and column (in characters) advanced scalar by scalar, breaking lines as libyaml
/// does: LF, CR, CR LF (one break), NEL, LS and PS.
struct TextPosition {
    private(set) var line = 1
    private(set) var column = 1
    private var previousWasCR = false

    mutating func advance(over scalar: Unicode.Scalar) {
        switch scalar {
        case "\n" where previousWasCR:
            previousWasCR = false
        case "\r", "\n", "\u{85}", "\u{2028}", "\u{2029}":
            line += 1
            column = 1
            previousWasCR = scalar == "\r"
        default:
            column += 1
            previousWasCR = false
        }
    }
}
