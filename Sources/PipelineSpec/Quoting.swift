/// Bounded quoting of user text in messages: a message names what the user wrote, but never
/// repeats more than about a line of it, however large the value (a 1.7 MB CSV header, a
/// 16 MiB cell, a megabyte-long YAML scalar), and says how much it left out.

/// Quotes user text on one line: line breaks and control characters escaped, at most `limit`
/// characters (Unicode scalars) shown; a longer text is cut and the count of the rest follows:
/// `'abc'`, `'aaaa...' (999,960 more characters)`.
public func quote(_ text: String, limit: Int = 40) -> String {
    let (shown, rest) = shortened(text, limit: limit)
    return rest == 0 ? "'\(shown)'" : "'\(shown)...' (\(grouped(rest)) more character\(rest == 1 ? "" : "s"))"
}

/// Joins names into at most about `limit` characters, each name cut to 40 characters
/// (`long...`); names that do not fit are counted instead: `a, b, c, ... and 1,999,997 more`.
public func boundedList(_ items: [String], limit: Int = 200, separator: String = ", ") -> String {
    var result = ""
    for (index, item) in items.enumerated() {
        let (shown, rest) = shortened(item, limit: 40)
        let piece = (index == 0 ? "" : separator) + shown + (rest == 0 ? "" : "...")
        // Always show the first name; keep room for the "and N more" tail.
        if index > 0 && result.unicodeScalars.count + piece.unicodeScalars.count > limit {
            return result + "\(separator)... and \(grouped(items.count - index)) more"
        }
        result += piece
    }
    return result
}

/// `1234567` as `1,234,567`.
public func grouped(_ number: Int) -> String {
    let digits = String(number.magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(digit)
    }
    return number < 0 ? "-" + result : result
}

/// The first `limit` scalars of `text` with line breaks and control characters escaped, and the
/// number of scalars left out.
private func shortened(_ text: String, limit: Int) -> (String, Int) {
    var shown = ""
    var count = 0
    var scalars = text.unicodeScalars.makeIterator()
    while count < limit, let scalar = scalars.next() {
        switch scalar {
        case "\n": shown += "\\n"
        case "\r": shown += "\\r"
        case "\t": shown += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    var rest = 0
    while scalars.next() != nil { rest += 1 }
    return (shown, rest)
}
