/// A JSON document read back with every number kept as the text it was written as, so
/// summary.csv repeats metrics.json's figures byte for byte (Foundation's reader on Linux
/// rounds some doubles to a neighbour, and rounding through Double at all is not needed).
///
/// Only for files bp-pipeline wrote (metrics.json, sweep.json, sweep-run.json): a file that is
/// not valid JSON, or nests deeper than `maximumDepth`, reads as nil, the same as a missing one.
indirect enum JSONText: Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

    static let maximumDepth = 64

    static func == (lhs: JSONText, rhs: JSONText) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)), (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: return false
        }
    }

    subscript(key: String) -> JSONText? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }
    var numberText: String? { if case .number(let s) = self { return s }; return nil }
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    var array: [JSONText]? { if case .array(let a) = self { return a }; return nil }
    /// A whole number (as bp-pipeline writes integers: digits, an optional minus).
    var int: Int? { numberText.flatMap { Int($0) } }

    static func parse(_ bytes: [UInt8]) -> JSONText? {
        var reader = Reader(bytes: bytes)
        guard let value = reader.value(depth: 0) else { return nil }
        reader.skipSpace()
        return reader.position == bytes.count ? value : nil
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func take(_ literal: String) -> Bool {
            let scalars = Array(literal.utf8)
            guard position + scalars.count <= bytes.count, Array(bytes[position..<position + scalars.count]) == scalars else { return false }
            position += scalars.count
            return true
        }

        mutating func value(depth: Int) -> JSONText? {
            guard depth < JSONText.maximumDepth else { return nil }
            skipSpace()
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "n"): return take("null") ? .null : nil
            case UInt8(ascii: "t"): return take("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return take("false") ? .bool(false) : nil
            case UInt8(ascii: "\""): return string().map(JSONText.string)
            case UInt8(ascii: "["):
                position += 1
                var items: [JSONText] = []
                skipSpace()
                if take("]") { return .array(items) }
                while true {
                    guard let item = value(depth: depth + 1) else { return nil }
                    items.append(item)
                    skipSpace()
                    if take("]") { return .array(items) }
                    guard take(",") else { return nil }
                }
            case UInt8(ascii: "{"):
                position += 1
                var members: [(String, JSONText)] = []
                skipSpace()
                if take("}") { return .object(members) }
                while true {
                    skipSpace()
                    guard let key = string() else { return nil }
                    skipSpace()
                    guard take(":"), let item = value(depth: depth + 1) else { return nil }
                    members.append((key, item))
                    skipSpace()
                    if take("}") { return .object(members) }
                    guard take(",") else { return nil }
                }
            default: return number()
            }
        }

        /// -?digits[.digits][e[+-]digits], kept as written.
        mutating func number() -> JSONText? {
            let start = position
            func digits() -> Bool {
                let from = position
                while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                return position > from
            }
            _ = take("-")
            guard digits() else { return nil }
            if take(".") { guard digits() else { return nil } }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                position += 1
                if !take("+") { _ = take("-") }
                guard digits() else { return nil }
            }
            return .number(String(decoding: bytes[start..<position], as: UTF8.self))
        }

        mutating func string() -> String? {
            guard take("\"") else { return nil }
            var out: [UInt8] = []
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { return nil }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard position + 4 <= bytes.count,
                              var code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else { return nil }
                        position += 4
                        // A surrogate pair: \uD83D\uDE00.
                        if (0xD800...0xDBFF).contains(code), take("\\u"), position + 4 <= bytes.count,
                           let low = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16),
                           (0xDC00...0xDFFF).contains(low) {
                            position += 4
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                    default: out.append(escape)
                    }
                default: out.append(byte)
                }
            }
            return nil
        }
    }
}
