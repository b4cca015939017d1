import BackpropCore
import Foundation
@preconcurrency import Glibc

/// A training checkpoint: the trainer's complete `TrainingState` at an epoch boundary plus the
/// fingerprint of the spec and `--set` overrides it belongs to, so `--resume DIR` continues
/// bit for bit and refuses a checkpoint made by another spec.
///
/// File format (`checkpoint.bin`), little-endian, built for networks of millions of parameters
/// (`Pipelines/fashion-mnist.yaml`: 235,146 parameters with Adam's two moments, 9.4 MB):
///
///     "BPCKPT01"                       8 bytes, magic and format version
///     header length H                  UInt64
///     header                           H bytes of JSON: spec digest, overrides, the state
///                                      without its large arrays, and the list of blobs
///     blobs                            each `count` float64 bit patterns, in header order:
///                                      parameters, optimizer buffers, early stopping's best
///                                      parameters, first/last epoch gradients
///     checksum                         UInt64, FNV-1a 64 of every byte before it
///
/// Doubles in the blobs are raw bit patterns (exact, NaN payloads included; a float32 run's
/// values are stored widened, which is exact, and the header names the precision); the few doubles in
/// the JSON (history, schedule state) are written in Swift's shortest round-trip form, with
/// "inf"/"-inf"/"nan" for non-finite values, so they read back identical too.
public struct Checkpoint {
    /// The file name inside a run's output folder.
    public static let fileName = "checkpoint.bin"
    static let magic = Array("BPCKPT01".utf8)

    public var specDigest: String
    public var overrides: [String]
    public var software: String
    public var state: TrainingState
    /// `training.precision` of the run that wrote it.
    public var precision: Precision = .float64

    public init(specDigest: String, overrides: [String], software: String, state: TrainingState,
                precision: Precision = .float64) {
        self.specDigest = specDigest
        self.overrides = overrides
        self.software = software
        self.state = state
        self.precision = precision
    }

    /// The checkpoint of `state` for the run `definition` describes.
    init(_ state: TrainingState, for definition: PipelineDefinition) {
        self.init(specDigest: definition.specDigest, overrides: definition.overrides,
                  software: "bp-pipeline \(Engine.version)", state: state, precision: definition.training.precision)
    }

    struct Blob: Codable {
        var name: String
        var count: Int
    }

    struct Header: Codable {
        var format: Int
        var software: String
        var specSHA256: String
        var overrides: [String]
        var state: TrainingState
        var blobs: [Blob]
        /// Shapes (rows, columns) of the first/last epoch gradient matrices, whose storage is a blob.
        var firstGradientShapes: [[Int]]
        var lastGradientShapes: [[Int]]
        /// "float64" or "float32"; absent in checkpoints written before float32 existed (float64).
        var precision: String?
    }

    // MARK: Encoding

    /// The file's bytes.
    public func encoded() throws -> [UInt8] {
        var light = state
        var blobs: [Blob] = []
        var arrays: [[Double]] = []
        func add(_ name: String, _ values: [Double]) {
            blobs.append(Blob(name: name, count: values.count))
            arrays.append(values)
        }
        for (name, values) in zip(state.parameterNames, state.parameters) { add("parameter \(name)", values) }
        light.parameters = state.parameters.map { _ in [] }
        let optimizerKeys = state.optimizer.keys.sorted()
        for key in optimizerKeys { add("optimizer \(key)", state.optimizer[key] ?? []) }
        light.optimizer = Dictionary(uniqueKeysWithValues: optimizerKeys.map { ($0, [Double]()) })
        if let best = state.earlyStopping.bestParameters {
            for (index, values) in best.enumerated() { add("best \(index)", values) }
            light.earlyStopping.bestParameters = best.map { _ in [] }
        }
        for (index, matrix) in state.firstEpochGradients.enumerated() { add("first gradient \(index)", matrix.storage) }
        for (index, matrix) in state.lastEpochGradients.enumerated() { add("last gradient \(index)", matrix.storage) }
        light.firstEpochGradients = []
        light.lastEpochGradients = []

        let header = Header(format: 1, software: software, specSHA256: specDigest, overrides: overrides, state: light, blobs: blobs,
                            firstGradientShapes: state.firstEpochGradients.map { [$0.rows, $0.columns] },
                            lastGradientShapes: state.lastEpochGradients.map { [$0.rows, $0.columns] },
                            precision: precision.rawValue)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = [UInt8](try encoder.encode(header))

        var bytes = Self.magic
        bytes.reserveCapacity(8 + 8 + json.count + arrays.reduce(0) { $0 + 8 * $1.count } + 8)
        Self.append(UInt64(json.count), to: &bytes)
        bytes += json
        for values in arrays { Self.append(values, to: &bytes) }
        Self.append(Self.fnv1a(bytes[...]), to: &bytes)
        return bytes
    }

    // MARK: Decoding

    /// Reads a checkpoint from `bytes`; `path` names the file in errors (exit 65 when damaged).
    public static func decode(_ bytes: [UInt8], path: String) throws -> Checkpoint {
        func damaged(_ why: String) -> PipelineError {
            PipelineError.data("not a usable checkpoint: \(why)", path: path)
        }
        guard bytes.count >= 24, Array(bytes[0..<8]) == magic else {
            throw damaged("it does not start with the bp-pipeline checkpoint signature")
        }
        let body = bytes[0..<(bytes.count - 8)]
        guard readUInt64(bytes, at: bytes.count - 8) == fnv1a(body) else {
            throw damaged("its checksum does not match (the file is truncated or corrupted)")
        }
        let headerLength = readUInt64(bytes, at: 8)
        guard headerLength <= UInt64(body.count - 16) else { throw damaged("the header length is past the end of the file") }
        let headerEnd = 16 + Int(headerLength)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: Data(bytes[16..<headerEnd]))
        } catch {
            throw damaged("its header cannot be read")
        }
        guard header.format == 1 else { throw damaged("format \(header.format) is not one this version reads (1)") }
        var offset = headerEnd
        var blobs: [String: [Double]] = [:]
        for blob in header.blobs {
            guard blob.count >= 0, blob.count <= (body.count - offset) / 8 else { throw damaged("blob '\(blob.name)' runs past the end of the file") }
            let values = readDoubles(bytes, at: offset, count: blob.count)
            offset += 8 * blob.count
            blobs[blob.name] = values
        }
        guard offset == body.count else { throw damaged("\(body.count - offset) bytes follow the last blob") }

        var state = header.state
        func take(_ name: String) throws -> [Double] {
            guard let values = blobs[name] else { throw damaged("blob '\(name)' is missing") }
            return values
        }
        state.parameters = try state.parameterNames.map { try take("parameter \($0)") }
        for key in state.optimizer.keys { state.optimizer[key] = try take("optimizer \(key)") }
        if let best = state.earlyStopping.bestParameters {
            state.earlyStopping.bestParameters = try best.indices.map { try take("best \($0)") }
        }
        func matrices(_ shapes: [[Int]], _ prefix: String) throws -> [Matrix] {
            try shapes.enumerated().map { index, shape in
                let storage = try take("\(prefix) \(index)")
                guard shape.count == 2, shape[0] >= 0, shape[1] >= 0,
                      shape[0].multipliedReportingOverflow(by: shape[1]) == (storage.count, false) else {
                    throw damaged("gradient \(index) has \(storage.count) values for shape \(shape)")
                }
                return Matrix(rows: shape[0], columns: shape[1], storage: storage)
            }
        }
        state.firstEpochGradients = try matrices(header.firstGradientShapes, "first gradient")
        state.lastEpochGradients = try matrices(header.lastGradientShapes, "last gradient")
        guard let precision = Precision(rawValue: header.precision ?? "float64") else {
            throw damaged("its precision '\(header.precision ?? "")' is not float64 or float32")
        }
        return Checkpoint(specDigest: header.specSHA256, overrides: header.overrides, software: header.software, state: state,
                          precision: precision)
    }

    // MARK: Files

    /// Where periodic checkpoints (`training.checkpoint_every`) go while a run into `target` is
    /// in progress: beside the output folder (`runs/.NAME.checkpoint.bin`), so a run killed
    /// outright (SIGKILL, power loss) can be resumed with `--resume runs/NAME`. A run that gets
    /// its outputs into place removes it.
    static func periodicPath(for target: String) -> String {
        PathTools.join(PathTools.directory(of: target), ".\(PathTools.lastComponent(of: target)).checkpoint.bin")
    }

    /// Writes to a temporary file, fsyncs and renames, so a reader sees the old checkpoint or the new one.
    func writeAtomically(to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try writeBytes(try encoded(), to: temporary, durable: true)
        } catch let error as PipelineError {
            _ = unlink(temporary)
            throw error.replacingPathPrefix(temporary, with: path)
        }
        guard rename(temporary, path) == 0 else {
            let reason = OutputFolder.describe(errno)
            _ = unlink(temporary)
            throw PipelineError.output("cannot write the checkpoint: \(reason)", path: path)
        }
    }

    /// The checkpoint to resume a run from `directory`: the periodic checkpoint beside it when
    /// there is one (newer: a run that finished would have removed it), else
    /// `directory/checkpoint.bin`. Exit 66 when neither exists, 65 when damaged, 64 when it
    /// belongs to another spec or other `--set` overrides.
    public static func load(resuming given: String, for definition: PipelineDefinition) throws -> (Checkpoint, path: String) {
        guard !given.isEmpty else {
            throw PipelineError(.usage, "--resume: error: the folder path is empty; give the interrupted run's output folder, e.g. --resume runs/NAME")
        }
        let directory = PathTools.normalize(given)
        let candidates = [periodicPath(for: directory), PathTools.join(directory, fileName)]
        guard let path = candidates.first(where: { access($0, F_OK) == 0 }) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
            let what = !exists ? "no such folder" : !isDirectory.boolValue ? "not a folder" : "no checkpoint in this folder"
            throw PipelineError.noInput("cannot resume: \(what) (looked for \(candidates[1]) and \(candidates[0]))", path: directory)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError.noInput("cannot read the checkpoint", path: path)
        }
        let checkpoint = try decode([UInt8](data), path: path)
        guard checkpoint.specDigest == definition.specDigest && checkpoint.overrides == definition.overrides else {
            throw PipelineError(.usage, "\(path): error: this checkpoint is from a run of a different spec or --set options: "
                + "it was written for spec sha256 \(checkpoint.specDigest.prefix(12)) \(describe(checkpoint.overrides)), "
                + "this run is \(definition.specPath) (sha256 \(definition.specDigest.prefix(12))) \(describe(definition.overrides))\n"
                + "    hint: resume with the spec file and --set options the interrupted run used, or start afresh without --resume")
        }
        guard checkpoint.precision == definition.training.precision else {
            throw PipelineError(.usage, "\(path): error: this checkpoint is from a \(checkpoint.precision.rawValue) run but this run's training.precision is \(definition.training.precision.rawValue)")
        }
        return (checkpoint, path)
    }

    private static func describe(_ overrides: [String]) -> String {
        overrides.isEmpty ? "without --set" : "with " + overrides.map { "--set \($0)" }.joined(separator: " ")
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Appends the values' float64 bit patterns, little-endian (one memory copy on x86_64 and arm64).
    private static func append(_ values: [Double], to bytes: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for value in values { append(value.bitPattern, to: &bytes) }
        #endif
    }

    private static func readDoubles(_ bytes: [UInt8], at offset: Int, count: Int) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        #if _endian(little)
        values.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + 8 * count)]))
            }
        }
        #else
        for i in 0..<count { values[i] = Double(bitPattern: readUInt64(bytes, at: offset + 8 * i)) }
        #endif
        return values
    }

    private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }

    /// FNV-1a, 64-bit: h = (h ⊕ byte) · 1099511628211, from 14695981039346656037.
    static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        }
        return hash
    }
}
