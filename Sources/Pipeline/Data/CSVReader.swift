@preconcurrency import Glibc
import PipelineSpec

/// Reads RFC 4180 records from a file one at a time, in 1 MiB chunks, reusing its buffers: the
/// file is never held whole, and a record's fields are byte ranges of one reused array.
///
/// Accepted: fields separated by `delimiter`; records ended by LF, CRLF or CR; fields in double
/// quotes may hold delimiters, line breaks and doubled quotes (`"a ""b"""` is `a "b"`); a UTF-8
/// byte-order mark at the start is skipped; blank lines are skipped. Refused, with line and field:
/// a quote inside an unquoted field, text after a closing quote, a quote left open at the end.
///
/// Bounded: a record (quoted line breaks included) of more than `maximumRecordBytes` or
/// `maximumFields` is refused, checked at every chunk boundary and at the record's end, so an
/// endless line holds at most one limit plus one chunk. A NUL byte anywhere, or a control
/// character in the first chunk, means the file is not text (/dev/zero, an image, an IDX file):
/// it is refused as binary, naming the byte.
final class CSVReader {
    /// 16 MiB: a row of a million 15-character numbers; far beyond any real CSV record.
    static let maximumRecordBytes = 16 << 20
    /// 2^20 columns (8 MiB of field ends per record): more than any spreadsheet holds.
    static let maximumFields = 1 << 20

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
    /// Decoded bytes of the file before the current chunk, for byte positions in messages.
    private var chunkStart = 0
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
                if bytes.count > Self.maximumRecordBytes || ends.count > Self.maximumFields {
                    throw recordTooLong(fields: ends.count, line: line, quoteLine: state == .quoted ? quoteLine : 0, ended: false)
                }
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
                    if bytes.count > Self.maximumRecordBytes || ends.count > Self.maximumFields {
                        throw recordTooLong(fields: ends.count, line: line, quoteLine: 0, ended: true)
                    }
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
        if bytes.count > Self.maximumRecordBytes || ends.count > Self.maximumFields {
            throw recordTooLong(fields: ends.count, line: line, quoteLine: 0, ended: true)
        }
        return true
    }

    private static func isBlank(_ bytes: [UInt8], from start: Int) -> Bool {
        bytes[start...].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    private func refill() throws -> Bool {
        guard !fileEnded else { return false }
        chunkStart += chunkCount
        chunkCount = try file.readFully(into: chunk)
        position = 0
        if chunkCount < chunk.count { fileEnded = true }
        if !started {
            started = true
            if chunkCount >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { position = 3 }
            try checkText(firstChunk: true)
        } else {
            try checkText(firstChunk: false)
        }
        return position < chunkCount
    }

    /// Refuses a chunk that is not text: a NUL byte (never in CSV text: UTF-16, images, IDX,
    /// archives all have them early), or in the first chunk a C0 control character other than
    /// tab, line breaks, form feed, ESC (terminal colours) and 0x1a (DOS end of file).
    private func checkText(firstChunk: Bool) throws {
        guard chunkCount > 0, let base = chunk.baseAddress else { return }
        var found: Int?
        if let nul = memchr(base, 0, chunkCount) {
            found = base.distance(to: nul)
        }
        if firstChunk {
            let limit = found ?? chunkCount
            for i in 0..<limit {
                let byte = chunk[i]
                if byte < 0x20 && !(0x09...0x0D).contains(byte) && byte != 0x1A && byte != 0x1B {
                    found = i
                    break
                }
            }
        }
        guard let index = found else { return }
        let byte = chunk[index]
        let name = byte == 0 ? "a NUL" : "a control character"
        var message = "this looks like a binary file, not CSV text: byte \(grouped(chunkStart + index + 1)) is 0x\(IDXReader.hex(byte)), \(name)"
        let head = Array(UnsafeRawBufferPointer(rebasing: chunk[0..<min(chunkCount, 4)]))
        if chunkStart == 0, let kind = Self.recognise(head) { message += "; \(kind)" }
        throw PipelineError.data(message, path: file.path)
    }

    /// A hint from a binary file's first bytes, for formats people give as CSV by mistake.
    static func recognise(_ head: [UInt8]) -> String? {
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) {
            return "it is UTF-16 text; save it as UTF-8"
        }
        if head.count >= 3 && head[0] == 0 && head[1] == 0 && head[2] == 0x08 {
            return "it starts like an IDX file (00 00 08); read it with type: idx"
        }
        if head.starts(with: Array("PK\u{03}\u{04}".utf8)) {
            return "it is a zip archive (an .xlsx workbook is one); export the sheet as CSV, or unzip it"
        }
        return nil
    }

    /// The error for a record over the limits, at the line where it starts (or where its open
    /// quote is); `ended` when its line end was found, else it is cut at the current chunk's end.
    private func recordTooLong(fields: Int, line: Int, quoteLine: Int, ended: Bool) -> PipelineError {
        let size = MemoryEstimate.format(Self.maximumRecordBytes)
        if fields > Self.maximumFields {
            return PipelineError.data("the row has more than \(grouped(Self.maximumFields)) fields; bp-pipeline reads at most that many columns",
                                      path: file.path, row: line)
        }
        let reached = ended ? "" : " (no end by byte \(grouped(chunkStart + chunkCount)) of the file)"
        if quoteLine > 0 {
            return PipelineError.data("a quoted field is still open after \(size)\(reached); is its closing quote missing?",
                                      path: file.path, row: quoteLine, column: fields + 1)
        }
        return PipelineError.data("the row is longer than \(size)\(reached); bp-pipeline reads rows of at most \(size)",
                                  path: file.path, row: line)
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
            guard Self.isDecimal(bytes, low, high) else { return .invalid }
            for i in 0..<count { text[i] = CChar(bitPattern: bytes[low + i]) }
            text[count] = 0
            let value = strtod(text, nil)
            return value.isFinite ? .number(value) : .outOfRange
        }
    }

    /// The value of `text` when it is a number as a cell reads it (see `number`), else nil.
    static func decimalValue(_ text: String) -> Double? {
        let utf8 = Array(text.utf8)
        guard utf8.withUnsafeBufferPointer({ isDecimal($0, 0, $0.count) }), let value = Double(text) else { return nil }
        return value.isFinite ? value : nil
    }

    /// Whether `bytes[low..<high]` is a decimal number: optional sign, digits with an optional
    /// point (at least one digit), optional exponent with at least one digit.
    private static func isDecimal(_ bytes: UnsafeBufferPointer<UInt8>, _ low: Int, _ high: Int) -> Bool {
        func isDigit(_ index: Int) -> Bool { bytes[index] >= 0x30 && bytes[index] <= 0x39 }
        var digits = 0
        var index = low
        if index < high && (bytes[index] == 0x2B || bytes[index] == 0x2D) { index += 1 }
        while index < high && isDigit(index) { index += 1; digits += 1 }
        if index < high && bytes[index] == 0x2E {
            index += 1
            while index < high && isDigit(index) { index += 1; digits += 1 }
        }
        guard digits > 0 else { return false }
        if index < high && (bytes[index] == 0x65 || bytes[index] == 0x45) {
            index += 1
            if index < high && (bytes[index] == 0x2B || bytes[index] == 0x2D) { index += 1 }
            let exponentStart = index
            while index < high && isDigit(index) { index += 1 }
            guard index > exponentStart else { return false }
        }
        return index == high
    }

    static func show(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
    }
}
