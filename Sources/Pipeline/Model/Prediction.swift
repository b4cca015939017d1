import BackpropCore
@preconcurrency import Glibc
import PipelineSpec
import Synchronization

/// `bp-pipeline predict`: a trained model applied to new raw data, streamed in chunks of
/// `chunkRows` samples (read, normalised as in training, one forward pass, written), so memory
/// stays at one chunk whatever the file's length.
///
/// The CSV written: classification `prediction` (the class name, argmax of the outputs) then
/// `p_<class>` per class in the model's order (the output layer's values: probabilities with
/// softmax); binary `prediction` then `p_<class 1>` (class 1 when the output is ≥ 0.5);
/// regression `prediction` for one target, `prediction_<target>` per target for several.
/// Numbers are in Swift's shortest round-trip form, so they read back as the same doubles.
public enum Prediction {
    /// Rows per forward pass: Network.predict's own chunk, so a file's outputs are the same
    /// doubles the trainer's evaluation computes for the same rows.
    public static let chunkRows = 4096

    /// The output header's column names.
    public static func header(_ model: TrainedModel) -> [String] {
        switch model.task {
        case .classification: return ["prediction"] + (model.classes ?? []).map { "p_\($0)" }
        case .binary: return ["prediction", "p_\(model.classes?.last ?? "1")"]
        case .regression:
            let targets = model.targets ?? (1...model.outputCount).map { "\($0)" }
            return targets.count == 1 ? ["prediction"] : targets.map { "prediction_\($0)" }
        }
    }

    /// Predicts every sample of `dataPath` and hands the CSV text to `sink` chunk by chunk.
    /// `scale` is --scale: nil uses the model's `input_scale` (TrainedModel.inputScaling).
    public static func run(_ model: TrainedModel, dataPath: String, format: String, scale: Double?,
                           sink: (String) throws -> Void) throws {
        guard let format = ModelInput.Format(rawValue: format) else {
            throw PipelineError(.usage, "bp-pipeline: error: --format must be auto, csv or idx, found '\(format)'")
        }
        let scaling = try model.inputScaling(requested: scale)
        let input = try ModelInput(path: dataPath, features: model.features, format: format, scale: scaling.idx, csvScale: scaling.csv)
        let network = model.network()
        let classes = model.classes ?? []
        // The header goes out with the first chunk, so a fault in the first 4,096 rows prints
        // nothing at all on stdout (later faults follow the chunks already written; --out FILE
        // is all or nothing).
        var pending = header(model).map(csvField).joined(separator: ",") + "\n"
        var chunk = Matrix(rows: 0, columns: 0)
        while true {
            let count = try input.next(into: &chunk, capacity: chunkRows)
            if count == 0 {
                if !pending.isEmpty { try sink(pending) }
                return
            }
            var inputs = count == chunk.rows ? chunk : Matrix(rows: count, columns: chunk.columns, storage: Array(chunk.storage[0..<(count * chunk.columns)]))
            model.normalization?.apply(to: &inputs)
            let outputs = network.predict(inputs, chunk: chunkRows)
            var text = pending
            pending = ""
            text.reserveCapacity(text.utf8.count + count * outputs.columns * 20)
            for r in 0..<count {
                let row = outputs.row(r)
                switch model.task {
                case .classification, .binary:
                    let guess = Network.predictedClass(row)
                    text += csvField(guess < classes.count ? classes[guess] : String(guess))
                    for value in row { text += ","; text += "\(value)" }
                case .regression:
                    for (k, value) in row.enumerated() {
                        if k > 0 { text += "," }
                        text += "\(value)"
                    }
                }
                text += "\n"
            }
            try sink(text)
        }
    }

    /// A CSV field, quoted when it holds a comma, a quote, a line break or surrounding spaces (RFC 4180).
    static func csvField(_ text: String) -> String {
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || text.first == " " || text.last == " "
        guard needsQuotes else { return text }
        var quoted = "\""
        for character in text {
            if character == "\"" { quoted += "\"\"" } else { quoted.append(character) }
        }
        return quoted + "\""
    }
}

/// Text written to a file descriptor as it comes (stdout), or to a temporary file beside `path`
/// renamed over it at the end, so a reader never sees half a prediction file and a failed
/// prediction leaves nothing behind.
public final class PredictionOutput {
    private let descriptor: Int32
    /// The file being written and where it goes when done; nil for stdout.
    private let files: (temporary: String, target: String)?
    private var finished = false

    /// Standard output.
    public init() {
        descriptor = 1
        files = nil
    }

    /// A file at `path`: refused (exit 73) when something already exists there, so nothing a user has is replaced.
    public init(path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            throw PipelineError.output("already exists; bp-pipeline predict does not replace files: remove it or choose another --out", path: path)
        }
        let temporary = PathTools.join(PathTools.directory(of: path), ".\(PathTools.lastComponent(of: path)).tmp-\(getpid())")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError.output("cannot write: \(OutputFolder.describe(errno))", path: path) }
        descriptor = fd
        files = (temporary, path)
    }

    deinit {
        if let files {
            if !finished { close(descriptor) }
            if !finished { _ = unlink(files.temporary) }
            Self.forgetTemporary()
        }
    }

    /// The address of the temporary file's path (strdup'd) while one is written, 0 when none, for
    /// the signal handler (an address as an Int: a pointer is not Sendable, an Int is).
    private static let temporaryForSignal = Atomic<Int>(0)

    /// SIGINT and SIGTERM end the prediction at once with exit 130 or 143 (128 + the signal),
    /// removing the temporary file first, so an interrupted `--out FILE` leaves neither FILE nor
    /// `.FILE.tmp-PID`. The handler does only async-signal-safe things (unlink, _exit), so it
    /// works while a read blocks on a pipe. A signal after the file was put in place (between
    /// link and unlink in `finish`) leaves the complete FILE.
    public func exitOnSignal() {
        if let files, let copy = strdup(files.temporary) {
            free(UnsafeMutablePointer<CChar>(bitPattern: Self.temporaryForSignal.exchange(Int(bitPattern: copy), ordering: .sequentiallyConsistent)))
        }
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                if let path = UnsafeMutablePointer<CChar>(bitPattern: PredictionOutput.temporaryForSignal.load(ordering: .sequentiallyConsistent)) {
                    unlink(path)
                }
                _exit(128 + number)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
    }

    private static func forgetTemporary() {
        free(UnsafeMutablePointer<CChar>(bitPattern: temporaryForSignal.exchange(0, ordering: .sequentiallyConsistent)))
    }

    public func write(_ text: String) throws {
        var bytes = Array(text.utf8)
        let count = bytes.count
        var offset = 0
        try bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while offset < count {
                let written = Glibc.write(descriptor, base + offset, count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw PipelineError.output("cannot write: \(OutputFolder.describe(errno))", path: files?.target ?? "stdout")
                }
                offset += written
            }
        }
    }

    /// Closes and renames the file into place (nothing for stdout).
    public func finish() throws {
        guard let files, !finished else { return }
        finished = true
        let closed = close(descriptor) == 0
        guard closed else {
            let reason = OutputFolder.describe(errno)
            _ = unlink(files.temporary)
            throw PipelineError.output("cannot write: \(reason)", path: files.target)
        }
        // link + unlink rather than rename: link fails if a file appeared at the target meanwhile.
        guard link(files.temporary, files.target) == 0 else {
            let reason = OutputFolder.describe(errno)
            _ = unlink(files.temporary)
            throw PipelineError.output("cannot put the predictions in place: \(reason)", path: files.target)
        }
        _ = unlink(files.temporary)
        Self.forgetTemporary()
    }
}
