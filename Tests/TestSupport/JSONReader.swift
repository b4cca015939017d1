import Foundation

/// Reads back the JSON files a run writes (metrics.json, model.json) for tests, with every number
/// converted by Swift's `Double(String)` / `Int(String)`, which are correctly rounded: the double
/// a file holds in shortest round-trip form reads back bit for bit. Foundation's
/// `JSONSerialization` on Linux is not correctly rounded (`-3.8929771988657245` reads back as
/// `-3.892977198865725`), so a test comparing a written value with the value in memory through it
/// fails on some CPUs and not others, depending on which doubles training happened to produce.
///
/// The result has the shapes `JSONSerialization` gives, so tests cast as usual: objects are
/// `[String: Any]`, arrays `[Any]`, strings `String`, `true`/`false` `Bool`, `null` `NSNull`; a
/// number is an `Int` when its token has no fraction or exponent and fits, else a `Double`
/// (the writer prints `JSON.number` always with a "." or an exponent, `JSON.integer` without).
public enum JSONReader {
    /// What is wrong with a text, and the byte offset where the reader noticed.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "byte \(offset): \(reason)" }
    }

    /// The object at the top of the file at `path`.
    public static func object(atPath path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try parse([UInt8](data)) as? [String: Any] else {
            throw Failure(offset: 0, reason: "\(path) does not hold a JSON object")
        }
        return object
    }

    /// One JSON value filling all of `text` (whitespace around it allowed).
    public static func parse(_ text: String) throws -> Any {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws -> Any {
        var scanner = Scanner(bytes: bytes)
        let value = try scanner.value(depth: 0)
        scanner.skipSpace()
        guard scanner.offset == bytes.count else { throw scanner.failure("text after the value") }
        return value
    }

    struct Scanner {
        let bytes: [UInt8]
        var offset = 0

        func failure(_ reason: String) -> Failure { Failure(offset: offset, reason: reason) }

        var next: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipSpace() {
            while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
        }

        /// Consumes `word`, or fails at the offset where it should start.
        mutating func expect(_ word: String) throws {
            let start = offset
            for byte in word.utf8 {
                guard next == byte else { throw Failure(offset: start, reason: "expected '\(word)'") }
                offset += 1
            }
        }

        mutating func value(depth: Int) throws -> Any {
            // The files under test nest a few levels; the cap keeps a damaged file from overflowing the stack.
            guard depth < 64 else { throw failure("nested deeper than 64 levels") }
            skipSpace()
            switch next {
            case UInt8(ascii: "{"):
                offset += 1
                var object: [String: Any] = [:]
                skipSpace()
                if next == UInt8(ascii: "}") { offset += 1; return object }
                while true {
                    skipSpace()
                    guard next == UInt8(ascii: "\"") else { throw failure("expected a key") }
                    let keyStart = offset
                    let key = try string()
                    guard object[key] == nil else { throw Failure(offset: keyStart, reason: "duplicate key '\(key)'") }
                    skipSpace()
                    try expect(":")
                    object[key] = try value(depth: depth + 1)
                    skipSpace()
                    if next == UInt8(ascii: ",") { offset += 1; continue }
                    try expect("}")
                    return object
                }
            case UInt8(ascii: "["):
                offset += 1
                var array: [Any] = []
                skipSpace()
                if next == UInt8(ascii: "]") { offset += 1; return array }
                while true {
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    if next == UInt8(ascii: ",") { offset += 1; continue }
                    try expect("]")
                    return array
                }
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "t"): try expect("true"); return true
            case UInt8(ascii: "f"): try expect("false"); return false
            case UInt8(ascii: "n"): try expect("null"); return NSNull()
            case nil: throw failure("unexpected end of text")
            default: return try number()
            }
        }

        /// A number token per RFC 8259 (-?int frac? exp?), converted from its text.
        mutating func number() throws -> Any {
            let start = offset
            func digits() -> Int {
                let first = offset
                while let byte = next, byte >= 0x30 && byte <= 0x39 { offset += 1 }
                return offset - first
            }
            if next == UInt8(ascii: "-") { offset += 1 }
            let integerStart = offset
            let integerDigits = digits()
            guard integerDigits > 0 else { throw failure("expected a value") }
            guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw failure("a number with a leading zero") }
            var isInteger = true
            if next == UInt8(ascii: ".") {
                offset += 1
                isInteger = false
                guard digits() > 0 else { throw failure("expected digits after '.'") }
            }
            if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                offset += 1
                isInteger = false
                if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { offset += 1 }
                guard digits() > 0 else { throw failure("expected digits in the exponent") }
            }
            let token = String(decoding: bytes[start..<offset], as: UTF8.self)
            if isInteger, let integer = Int(token) { return integer }
            guard let double = Double(token) else { throw failure("unreadable number '\(token)'") }
            return double
        }

        mutating func string() throws -> String {
            offset += 1   // the opening quote
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []   // raw UTF-8 between escapes
            func flush() {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll()
            }
            while let byte = next {
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    flush()
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    flush()
                    guard let escape = next else { break }
                    offset += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if code >= 0xD800 && code < 0xDC00 {
                            // A surrogate pair: \uD83D\uDE00.
                            try expect("\\u")
                            let low = try hex4()
                            guard low >= 0xDC00 && low < 0xE000 else { throw failure("unpaired surrogate") }
                            code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw failure("unpaired surrogate") }
                        scalars.append(scalar)
                    default: throw failure("unknown escape")
                    }
                case 0..<0x20: throw failure("a control character in a string")
                default: run.append(byte)
                }
            }
            throw failure("unterminated string")
        }

        mutating func hex4() throws -> UInt32 {
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = next, let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                    throw failure("expected four hex digits")
                }
                code = code << 4 | UInt32(digit)
                offset += 1
            }
            return code
        }
    }
}
