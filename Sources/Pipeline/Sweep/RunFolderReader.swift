import Foundation
@preconcurrency import Glibc

/// What the comparison charts need from one run folder's `history.csv`: the loss columns per
/// epoch, and the per-layer gradient sizes of the first and the last epoch.
struct RunHistory: Equatable {
    /// The `epoch` column, one entry per row.
    var epochs: [Int]
    /// The `loss` column (NaN for an empty cell: a diverged epoch).
    var loss: [Double]
    /// The `val_loss` column; nil when the file has none.
    var validationLoss: [Double]?
    /// `grad_mean_abs_1 ... grad_mean_abs_L` of the first and the last row (index 0 = layer 1).
    var firstGradients: [Double]
    var lastGradients: [Double]
}

/// Why a run is left out of the charts, as the chart's note counts it.
enum RunSkip: Error, Equatable, Hashable {
    /// metrics.json says the run has not finished (`interrupted`, or an unknown status).
    case unfinished(String)
    /// A file is missing, not a regular file, too large, or malformed; the text says which and why.
    case unreadable(String)
}

/// Reads run folders back for the comparison charts, never trusting them: only regular files,
/// at most `historyLimit` / `metricsLimit` bytes, each row checked, and any fault a `RunSkip`
/// (never a crash and never an unbounded read: a named pipe or a huge file is refused up front).
enum RunFolderReader {
    /// 64 MiB: a million epochs of a 3-layer network's history.csv (about 60 bytes a row).
    static let historyLimit = 64 << 20
    /// metrics.json is a few hundred bytes; 1 MiB leaves room for long `expect:` verdicts.
    static let metricsLimit = 1 << 20
    /// More header cells than a network's layers could explain (2 per layer + 8).
    static let columnLimit = 20_000
    /// The statuses of a run that ended by itself; `interrupted` runs are resumed, not compared.
    static let finished: Set<String> = ["completed", "stopped_early", "diverged"]

    /// The whole file at `path` if it is a regular file of at most `limit` bytes.
    static func bytes(_ path: String, limit: Int) throws(RunSkip) -> [UInt8] {
        let name = PathTools.lastComponent(of: path)
        // O_NONBLOCK: opening a named pipe with no writer would wait forever; it is refused below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .unreadable("\(name): \(OutputFolder.describe(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable("\(name): \(OutputFolder.describe(errno))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable("\(name): not a regular file") }
        guard Int(info.st_size) <= limit else { throw .unreadable("\(name): larger than \(MemoryEstimate.format(limit))") }
        // One byte more than the size on disk tells a file that grew while being read.
        var buffer = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { room in
                room.baseAddress.map { Glibc.read(fd, $0 + filled, room.count - filled) } ?? 0
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable("\(name): \(OutputFolder.describe(errno))")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled <= limit else { throw .unreadable("\(name): larger than \(MemoryEstimate.format(limit))") }
        return Array(buffer.prefix(filled))
    }

    /// The `status` of `folder/metrics.json`; throws unless it is one of `finished`.
    static func finishedStatus(_ folder: String) throws(RunSkip) -> String {
        // The sweep's own reader of bp-pipeline's JSON; it refuses deep nesting, so a file of a
        // million '[' is an error, not a stack overflow.
        guard let object = JSONText.parse(try bytes(folder + "/metrics.json", limit: metricsLimit)), case .object = object else {
            throw .unreadable("metrics.json: not a JSON object")
        }
        guard let status = object["status"]?.string else { throw .unreadable("metrics.json: no \"status\"") }
        guard finished.contains(status) else { throw .unfinished(status) }
        return status
    }

    /// `folder/history.csv`, checked row by row.
    static func history(_ folder: String) throws(RunSkip) -> RunHistory {
        let bytes = try bytes(folder + "/history.csv", limit: historyLimit)
        return try parseHistory(bytes)
    }

    /// Parses history.csv's bytes: a header with `epoch` and `loss`, optional `val_loss`, and
    /// `grad_mean_abs_1 ... grad_mean_abs_L`; every row with the header's cell count, an integer
    /// epoch and numbers (or empty cells, read as NaN) in the columns used.
    static func parseHistory(_ bytes: [UInt8]) throws(RunSkip) -> RunHistory {
        let comma = UInt8(ascii: ",")
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).makeIterator()
        func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> { line.last == UInt8(ascii: "\r") ? line.dropLast() : line }
        guard let headerLine = lines.next().map(trimmed), !headerLine.isEmpty else { throw .unreadable("history.csv: empty") }
        guard headerLine.lazy.filter({ $0 == comma }).count < columnLimit else {
            throw .unreadable("history.csv: more than \(columnLimit) columns")
        }
        let header = headerLine.split(separator: comma, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let epochColumn = header.firstIndex(of: "epoch"), let lossColumn = header.firstIndex(of: "loss") else {
            throw .unreadable("history.csv: no epoch and loss columns")
        }
        let validationColumn = header.firstIndex(of: "val_loss")
        var gradientColumns: [Int] = []
        while let column = header.firstIndex(of: "grad_mean_abs_\(gradientColumns.count + 1)") { gradientColumns.append(column) }

        var history = RunHistory(epochs: [], loss: [], validationLoss: validationColumn == nil ? nil : [],
                                 firstGradients: [], lastGradients: [])
        var row = 1
        while let raw = lines.next() {
            row += 1
            let line = trimmed(raw)
            if line.isEmpty { continue }
            let cells = line.split(separator: comma, omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw .unreadable("history.csv: row \(row) has \(cells.count) cells, the header \(header.count)")
            }
            func number(_ column: Int) throws(RunSkip) -> Double {
                let cell = cells[column]
                if cell.isEmpty { return .nan }
                guard cell.count <= 64, let value = Double(String(decoding: cell, as: UTF8.self)) else {
                    throw .unreadable("history.csv: row \(row), column \(header[column]) is not a number")
                }
                return value
            }
            guard cells[epochColumn].count <= 20, let epoch = Int(String(decoding: cells[epochColumn], as: UTF8.self)) else {
                throw .unreadable("history.csv: row \(row), column epoch is not an integer")
            }
            if let previous = history.epochs.last, epoch <= previous {
                throw .unreadable("history.csv: row \(row), epoch \(epoch) does not follow \(previous)")
            }
            history.epochs.append(epoch)
            history.loss.append(try number(lossColumn))
            if let validationColumn { history.validationLoss?.append(try number(validationColumn)) }
            var gradients: [Double] = []
            for column in gradientColumns { gradients.append(try number(column)) }
            if history.epochs.count == 1 { history.firstGradients = gradients }
            history.lastGradients = gradients
        }
        guard !history.epochs.isEmpty else { throw .unreadable("history.csv: no rows") }
        return history
    }
}
