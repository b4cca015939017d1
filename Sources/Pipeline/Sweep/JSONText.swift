/// A JSON document read back with every number kept as the text it was written as, so
/// summary.csv repeats metrics.json's figures byte for byte (Foundation's reader on Linux
/// rounds some doubles to a neighbour, and rounding through Double at all is not needed).
///
/// Only for files bp-pipeline wrote (metrics.json, sweep.json, sweep-run.json): a file that is
/// not valid JSON, or nests too deeply, reads as nil, the same as a missing one.
indirect enum JSONText: Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

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

    /// Reads through `LocatedJSON` (the model files' reader, which keeps each number's text
    /// beside its value); any fault, or nesting deeper than its 64 levels, reads as nil.
    static func parse(_ bytes: [UInt8]) -> JSONText? {
        (try? LocatedJSON.parse(bytes, path: "")).map(JSONText.init)
    }

    private init(_ located: LocatedJSON) {
        switch located.value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(_, let text): self = .number(text)
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(JSONText.init))
        case .object(let members): self = .object(members.map { ($0.key, JSONText($0.value)) })
        }
    }
}
