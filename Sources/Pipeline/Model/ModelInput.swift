import BackpropCore
@preconcurrency import Glibc
import PipelineSpec

/// Raw feature rows for a trained model, read from a CSV file (the model's feature columns, found
/// by name in the header, in any order; other columns are ignored; cells divided by `csvScale`
/// when given) or an IDX image file (each image flattened, pixels divided by `scale`), a chunk at
/// a time so a file of any length is never held whole. gzip-compressed files of either kind are read too.
final class ModelInput {
    enum Format: String, Sendable, CaseIterable {
        case auto, csv, idx
    }

    let path: String
    let width: Int
    private let file: DataFile
    private var csv: (reader: CSVReader, columns: [Int], names: [String], fields: Int)?
    /// CSV cells are x / csvScale when set (a model with `input_scale`), the same division the
    /// data stage made, so equal raw numbers give equal inputs.
    private let csvScale: Double?
    private var idx: (remaining: Int, table: [Double], piece: [UInt8], dimensions: [Int])?
    /// The 1-based row of each sample of the last chunk: the CSV line, or the image's number.
    private(set) var rows: [Int] = []
    private var imagesRead = 0

    /// Opens `path` for `model`'s features, as IDX or CSV (see `isIDX`).
    init(path: String, features: [String], format: Format, scale: Double, csvScale: Double? = nil) throws {
        self.path = path
        self.csvScale = csvScale
        width = features.count
        let kind: Format = try Self.isIDX(path: path, format: format) ? .idx : .csv
        // An IDX stream holds at most the largest declared size the header reader accepts, so a
        // pipe that never ends stops there; CSV rows are streamed, so a CSV file may be of any length.
        file = try DataFile(path: path, maximumBytes: kind == .idx ? IDXReader.maximumElements + 1024 : Int.max)
        if kind == .idx {
            let dimensions = try IDXReader.header(file, expectedDimensions: nil)
            let imageWidth = dimensions.dropFirst().reduce(1, *)
            guard dimensions.count >= 2, imageWidth == width else {
                let shape = dimensions.count >= 2 ? "\(IDXReader.describe(Array(dimensions.dropFirst()))) = \(imageWidth) inputs"
                                                  : "a 1-dimensional IDX file (labels, not images)"
                throw PipelineError.data("the images are \(shape) but the model has \(width) input\(width == 1 ? "" : "s")", path: path)
            }
            idx = (dimensions[0], (0..<256).map { Double($0) / scale }, [UInt8](repeating: 0, count: width), dimensions)
        } else {
            csv = try Self.openCSV(file, path: path, features: features)
        }
    }

    /// Whether `path` is read as IDX: `format` idx, or auto and a regular file whose
    /// (decompressed) data starts with the IDX magic 00 00 08. A pipe is not sniffed (its
    /// first bytes could not be read again): it is CSV unless `format` says idx.
    static func isIDX(path: String, format: Format) throws -> Bool {
        switch format {
        case .idx: return true
        case .csv: return false
        case .auto:
            // stat, not open: opening a named pipe to look would let its writer start too early.
            var info = stat()
            if stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG { return false }
            let sniff = try DataFile(path: path, maximumBytes: 4)
            var head = [UInt8](repeating: 0, count: 3)
            let got = try head.withUnsafeMutableBytes { try sniff.readFully(into: $0) }
            return got == 3 && head == [0, 0, 8]
        }
    }

    /// Reads the header and finds every feature column by name.
    private static func openCSV(_ file: DataFile, path: String, features: [String]) throws
        -> (reader: CSVReader, columns: [Int], names: [String], fields: Int) {
        // 64 KiB reads: a pipe's rows are predicted once that much has arrived, not 1 MiB.
        let reader = CSVReader(file: file, delimiter: UInt8(ascii: ","), chunkSize: 1 << 16)
        guard try reader.next() else { throw PipelineError.data("the file is empty", path: path) }
        let names = (0..<reader.fieldCount).map(reader.text)
        let headerLine = reader.line
        var columns: [Int] = []
        for feature in features {
            let matches = names.indices.filter { names[$0] == feature }
            guard let first = matches.first else {
                var message = "no column named \(quote(feature)), a feature of the model (its features: \(boundedList(features)))"
                if let hint = didYouMean(feature, among: names) { message += "; \(hint)" }
                throw PipelineError.data(message, path: path, row: headerLine)
            }
            guard matches.count == 1 else {
                throw PipelineError.data("columns \(matches[0] + 1) and \(matches[1] + 1) are both named \(quote(feature)); a feature must be one column",
                                         path: path, row: headerLine, column: matches[1] + 1)
            }
            columns.append(first)
        }
        return (reader, columns, names, names.count)
    }

    /// Fills `chunk` (rows ≤ capacity, width columns) with the next raw samples; returns how many
    /// (0 at the end). Faults name the file, row and column (exit 65).
    func next(into chunk: inout Matrix, capacity: Int) throws -> Int {
        rows.removeAll(keepingCapacity: true)
        if chunk.rows != capacity || chunk.columns != width { chunk = Matrix(rows: capacity, columns: width) }
        if csv != nil { return try nextCSV(into: &chunk, capacity: capacity) }
        return try nextIDX(into: &chunk, capacity: capacity)
    }

    private func nextCSV(into chunk: inout Matrix, capacity: Int) throws -> Int {
        guard let (reader, columns, names, fields) = csv else { return 0 }
        var count = 0
        while count < capacity, try reader.next() {
            guard reader.fieldCount == fields else {
                throw PipelineError.data("row has \(reader.fieldCount) field\(reader.fieldCount == 1 ? "" : "s") but the header has \(fields)",
                                         path: path, row: reader.line, column: min(reader.fieldCount, fields) + 1)
            }
            for (k, field) in columns.enumerated() {
                switch reader.number(field) {
                case .number(let x):
                    chunk[count, k] = csvScale.map { x / $0 } ?? x
                case .missing:
                    let text = reader.text(field)
                    let cell = text.isEmpty ? "empty cell" : "missing value \(quote(text))"
                    throw PipelineError.data("\(cell) in column \(quote(names[field])); the model needs a number in every feature",
                                             path: path, row: reader.line, column: field + 1)
                case let cell:
                    let problem = cell == .outOfRange ? "is out of range for a number" : "is not a number"
                    throw PipelineError.data("cell \(quote(reader.text(field))) in column \(quote(names[field])) \(problem)",
                                             path: path, row: reader.line, column: field + 1)
                }
            }
            rows.append(reader.line)
            count += 1
        }
        return count
    }

    private func nextIDX(into chunk: inout Matrix, capacity: Int) throws -> Int {
        guard var state = idx else { return 0 }
        let count = min(capacity, state.remaining)
        for r in 0..<count {
            let got = try state.piece.withUnsafeMutableBytes { try file.readFully(into: $0) }
            guard got == width else {
                let total = state.dimensions.reduce(1, *)
                throw PipelineError.data("the header declares \(IDXReader.describe(state.dimensions)) = \(total) bytes of data but the file ends after \((imagesRead) * width + got)",
                                         path: path)
            }
            for c in 0..<width { chunk[r, c] = state.table[Int(state.piece[c])] }
            imagesRead += 1
            rows.append(imagesRead)
        }
        state.remaining -= count
        idx = state
        if count == 0, !file.lengthIsKnown {
            // A gzip file or a pipe must end where its header says (raw files were checked by size).
            let extra = try file.countRemaining()
            if extra > 0 {
                throw PipelineError.data("\(extra) byte\(extra == 1 ? "" : "s") follow the data the header declares (\(IDXReader.describe(state.dimensions)))",
                                         path: path)
            }
        }
        return count
    }
}
