import Foundation
import Glibc
import Testing
@testable import Pipeline

/// No data file exhausts memory or time: long records, binary files, gzip bombs, pipes and
/// devices, data beyond --max-memory, and messages that would repeat megabytes of the file.
@Suite(.timeLimit(.minutes(2))) struct DataBoundsTests {
    static let mebibyte = 1 << 20

    /// The reader checks a record's length at each 1 MiB chunk. An endless row: the header
    /// (4 bytes) is line 1, the row starts at byte 5 and holds 17 MiB - 4 bytes > 16 MiB after
    /// chunk 17. A quote opened at line 2, field 2 and never closed: the record holds 17 MiB - 6
    /// bytes (the comma and the quote are not kept), also past the limit after chunk 17.
    @Test(arguments: [
        ("a,b\n", UInt8(ascii: "1"), "{dir}/d.csv:2: error: the row is longer than 16.0 MiB (no end by byte 17,825,792 of the file); bp-pipeline reads rows of at most 16.0 MiB"),
        ("a,b\n1,\"", UInt8(ascii: "x"), "{dir}/d.csv:2:2: error: a quoted field is still open after 16.0 MiB (no end by byte 17,825,792 of the file); is its closing quote missing?"),
    ])
    func aRecordPast16MiBStopsAtTheChunkWhereItPassesIt(head: String, filler: UInt8, expected: String) throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", bytes: Array(head.utf8) + [UInt8](repeating: filler, count: 18 * Self.mebibyte))
        let (code, message) = try scratch.failure("type: csv\npath: d.csv")
        #expect(code == .dataError)
        #expect(message == expected)
    }

    /// 2^20 + 1 fields in the header: refused at the end of the record.
    @Test func aRowOfMoreThan2To20FieldsIsRefused() throws {
        let scratch = try DataScratch()
        let header = [String](repeating: "0", count: (1 << 20) + 1).joined(separator: ",")
        try scratch.write("d.csv", header + "\n")
        let (code, message) = try scratch.failure("type: csv\npath: d.csv")
        #expect(code == .dataError)
        #expect(message == "{dir}/d.csv:1: error: the row has more than 1,048,576 fields; bp-pipeline reads at most that many columns")
    }

    struct Binary: CustomStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let message: String
        var description: String { name }
    }

    static let binaries: [Binary] = [
        Binary(name: "a NUL in a cell", bytes: Array("a,b\n1,".utf8) + [0] + Array("2\n".utf8),
               message: "{dir}/d.csv: error: this looks like a binary file, not CSV text: byte 7 is 0x00, a NUL"),
        Binary(name: "a bell character", bytes: Array("a,b\n1,\u{7}\n".utf8),
               message: "{dir}/d.csv: error: this looks like a binary file, not CSV text: byte 7 is 0x07, a control character"),
        Binary(name: "an IDX file", bytes: idxBytes([2, 2], [1, 2, 3, 4]),
               message: "{dir}/d.csv: error: this looks like a binary file, not CSV text: byte 1 is 0x00, a NUL; it starts like an IDX file (00 00 08); read it with type: idx"),
        Binary(name: "UTF-16 text", bytes: [0xFF, 0xFE, 0x61, 0x00, 0x2C, 0x00],
               message: "{dir}/d.csv: error: this looks like a binary file, not CSV text: byte 4 is 0x00, a NUL; it is UTF-16 text; save it as UTF-8"),
        Binary(name: "a zip archive", bytes: [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00],
               message: "{dir}/d.csv: error: this looks like a binary file, not CSV text: byte 3 is 0x03, a control character; it is a zip archive (an .xlsx workbook is one); export the sheet as CSV, or unzip it"),
    ]

    @Test(arguments: binaries)
    func binaryFilesAreRecognised(_ binary: Binary) throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", bytes: binary.bytes)
        let (code, message) = try scratch.failure("type: csv\npath: d.csv")
        #expect(code == .dataError)
        #expect(message == binary.message)
    }

    /// A NUL past the first chunk is found too, at its byte in the whole file; the gzip case counts
    /// decompressed bytes. 4 (header) + 300,000 rows of 4 bytes, then the NUL: byte 1,200,005.
    @Test func aNULLaterInTheFileIsFoundAtItsByte() throws {
        let scratch = try DataScratch()
        let text = Array(("a,k\n" + String(repeating: "1,x\n", count: 300_000)).utf8) + [0]
        try scratch.write("d.csv", bytes: text)
        try scratch.write("d.csv.gz", bytes: try GzipInflater.compress(text))
        let (_, message) = try scratch.failure("type: csv\npath: d.csv")
        #expect(message == "{dir}/d.csv: error: this looks like a binary file, not CSV text: byte 1,200,005 is 0x00, a NUL")
        let (_, gzip) = try scratch.failure("type: csv\npath: d.csv.gz")
        #expect(gzip == "{dir}/d.csv.gz: error: this looks like a binary file, not CSV text: byte 1,200,005 is 0x00, a NUL")
    }

    /// Latin-1 text (bytes 0x80-0xFF that are not UTF-8) is text, not binary: it loads.
    @Test func latin1TextIsNotBinary() throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", bytes: Array("a,k\n1,caf".utf8) + [0xE9] + Array("\n2,x\n".utf8))
        let data = try scratch.load("type: csv\npath: d.csv")
        #expect(data.training.inputs.storage == [1, 2])
        #expect(data.task.classNames == ["caf\u{FFFD}", "x"])
    }

    @Test func devZeroIsRefusedAsBinaryAtOnce() throws {
        let scratch = try DataScratch()
        let (code, message) = try scratch.failure("type: csv\npath: /dev/zero")
        #expect(code == .dataError)
        #expect(message == "/dev/zero: error: this looks like a binary file, not CSV text: byte 1 is 0x00, a NUL")
    }

    /// A named pipe nobody writes to is opened without waiting and reads as empty.
    @Test func aPipeWithoutAWriterReadsAsEmpty() throws {
        let scratch = try DataScratch()
        #expect(mkfifo(scratch.folder + "/p.csv", 0o600) == 0)
        let (code, message) = try scratch.failure("type: csv\npath: p.csv")
        #expect(code == .dataError)
        #expect(message == "{dir}/p.csv: error: the file is empty")
    }

    /// A pipe that keeps giving text (2 MiB of blank lines: nothing is held) stops once it has
    /// given more than --max-memory (1 MiB) of it.
    @Test func anEndlessPipeStopsAtTheMemoryLimit() throws {
        let scratch = try DataScratch()
        let path = scratch.folder + "/p.csv"
        #expect(mkfifo(path, 0o600) == 0)
        // Opened read-write by the test (Linux never blocks on that), the pipe has a writer before
        // the reader opens it, so the reader cannot see an empty pipe first. The test's own end
        // drains what the reader leaves, so the writing thread always finishes.
        let fd = open(path, O_RDWR)
        #expect(fd >= 0)
        let text = Array(("a,k\n" + String(repeating: "\n", count: 2 * Self.mebibyte)).utf8)
        let done = DispatchSemaphore(value: 0)
        Thread {
            text.withUnsafeBytes { bytes in
                var written = 0
                while written < bytes.count {
                    let count = write(fd, bytes.baseAddress! + written, bytes.count - written)
                    if count <= 0 { break }
                    written += count
                }
            }
            done.signal()
        }.start()
        let (code, message) = try scratch.failure("type: csv\npath: p.csv", maximumMemory: Self.mebibyte)
        _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        var sink = [UInt8](repeating: 0, count: 1 << 16)
        while done.wait(timeout: .now() + .milliseconds(10)) == .timedOut {
            _ = sink.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        }
        close(fd)
        #expect(code == .dataError)
        #expect(message == "{dir}/p.csv: error: gives more than 1.0 MiB of data (the --max-memory limit) and has not ended; bp-pipeline reads a pipe or device only up to that; give a larger --max-memory if the data is real")
    }

    /// A gzip stream that inflates past a 1 MiB budget is refused with how much of the compressed
    /// file was read (all of it here: zlib reads 256 KiB at a time): a CSV of 2 MiB of blank lines
    /// (nothing is held), and IDX data followed by 2 MiB of zeros (before, every byte after the
    /// data was inflated just to be counted).
    @Test(arguments: [
        ("b.csv.gz", Array(("a,k\n" + String(repeating: "\n", count: 2 * mebibyte)).utf8), "type: csv\npath: b.csv.gz"),
        ("i.idx.gz", idxBytes([2, 2], [1, 2, 3, 4]) + [UInt8](repeating: 0, count: 2 * mebibyte), "type: idx\nimages: i.idx.gz\nlabels: l.idx"),
    ])
    func aGzipBombStopsAtTheMemoryLimit(name: String, inflated: [UInt8], keys: String) throws {
        let scratch = try DataScratch()
        try scratch.write("l.idx", bytes: idxBytes([2], [0, 1]))
        let gzip = try GzipInflater.compress(inflated)
        try scratch.write(name, bytes: gzip)
        let (code, message) = try scratch.failure(keys, maximumMemory: Self.mebibyte)
        #expect(code == .dataError)
        let size = MemoryEstimate.format(gzip.count)
        #expect(message == "{dir}/\(name): error: the gzip data inflates to more than 1.0 MiB (the --max-memory limit) after \(size) of its \(size); give a larger --max-memory if the data is real")
    }

    /// Rows of 2 inputs and 2 classes: 4 float64 numbers, 32 bytes each. 1 MiB holds 32,768; row
    /// 32,769 (line 32,770) passes it: 131,076 numbers, 1,048,608 bytes.
    @Test func samplesBeyondTheMemoryLimitStopAtTheRowThatPassesIt() throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", "a,b,k\n" + String(repeating: "1,2,x\n3,4,y\n", count: 20_000))
        let (code, message) = try scratch.failure("type: csv\npath: d.csv", maximumMemory: Self.mebibyte)
        #expect(code == .dataError)
        #expect(message == "{dir}/d.csv:32770: error: the data does not fit in --max-memory (1.0 MiB): by this row it holds 32,769 samples of 2 inputs and 2 classes one-hot, 131,076 float64 numbers (1.0 MiB); raise --max-memory or use a smaller file")
        // The same file loads within the default limit.
        #expect(try scratch.load("type: csv\npath: d.csv").training.count == 40_000)
    }

    /// A new class in every row grows the one-hot targets quadratically: rows · (1 + rows) · 8
    /// passes 1 MiB at row 362 (362 · 363 = 131,406 numbers; 361 · 362 = 130,682 fit).
    @Test func aClassPerRowStopsBeforeTheOneHotTargetsAreAllocated() throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", "a,k\n" + (0..<1_000).map { "1,c\($0)\n" }.joined())
        let (_, message) = try scratch.failure("type: csv\npath: d.csv", maximumMemory: Self.mebibyte)
        #expect(message == "{dir}/d.csv:363: error: the data does not fit in --max-memory (1.0 MiB): by this row it holds 362 samples of 1 input and 362 classes one-hot, 131,406 float64 numbers (1.0 MiB); raise --max-memory or use a smaller file")
    }

    /// The test file gets what the training file left of the budget: training holds 2 rows of
    /// (1 input + 2 classes) = 48 bytes of 100, so the test file's third row (72 bytes) passes 52.
    @Test func theTestFileGetsWhatTheTrainingFileLeft() throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", "a,k\n1,x\n2,y\n")
        try scratch.write("t.csv", "a,k\n1,x\n2,y\n3,x\n")
        let (_, message) = try scratch.failure("type: csv\npath: d.csv\ntest: t.csv", maximumMemory: 100)
        #expect(message == "{dir}/t.csv:4: error: the data does not fit in --max-memory (52 B left of 100 B after the training file): by this row it holds 3 samples of 1 input and 2 classes one-hot, 9 float64 numbers (72 B); raise --max-memory or use a smaller file")
    }

    /// The issue's case: a header of 250,000 names (1.7 MB) and a misspelt label. The message
    /// lists about 200 characters of names and counts the rest.
    @Test func aHugeHeaderIsNotRepeatedInTheMessage() throws {
        let scratch = try DataScratch()
        let names = (0..<250_000).map { "c\($0)" }
        try scratch.write("d.csv", names.joined(separator: ",") + "\n")
        let (code, message) = try scratch.failure("type: csv\npath: d.csv\nlabel: specis")
        #expect(code == .dataError)
        // c0..c9 take 2 + 9 · 4 = 38 characters, c10..c41 another 32 · 5 = 160: 42 names shown.
        let shown = names.prefix(42).joined(separator: ", ")
        #expect(message == "{dir}/d.csv:1: error: no column named 'specis' ('label'); the columns are: \(shown), ... and 249,958 more")
    }

    /// A cell of a million characters is quoted by its first 40 and the count of the rest.
    @Test func aHugeCellIsQuotedShort() throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", "a,k\n" + String(repeating: "z", count: 1_000_000) + ",x\n2,y\n")
        let (_, message) = try scratch.failure("type: csv\npath: d.csv")
        #expect(message == "{dir}/d.csv:2:1: error: cell '\(String(repeating: "z", count: 40))...' (999,960 more characters) in column 'a' is not a number")
    }

    /// Names that are decimal numbers sort numerically and come first ("1" and "1.0" are equal
    /// values, so their text decides); `nan`, `inf` and hex are names, in string order after them.
    /// Before, one non-number made every name sort as a string, and `nan` broke the numeric order.
    @Test func numericClassNamesSortAsNumbers() throws {
        #expect(CSVTable.sortedClasses(["b", "10", "a", "2", "1.0", "1", "-3", "nan", "inf", "0x10"])
                == ["-3", "1", "1.0", "2", "10", "0x10", "a", "b", "inf", "nan"])
        #expect(CSVTable.sortedClasses(["10", "nan", "2", "1", "30", "20"]) == ["1", "2", "10", "20", "30", "nan"])
        let scratch = try DataScratch()
        try scratch.write("d.csv", "x,k\n1,10\n2,2\n3,other\n4,1\n")
        let data = try scratch.load("type: csv\npath: d.csv")
        #expect(data.task.classNames == ["1", "2", "10", "other"])
        // Row k's one-hot target is at its class's place in that order.
        #expect(data.training.targets.nested == [[0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]])
    }
}
