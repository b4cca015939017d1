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
    /// Reused NUL-terminated copy of a cell for strtod (a pointer, so no exclusivity checks).
    private let numberText: UnsafeMutablePointer<CChar>
    private static let numberCapacity = 256

    private static let quote = UInt8(ascii: "\""), lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    init(file: DataFile, delimiter: UInt8, chunkSize: Int = 1 << 20) {
        self.file = file
        self.delimiter = delimiter
        chunk = .allocate(byteCount: chunkSize, alignment: 16)
        numberText = .allocate(capacity: Self.numberCapacity)
    }

    deinit {
        chunk.deallocate()
        numberText.deallocate()
    }

    var fieldCount: Int { ends.count }

    func start(of field: Int) -> Int { field == 0 ? 0 : ends[field - 1] }

    /// The field's text, spaces and tabs around it removed.
    func text(_ field: Int) -> String {
        let (low, high) = trimmed(field)
        return String(decoding: bytes[low..<high], as: UTF8.self)
    }

    private enum State { case fieldStart, unquoted, quoted, afterQuote }

    /// Reads the next record; false at the end of the file.
    ///
    /// The loop works on local copies of the buffers and counters (moved out of the object and
    /// back), so the hot path has no exclusivity checks on class properties.
    func next() throws -> Bool {
        var bytes: [UInt8] = [], ends: [Int] = []
        swap(&bytes, &self.bytes)
        swap(&ends, &self.ends)
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var position = self.position, count = chunkCount, nextLine = self.nextLine, skipLineFeed = self.skipLineFeed
        var line = nextLine
        defer {
            swap(&bytes, &self.bytes)
            swap(&ends, &self.ends)
            self.position = position
            self.nextLine = nextLine
            self.skipLineFeed = skipLineFeed
            self.line = line
        }
        let chunk = self.chunk, delimiter = self.delimiter
        let quote = Self.quote, lineFeed = Self.lineFeed, carriageReturn = Self.carriageReturn
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        var state = State.fieldStart
        var quoteLine = 0
        while true {
            if position == count {
                guard try refill() else { break }
                position = self.position
                count = chunkCount
            }
            let byte = chunk[position]
            position += 1
            if skipLineFeed {
                skipLineFeed = false
                if byte == lineFeed { continue }
            }
            switch state {
            case .quoted:
                if byte == quote {
                    state = .afterQuote
                } else {
                    if byte == lineFeed { nextLine += 1 }
                    bytes.append(byte)
                }
            case .fieldStart, .unquoted, .afterQuote:
                if byte == delimiter {
                    ends.append(bytes.count)
                    state = .fieldStart
                } else if byte == lineFeed || byte == carriageReturn {
                    skipLineFeed = byte == carriageReturn
                    nextLine += 1
                    if state == .fieldStart && ends.isEmpty && Self.isBlank(bytes, from: 0) {
                        bytes.removeAll(keepingCapacity: true)
                        line = nextLine   // a blank line
                        continue
                    }
                    ends.append(bytes.count)
                    return true
                } else if state == .afterQuote {
                    if byte == space || byte == tab {
                        continue   // spaces between a closing quote and the delimiter
                    } else if byte == quote {
                        bytes.append(byte)   // "" inside quotes is one quote
                        state = .quoted
                    } else {
                        throw PipelineError.data("unexpected character '\(Self.show(byte))' after a closing quote; a quoted field must end at a delimiter or line end",
                                                 path: file.path, row: nextLine, column: ends.count + 1)
                    }
                } else if byte == quote {
                    let fieldStart = ends.last ?? 0
                    if state == .fieldStart && Self.isBlank(bytes, from: fieldStart) {
                        bytes.removeSubrange(fieldStart...)   // spaces before an opening quote
                        state = .quoted
                        quoteLine = nextLine
                    } else {
                        throw PipelineError.data("quote inside an unquoted field; quote the whole field and double the quotes inside it",
                                                 path: file.path, row: nextLine, column: ends.count + 1)
                    }
                } else {
                    bytes.append(byte)
                    // Leading spaces keep the field open to an opening quote.
                    if byte != space && byte != tab { state = .unquoted }
                }
            }
        }
        if state == .quoted {
            throw PipelineError.data("a quoted field is never closed (the file ends inside it)",
                                     path: file.path, row: quoteLine, column: ends.count + 1)
        }
        if state == .fieldStart && ends.isEmpty && Self.isBlank(bytes, from: 0) { return false }
        ends.append(bytes.count)
        return true
    }

    private static func isBlank(_ bytes: [UInt8], from start: Int) -> Bool {
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
        guard count < Self.numberCapacity else { return .invalid }
        let text = numberText
        return bytes.withUnsafeBufferPointer { bytes -> Cell in
            func isDigit(_ index: Int) -> Bool { bytes[index] >= 0x30 && bytes[index] <= 0x39 }
            var digits = 0
            var index = low
            if index < high && (bytes[index] == 0x2B || bytes[index] == 0x2D) { index += 1 }
            while index < high && isDigit(index) { index += 1; digits += 1 }
            if index < high && bytes[index] == 0x2E {
                index += 1
                while index < high && isDigit(index) { index += 1; digits += 1 }
            }
            guard digits > 0 else { return .invalid }
            if index < high && (bytes[index] == 0x65 || bytes[index] == 0x45) {
                index += 1
                if index < high && (bytes[index] == 0x2B || bytes[index] == 0x2D) { index += 1 }
                let exponentStart = index
                while index < high && isDigit(index) { index += 1 }
                guard index > exponentStart else { return .invalid }
            }
            guard index == high else { return .invalid }
            for i in 0..<count { text[i] = CChar(bitPattern: bytes[low + i]) }
            text[count] = 0
            let value = strtod(text, nil)
            return value.isFinite ? .number(value) : .outOfRange
        }
    }

    static func show(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
    }
}
