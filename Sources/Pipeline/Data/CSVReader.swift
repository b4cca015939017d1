@preconcurrency import Glibc

/// Reads RFC 4180 records from a file one at a time, in 1 MiB chunks, reusing its buffers: the
/// file is never held whole, and a record's fields are byte ranges of one reused array.
///
/// Accepted: fields separated by `delimiter`; records ended by LF, CRLF or CR; fields in double
/// quotes may hold delimiters, line breaks and doubled quotes (`"a ""b"""` is `a "b"`); a UTF-8
/// byte-order mark at the start is skipped; blank lines are skipped. Refused, with line and field:
/// a quote inside an unquoted field, text after a closing quote, a quote left open at the end.
final class CSVReader {
    let file: DataFile
    let delimiter: UInt8
    /// The 1-based line on which the current record starts.
    private(set) var line = 0
    /// The current record: field i is `bytes[start(i)..<ends[i]]`.
    private(set) var bytes: [UInt8] = []
    private(set) var ends: [Int] = []

    private let chunk: UnsafeMutableRawBufferPointer
    private var chunkCount = 0
    private var position = 0
    private var fileEnded = false
    private var started = false
    private var nextLine = 1
    /// A CR ended the last record; a LF right after it belongs to the same line break.
    private var skipLineFeed = false
    /// Reused NUL-terminated copy of a cell for strtod.
    private var numberText = [CChar](repeating: 0, count: 256)

    private static let quote = UInt8(ascii: "\""), lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    init(file: DataFile, delimiter: UInt8, chunkSize: Int = 1 << 20) {
        self.file = file
        self.delimiter = delimiter
        chunk = .allocate(byteCount: chunkSize, alignment: 16)
    }

    deinit { chunk.deallocate() }

    var fieldCount: Int { ends.count }

    func start(of field: Int) -> Int { field == 0 ? 0 : ends[field - 1] }

    /// The field's text, spaces and tabs around it removed.
    func text(_ field: Int) -> String {
        let (low, high) = trimmed(field)
        return String(decoding: bytes[low..<high], as: UTF8.self)
    }

    private enum State { case fieldStart, unquoted, quoted, afterQuote }

    /// Reads the next record; false at the end of the file.
    func next() throws -> Bool {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var state = State.fieldStart
        var quoteLine = 0
        line = nextLine
        while true {
            if position == chunkCount {
                guard try refill() else { break }
            }
            let byte = chunk[position]
            position += 1
            if skipLineFeed {
                skipLineFeed = false
                if byte == Self.lineFeed { continue }
            }
            switch state {
            case .quoted:
                if byte == Self.quote {
                    state = .afterQuote
                } else {
                    if byte == Self.lineFeed { nextLine += 1 }
                    bytes.append(byte)
                }
            case .fieldStart, .unquoted, .afterQuote:
                if byte == delimiter {
                    ends.append(bytes.count)
                    state = .fieldStart
                } else if byte == Self.lineFeed || byte == Self.carriageReturn {
                    skipLineFeed = byte == Self.carriageReturn
                    nextLine += 1
                    if state == .fieldStart && ends.isEmpty && isBlank(from: 0) {
                        bytes.removeAll(keepingCapacity: true)
                        line = nextLine   // a blank line
                        continue
                    }
                    ends.append(bytes.count)
                    return true
                } else if state == .afterQuote {
                    if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                        continue   // spaces between a closing quote and the delimiter
                    } else if byte == Self.quote {
                        bytes.append(byte)   // "" inside quotes is one quote
                        state = .quoted
                    } else {
                        throw PipelineError.data("unexpected character '\(Self.show(byte))' after a closing quote; a quoted field must end at a delimiter or line end",
                                                 path: file.path, row: nextLine, column: ends.count + 1)
                    }
                } else if byte == Self.quote {
                    if state == .fieldStart && isBlank(from: start(of: ends.count)) {
                        bytes.removeSubrange(start(of: ends.count)...)   // spaces before an opening quote
                        state = .quoted
                        quoteLine = nextLine
                    } else {
                        throw PipelineError.data("quote inside an unquoted field; quote the whole field and double the quotes inside it",
                                                 path: file.path, row: nextLine, column: ends.count + 1)
                    }
                } else {
                    bytes.append(byte)
                    // Leading spaces keep the field open to an opening quote.
                    if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { state = .unquoted }
                }
            }
        }
        if state == .quoted {
            throw PipelineError.data("a quoted field is never closed (the file ends inside it)",
                                     path: file.path, row: quoteLine, column: ends.count + 1)
        }
        if state == .fieldStart && ends.isEmpty && isBlank(from: 0) { return false }
        ends.append(bytes.count)
        return true
    }

    private func isBlank(from start: Int) -> Bool {
        bytes[start...].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    private func refill() throws -> Bool {
        guard !fileEnded else { return false }
        chunkCount = try file.readFully(into: chunk)
        position = 0
        if chunkCount < chunk.count { fileEnded = true }
        if !started {
            started = true
            if chunkCount >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { position = 3 }
        }
        return position < chunkCount
    }

    private func trimmed(_ field: Int) -> (Int, Int) {
        var low = start(of: field), high = ends[field]
        while low < high && (bytes[low] == 0x20 || bytes[low] == 0x09) { low += 1 }
        while high > low && (bytes[high - 1] == 0x20 || bytes[high - 1] == 0x09) { high -= 1 }
        return (low, high)
    }

    /// A numeric cell: a finite decimal number, a missing-value marker, or neither.
    enum Cell: Equatable {
        case number(Double)
        case missing
        case invalid
        case outOfRange
    }

    /// Words read as a missing value (compared without case): pandas' and R's usual markers.
    static let missingMarkers: Set<String> = ["", "na", "n/a", "nan", "null", "none", "?"]

    /// Reads field `field` as a number: optional sign, digits with an optional point, optional
    /// exponent (`-1.5e3`); spaces around it are ignored. `inf`, hex and thousands separators are not numbers.
    func number(_ field: Int) -> Cell {
        let (low, high) = trimmed(field)
        let count = high - low
        if count <= 4 {
            let word = String(decoding: bytes[low..<high], as: UTF8.self).lowercased()
            if Self.missingMarkers.contains(word) { return .missing }
        }
        guard count < numberText.count else { return .invalid }
        var digits = 0
        var index = low
        if index < high && (bytes[index] == 0x2B || bytes[index] == 0x2D) { index += 1 }
        while index < high && bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1; digits += 1 }
        if index < high && bytes[index] == 0x2E {
            index += 1
            while index < high && bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1; digits += 1 }
        }
        guard digits > 0 else { return .invalid }
        if index < high && (bytes[index] == 0x65 || bytes[index] == 0x45) {
            index += 1
            if index < high && (bytes[index] == 0x2B || bytes[index] == 0x2D) { index += 1 }
            let exponentStart = index
            while index < high && bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
            guard index > exponentStart else { return .invalid }
        }
        guard index == high else { return .invalid }
        for i in 0..<count { numberText[i] = CChar(bitPattern: bytes[low + i]) }
        numberText[count] = 0
        let value = strtod(numberText, nil)
        return value.isFinite ? .number(value) : .outOfRange
    }

    static func show(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
    }
}
