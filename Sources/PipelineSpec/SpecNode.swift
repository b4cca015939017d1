/// One YAML node of a spec, with the place its value starts.
///
/// Only plain (unquoted) scalars resolve to numbers, booleans and null, following the YAML 1.2
/// core schema: `5` is a number, `"5"` is a string; `~`, `null` and an empty value are null.
/// Integers are decimal with an optional sign and no `_` separators; numbers may have a fraction
/// and an exponent (`1e-3`, `.5`); `.nan` and `.inf` are refused because no spec value needs them.
public struct SpecNode: Sendable {
    /// The three shapes a YAML node can take; mapping keys are always scalars.
    public enum Value: Sendable {
        case scalar(String, plain: Bool)
        case sequence([SpecNode])
        case mapping([(key: SpecNode, value: SpecNode)])
    }

    public var value: Value
    public let location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// The text of a scalar, nil for a list or mapping.
    public var scalarString: String? {
        if case .scalar(let text, _) = value { return text }
        return nil
    }

    /// True for plain `~`, `null`, `Null`, `NULL` and an empty plain scalar.
    public var isNull: Bool {
        if case .scalar(let text, plain: true) = value { return ScalarForm.isNull(text) }
        return false
    }

    /// What this node is, for messages: "a mapping", "a list", "a string", "a number", "a boolean", "null".
    public var kindName: String {
        switch value {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, let plain):
            guard plain else { return "a string" }
            if ScalarForm.isNull(text) { return "null" }
            if ScalarForm.isBool(text) { return "a boolean" }
            if ScalarForm.isInteger(text) || ScalarForm.isDecimal(text) || ScalarForm.isSpecialFloat(text) {
                return "a number"
            }
            return "a string"
        }
    }

    /// The mapping's entries, nil for a scalar or list.
    public var entries: [(key: SpecNode, value: SpecNode)]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    /// The value of `key` in a mapping (first match), nil if absent or not a mapping.
    public subscript(key: String) -> SpecNode? {
        entries?.first(where: { $0.key.scalarString == key })?.value
    }

    /// An error located at this node.
    public func error(_ message: String, hint: String? = nil) -> SpecError {
        SpecError(message, at: location, hint: hint)
    }

    /// How this node reads in "found ..." messages: `'ten'`, `no value`, `null`, `a list`.
    public var foundDescription: String {
        switch value {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, let plain):
            if plain && text.isEmpty { return "no value" }
            if plain && ScalarForm.isNull(text) { return "null" }
            return quote(text)
        }
    }

    private func mismatch(_ expected: String, _ what: String, hint: String? = nil) -> SpecError {
        error("expected \(expected) for '\(what)', found \(foundDescription)", hint: hint)
    }

    /// The text of any non-null scalar (`name: 123` reads as "123").
    public func string(_ what: String) throws -> String {
        guard case .scalar(let text, _) = value, !isNull else { throw mismatch("a string", what) }
        return text
    }

    /// A plain decimal integer such as `10`, `-3` or `+7` (no `_`, no exponent, no fraction).
    public func int(_ what: String) throws -> Int {
        guard case .scalar(let text, let plain) = value, !isNull else { throw mismatch("an integer", what) }
        if !plain {
            let hint = ScalarForm.isInteger(text) ? "remove the quotes to write a number" : nil
            throw error("expected an integer for '\(what)', found the string \(quote(text))", hint: hint)
        }
        if ScalarForm.isInteger(text) {
            guard let number = Int(text) else {
                throw error("the integer \(quote(text)) is too large for '\(what)'")
            }
            return number
        }
        if ScalarForm.isDecimal(text), let number = Double(text), number.rounded() == number,
           abs(number) < 1e15 {
            throw mismatch("an integer", what, hint: "write \(Int(number))")
        }
        throw mismatch("an integer", what)
    }

    /// A plain number: an integer, a decimal or one with an exponent; finite.
    public func double(_ what: String) throws -> Double {
        guard case .scalar(let text, let plain) = value, !isNull else { throw mismatch("a number", what) }
        if !plain {
            let numeric = ScalarForm.isInteger(text) || ScalarForm.isDecimal(text)
            throw error("expected a number for '\(what)', found the string \(quote(text))",
                        hint: numeric ? "remove the quotes to write a number" : nil)
        }
        if ScalarForm.isSpecialFloat(text) {
            throw error("'\(what)' must be a finite number, found \(quote(text))")
        }
        guard ScalarForm.isInteger(text) || ScalarForm.isDecimal(text), let number = Double(text) else {
            throw mismatch("a number", what)
        }
        guard number.isFinite else {
            throw error("the number \(quote(text)) is out of range for '\(what)'")
        }
        return number
    }

    /// `true` or `false` in any case; YAML 1.1's `yes`/`no`/`on`/`off` are refused with a hint.
    public func bool(_ what: String) throws -> Bool {
        guard case .scalar(let text, let plain) = value, !isNull else { throw mismatch("true or false", what) }
        if plain {
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            case "yes", "no", "on", "off", "y", "n":
                throw mismatch("true or false", what, hint: "write true or false")
            default: break
            }
        } else if ScalarForm.isBool(text) {
            throw error("expected true or false for '\(what)', found the string \(quote(text))",
                        hint: "remove the quotes")
        }
        throw mismatch("true or false", what)
    }

    /// The items of a list.
    public func list(_ what: String) throws -> [SpecNode] {
        guard case .sequence(let items) = value else { throw mismatch("a list", what) }
        return items
    }

    /// A list of numbers; an item's error names it as `what[i]` (numbered from 0).
    public func doubles(_ what: String) throws -> [Double] {
        let items = try list(what)
        var result: [Double] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            result.append(try item.double("\(what)[\(index)]"))
        }
        return result
    }

    /// A list of rows, each a list of numbers, all rows the same length.
    ///
    /// A ragged row is an error at that row: "'weights[1]' has 3 numbers, but 'weights[0]' has 2".
    public func doubleMatrix(_ what: String) throws -> [[Double]] {
        let rows = try list(what)
        var result: [[Double]] = []
        result.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            let values = try row.doubles("\(what)[\(index)]")
            if let first = result.first, first.count != values.count {
                throw row.error(
                    "'\(what)[\(index)]' has \(values.count) \(values.count == 1 ? "number" : "numbers"), "
                        + "but '\(what)[0]' has \(first.count)")
            }
            result.append(values)
        }
        return result
    }
}

/// The YAML 1.2 core-schema forms of plain scalars, written out by hand (no regex engine needed).
enum ScalarForm {
    static func isNull(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    static func isBool(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower == "true" || lower == "false"
    }

    /// `[-+]?[0-9]+`
    static func isInteger(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            bytes = bytes.dropFirst()
        }
        return !bytes.isEmpty && bytes.allSatisfy(isDigit)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isDecimal(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            index += 1
        }
        let whole = digits()
        var fraction = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fraction = digits()
        }
        guard whole > 0 || fraction > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                index += 1
            }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    /// `.inf`, `-.Inf`, `.NAN` and the other spellings the core schema gives infinity and NaN.
    static func isSpecialFloat(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("-") || body.hasPrefix("+") { body = body.dropFirst() }
        switch body {
        case ".inf", ".Inf", ".INF": return true
        case ".nan", ".NaN", ".NAN": return text.count == body.count
        default: return false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
