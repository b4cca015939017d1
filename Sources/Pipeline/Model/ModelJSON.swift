/// A JSON value read from a file, with the 1-based line and column where it starts, so a fault in
/// a model file names the place an editor shows.
///
/// Numbers are converted by Swift's `Double(String)`, which is correctly rounded: a double written
/// in shortest round-trip form (what `JSON` writes) reads back bit for bit. Foundation's
/// `JSONSerialization` on Linux is not correctly rounded, so it is not used.
struct LocatedJSON {
    indirect enum Value {
        case null
        case bool(Bool)
        /// The token's text is kept beside the value so integers can be told from fractions.
        case number(Double, text: String)
        case string(String)
        case array([LocatedJSON])
        case object([(key: String, value: LocatedJSON)])
    }

    var value: Value
    var line: Int
    var column: Int

    /// "an object", "a list", "a string", "a number", "true", "null", for "found ..." messages.
    var kindName: String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    subscript(key: String) -> LocatedJSON? {
        guard case .object(let members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Deeper than this many nested lists and objects is refused: a model file needs 4
    /// (object, layers, layer, weights row), and the recursive reader must not exhaust the stack.
    static let maximumDepth = 64

    /// Parses `bytes` (the whole file); `path` names the file in errors, which exit 65.
    static func parse(_ bytes: [UInt8], path: String) throws -> LocatedJSON {
        var scanner = Scanner(bytes: bytes, path: path)
        scanner.skipSpace()
        let value = try scanner.value(depth: 0)
        scanner.skipSpace()
        guard scanner.offset == bytes.count else { throw scanner.failure("text after the JSON value") }
        return value
    }

    private struct Scanner {
        let bytes: [UInt8]
        let path: String
        var offset = 0
        var line = 1
        /// Byte offset where the current line starts; columns count UTF-8 scalars from there.
        var lineStart = 0

        init(bytes: [UInt8], path: String) {
            self.bytes = bytes
            self.path = path
        }

        /// The column at `countedOffset`, so columns are counted once per line, not once per value
        /// (a weights row is one line of thousands of numbers).
        var countedOffset = 0
        var countedColumn = 1

        mutating func column() -> Int {
            if countedOffset < lineStart || countedOffset > offset { (countedOffset, countedColumn) = (lineStart, 1) }
            let end = min(offset, bytes.count)
            // Continuation bytes (10xxxxxx) do not start a character.
            while countedOffset < end {
                if bytes[countedOffset] & 0xC0 != 0x80 { countedColumn += 1 }
                countedOffset += 1
            }
            return countedColumn
        }

        mutating func failure(_ reason: String) -> PipelineError {
            PipelineError.data("not valid JSON: \(reason)", path: path, row: line, column: column())
        }

        var next: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipSpace() {
            while let byte = next {
                switch byte {
                case 0x20, 0x09, 0x0D: offset += 1
                case 0x0A:
                    offset += 1
                    line += 1
                    lineStart = offset
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws -> LocatedJSON {
            let (startLine, startColumn) = (line, column())
            func located(_ value: Value) -> LocatedJSON { LocatedJSON(value: value, line: startLine, column: startColumn) }
            guard let byte = next else { throw failure("the file ends where a value should be") }
            switch byte {
            case UInt8(ascii: "{"):
                guard depth < LocatedJSON.maximumDepth else { throw failure("nested deeper than \(LocatedJSON.maximumDepth) levels") }
                offset += 1
                var members: [(key: String, value: LocatedJSON)] = []
                skipSpace()
                if next == UInt8(ascii: "}") { offset += 1; return located(.object(members)) }
                while true {
                    skipSpace()
                    guard next == UInt8(ascii: "\"") else { throw failure("expected a quoted key") }
                    let key = try string()
                    skipSpace()
                    guard next == UInt8(ascii: ":") else { throw failure("expected ':' after the key") }
                    offset += 1
                    skipSpace()
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    if next == UInt8(ascii: ",") { offset += 1; continue }
                    if next == UInt8(ascii: "}") { offset += 1; return located(.object(members)) }
                    throw failure("expected ',' or '}' in an object")
                }
            case UInt8(ascii: "["):
                guard depth < LocatedJSON.maximumDepth else { throw failure("nested deeper than \(LocatedJSON.maximumDepth) levels") }
                offset += 1
                var items: [LocatedJSON] = []
                skipSpace()
                if next == UInt8(ascii: "]") { offset += 1; return located(.array(items)) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    if next == UInt8(ascii: ",") { offset += 1; continue }
                    if next == UInt8(ascii: "]") { offset += 1; return located(.array(items)) }
                    throw failure("expected ',' or ']' in a list")
                }
            case UInt8(ascii: "\""):
                return located(.string(try string()))
            case UInt8(ascii: "t"):
                try literal("true")
                return located(.bool(true))
            case UInt8(ascii: "f"):
                try literal("false")
                return located(.bool(false))
            case UInt8(ascii: "n"):
                try literal("null")
                return located(.null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return located(try number())
            default:
                throw failure("unexpected character '\(Unicode.Scalar(byte))'")
            }
        }

        mutating func literal(_ word: String) throws {
            let expected = Array(word.utf8)
            guard offset + expected.count <= bytes.count, Array(bytes[offset..<offset + expected.count]) == expected else {
                throw failure("unexpected word (expected '\(word)')")
            }
            offset += expected.count
        }

        /// RFC 8259's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
        mutating func number() throws -> Value {
            let start = offset
            func digits() -> Int {
                let first = offset
                while let byte = next, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { offset += 1 }
                return offset - first
            }
            if next == UInt8(ascii: "-") { offset += 1 }
            if next == UInt8(ascii: "0") {
                offset += 1
            } else if digits() == 0 {
                throw failure("a number needs digits")
            }
            if next == UInt8(ascii: ".") {
                offset += 1
                guard digits() > 0 else { throw failure("a number needs digits after '.'") }
            }
            if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                offset += 1
                if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { offset += 1 }
                guard digits() > 0 else { throw failure("a number needs digits in its exponent") }
            }
            let text = String(decoding: bytes[start..<offset], as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                offset = start
                throw failure("the number \(text) is out of range for a double")
            }
            return .number(value, text: text)
        }

        mutating func string() throws -> String {
            offset += 1
            var scalars = String.UnicodeScalarView()
            var run = offset
            func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
            while let byte = next {
                switch byte {
                case UInt8(ascii: "\""):
                    flush(offset)
                    offset += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    flush(offset)
                    offset += 1
                    guard let escape = next else { throw failure("the file ends inside a string") }
                    offset += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{8}")
                    case UInt8(ascii: "f"): scalars.append("\u{C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code), next == UInt8(ascii: "\\"),
                           offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") {
                            offset += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone surrogate in \\u escapes") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw failure("a lone surrogate in \\u escapes") }
                        scalars.append(scalar)
                    default:
                        offset -= 1
                        throw failure("unknown escape '\\\(Unicode.Scalar(escape))'")
                    }
                    run = offset
                case 0x00..<0x20:
                    throw failure("a control character inside a string")
                default:
                    offset += 1
                }
            }
            throw failure("the file ends inside a string")
        }

        mutating func hex4() throws -> UInt32 {
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = next, let digit = Self.hexValue(byte) else { throw failure("\\u needs 4 hex digits") }
                code = code << 4 | digit
                offset += 1
            }
            return code
        }

        static func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
    }
}
