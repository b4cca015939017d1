/// A float64 dataset: what the data stages read.
public typealias Dataset = DatasetOf<Double>

/// Inputs kept as unsigned bytes (IDX images: one byte a pixel, an eighth of a float64) and
/// decoded a batch at a time into the batch's buffer.
///
/// Element (r, c) is x = byte / divisor, then, once a normalisation is fitted,
/// x' = (x − shift[c]) / scale[c], computed in float64 and rounded to the batch's scalar: the same
/// number as decoding the whole set at load time and normalising it in place gave.
public struct ByteInputs: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Row-major bytes: element (r, c) is `bytes[r * columns + c]`.
    public let bytes: [UInt8]
    /// x = byte / divisor (255 maps pixels to [0, 1]).
    public let divisor: Double
    /// The fitted per-column normalisation, nil before one is applied.
    public private(set) var shift: [Double]?
    public private(set) var scale: [Double]?
    /// value(b) = Double(b) / divisor for every byte, one division each instead of one a pixel.
    private let table: [Double]

    public init(rows: Int, columns: Int, bytes: [UInt8], divisor: Double) {
        precondition(bytes.count == rows * columns, "bytes do not match \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.bytes = bytes
        self.divisor = divisor
        self.table = (0..<256).map { Double($0) / divisor }
    }

    private init(rows: Int, bytes: [UInt8], like other: ByteInputs) {
        self.rows = rows
        self.columns = other.columns
        self.bytes = bytes
        self.divisor = other.divisor
        self.shift = other.shift
        self.scale = other.scale
        self.table = other.table
    }

    /// Applies x' = (x − shift) / scale from now on; a set is normalised once.
    public mutating func normalize(shift: [Double], scale: [Double]) {
        precondition(shift.count == columns && scale.count == columns, "normalisation fitted on \(shift.count) columns")
        precondition(self.shift == nil, "byte inputs are normalised once")
        self.shift = shift
        self.scale = scale
    }

    /// The rows at `indices`, in that order (bytes copied, normalisation kept).
    public func subset(_ indices: [Int]) -> ByteInputs {
        var picked = [UInt8]()
        picked.reserveCapacity(indices.count * columns)
        for r in indices { picked.append(contentsOf: bytes[(r * columns)..<((r + 1) * columns)]) }
        return ByteInputs(rows: indices.count, bytes: picked, like: self)
    }

    /// Decodes the rows `rows`, in that order, into `result` (resized, its storage reused).
    func decode<Scalar: TrainingScalar>(rows: some Collection<Int>, into result: inout MatrixOf<Scalar>) {
        result.resize(rows: rows.count, columns: columns)
        result.storage.withUnsafeMutableBufferPointer { target in
            withDecodingTable(Scalar.self) { table in
                var offset = 0
                for r in rows {
                    decode(row: r, table: table, into: target.baseAddress! + offset)
                    offset += columns
                }
            }
        }
    }

    /// Decodes row `row` into `target[0..<columns]`.
    func decode<Scalar: TrainingScalar>(row: Int, into target: UnsafeMutablePointer<Scalar>) {
        withDecodingTable(Scalar.self) { decode(row: row, table: $0, into: target) }
    }

    /// Calls `body` with the 256 values a byte decodes to before normalisation, rounded to
    /// `Scalar` (the same rounding as converting `table`'s entries one pixel at a time), in a
    /// stack buffer: a lookup per pixel with no conversion, and no allocation per batch.
    @inline(__always)
    private func withDecodingTable<Scalar: TrainingScalar, R>(_: Scalar.Type, _ body: (UnsafePointer<Scalar>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Scalar.self, capacity: 256) { values in
            table.withUnsafeBufferPointer { table in
                for b in 0..<256 { values[b] = Scalar(table[b]) }
            }
            return body(UnsafePointer(values.baseAddress!))
        }
    }

    /// Decodes row `row` through `scalars` (see `withDecodingTable`).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    private func decode<Scalar: TrainingScalar>(row: Int, table scalars: UnsafePointer<Scalar>,
                                                into target: UnsafeMutablePointer<Scalar>) {
        let width = columns
        bytes.withUnsafeBufferPointer { bytes in
            let source = bytes.baseAddress! + row * width
            if let shift, let scale {
                table.withUnsafeBufferPointer { table in
                    shift.withUnsafeBufferPointer { shift in
                        scale.withUnsafeBufferPointer { scale in
                            for c in 0..<width { target[c] = Scalar((table[Int(source[c])] - shift[c]) / scale[c]) }
                        }
                    }
                }
            } else {
                for c in 0..<width { target[c] = scalars[Int(source[c])] }
            }
        }
    }
}

/// Samples as row-aligned inputs (count, features) and targets (count, outputs).
///
/// Stored once, contiguously; mini-batches and evaluation chunks are filled into reused buffers
/// (`gatherInputs`, `copyInputs`), which is where byte inputs are decoded.
public struct DatasetOf<Scalar: TrainingScalar>: Sendable {
    /// Where the inputs live: a matrix of `Scalar`, or bytes decoded per batch.
    public enum InputStorage: Sendable {
        case dense(MatrixOf<Scalar>)
        case bytes(ByteInputs)
    }

    public private(set) var inputStorage: InputStorage
    public var targets: MatrixOf<Scalar>

    public init(inputs: MatrixOf<Scalar>, targets: MatrixOf<Scalar>) {
        precondition(inputs.rows == targets.rows, "inputs and targets must have the same number of rows")
        self.inputStorage = .dense(inputs)
        self.targets = targets
    }

    public init(bytes: ByteInputs, targets: MatrixOf<Scalar>) {
        precondition(bytes.rows == targets.rows, "inputs and targets must have the same number of rows")
        self.inputStorage = .bytes(bytes)
        self.targets = targets
    }

    public var count: Int { targets.rows }
    public var featureCount: Int {
        switch inputStorage {
        case .dense(let matrix): matrix.columns
        case .bytes(let bytes): bytes.columns
        }
    }
    public var targetCount: Int { targets.columns }

    /// The inputs as one matrix. Dense inputs are returned as they are (shared, not copied);
    /// byte inputs are decoded whole, so the hot paths use `gatherInputs` and `copyInputs`.
    /// Changing them through this property makes the inputs dense.
    public var inputs: MatrixOf<Scalar> {
        get {
            switch inputStorage {
            case .dense(let matrix): return matrix
            case .bytes: 
                var matrix = MatrixOf<Scalar>(rows: 0, columns: 0)
                copyInputs(0..<count, into: &matrix)
                return matrix
            }
        }
        _modify {
            var matrix = inputs
            // Drop the stored reference first so the matrix is uniquely held and changed in place.
            inputStorage = .dense(MatrixOf(rows: 0, columns: 0))
            yield &matrix
            inputStorage = .dense(matrix)
        }
    }

    /// Rows per evaluation chunk (`NetworkOf.evaluate`, `predict`): 4096 for dense inputs;
    /// 1024 for byte inputs, whose chunk is a decoded float copy: for Fashion-MNIST's 784 pixels
    /// in float64, 6.4 MiB instead of 25.7, and a quarter of the layers' (chunk, units) buffers,
    /// about 40 MiB off the peak of a run.
    public var evaluationChunk: Int {
        if case .bytes = inputStorage { return Self.byteEvaluationChunk }
        return Self.denseEvaluationChunk
    }

    public static var denseEvaluationChunk: Int { 4096 }
    public static var byteEvaluationChunk: Int { 1024 }

    /// The input rows at `indices`, in that order, into `result` (its storage reused): a mini-batch.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func gatherInputs(_ indices: ArraySlice<Int>, into result: inout MatrixOf<Scalar>) {
        switch inputStorage {
        case .dense(let matrix):
            matrix.gatherRows(indices, into: &result)
        case .bytes(let bytes):
            bytes.decode(rows: indices, into: &result)
        }
    }

    /// The contiguous input rows `range` into `result` (its storage reused): an evaluation chunk.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func copyInputs(_ range: Range<Int>, into result: inout MatrixOf<Scalar>) {
        switch inputStorage {
        case .dense(let matrix):
            matrix.copyRows(range, into: &result)
        case .bytes(let bytes):
            bytes.decode(rows: range, into: &result)
        }
    }

    /// Calls `body` with each input row in order (decoded into one reused row for byte inputs).
    public func forEachInputRow(_ body: (UnsafeBufferPointer<Scalar>) throws -> Void) rethrows {
        switch inputStorage {
        case .dense(let matrix):
            try matrix.storage.withUnsafeBufferPointer { values in
                for r in 0..<matrix.rows {
                    try body(UnsafeBufferPointer(rebasing: values[(r * matrix.columns)..<((r + 1) * matrix.columns)]))
                }
            }
        case .bytes(let bytes):
            var row = [Scalar](repeating: 0, count: bytes.columns)
            try row.withUnsafeMutableBufferPointer { row in
                for r in 0..<bytes.rows {
                    bytes.decode(row: r, into: row.baseAddress!)
                    try body(UnsafeBufferPointer(row))
                }
            }
        }
    }

    /// Applies x' = (x − shift[c]) / scale[c] to every input: in place for dense inputs, at
    /// decoding for byte inputs (the same float64 arithmetic either way).
    public mutating func normalizeInputs(shift: [Double], scale: [Double]) {
        let width = featureCount
        precondition(shift.count == width && scale.count == width, "normalisation fitted on \(shift.count) columns")
        switch inputStorage {
        case .bytes(var bytes):
            inputStorage = .dense(MatrixOf(rows: 0, columns: 0))
            bytes.normalize(shift: shift, scale: scale)
            inputStorage = .bytes(bytes)
        case .dense:
            inputs.storage.withUnsafeMutableBufferPointer { values in
                var offset = 0
                while offset < values.count {
                    for c in 0..<width {
                        values[offset + c] = Scalar((Double(values[offset + c]) - shift[c]) / scale[c])
                    }
                    offset += width
                }
            }
        }
    }

    /// The same samples in another precision: dense inputs are converted (one copy), byte inputs
    /// are shared as they are and decode straight to `Scalar`.
    public init<Other: TrainingScalar>(converting data: DatasetOf<Other>) {
        switch data.inputStorage {
        case .dense(let matrix): self.init(inputs: MatrixOf(converting: matrix), targets: MatrixOf(converting: data.targets))
        case .bytes(let bytes): self.init(bytes: bytes, targets: MatrixOf(converting: data.targets))
        }
    }
}

extension NetworkOf {
    /// Mean loss over a whole dataset, evaluated in chunks so memory stays bounded.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func meanLoss(on data: DatasetOf<Scalar>, loss: any Loss, chunk: Int? = nil) -> Double {
        evaluate(on: data, loss: loss, chunk: chunk).loss
    }

    /// The mean loss over `data` and, with `accuracy`, the fraction of samples classified
    /// correctly, from one forward pass over the data in chunks of `chunk` rows (copied into
    /// reused buffers; a dataset of at most one chunk is read where it is).
    ///
    /// Chunks combine as Σ (chunk's mean loss · chunk rows) / count.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func evaluate(on data: DatasetOf<Scalar>, loss: any Loss, accuracy: Bool = false,
                         chunk: Int? = nil) -> (loss: Double, accuracy: Double?) {
        guard data.count > 0 else { return (.nan, accuracy ? .nan : nil) }
        let chunk = chunk ?? data.evaluationChunk
        if data.count <= chunk {
            if case .dense(let inputs) = data.inputStorage {
                forwardPass(inputs)
            } else {
                data.copyInputs(0..<data.count, into: &chunkInputs)
                forwardPass(chunkInputs)
            }
            let value = lossOfLastForward(target: data.targets, loss: loss)
            return (value, accuracy ? Double(Self.correctCount(output, data.targets)) / Double(data.count) : nil)
        }
        let (total, correct) = sums(on: data, rows: 0..<data.count, loss: loss, accuracy: accuracy, chunk: chunk)
        return (total / Double(data.count), accuracy ? Double(correct) / Double(data.count) : nil)
    }

    /// Σ (chunk's mean loss · chunk rows) and the correct count (0 without `accuracy`) over the
    /// samples `rows` of `data`, in chunks of `chunk` rows: `evaluate`'s sums, or one process's
    /// part of them in data-parallel training.
    func sums(on data: DatasetOf<Scalar>, rows: Range<Int>, loss: any Loss, accuracy: Bool,
              chunk: Int = 4096) -> (loss: Double, correct: Int) {
        var total = 0.0
        var correct = 0
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(start + chunk, rows.upperBound)
            data.copyInputs(start..<end, into: &chunkInputs)
            data.targets.copyRows(start..<end, into: &chunkTargets)
            forwardPass(chunkInputs)
            total += lossOfLastForward(target: chunkTargets, loss: loss) * Double(end - start)
            if accuracy { correct += Self.correctCount(output, chunkTargets) }
            start = end
        }
        return (total, correct)
    }

    /// Network outputs for every sample, (count, outputs), in chunks.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func predict(_ inputs: MatrixOf<Scalar>, chunk: Int = 4096) -> MatrixOf<Scalar> {
        predict(on: DatasetOf(inputs: inputs, targets: MatrixOf(rows: inputs.rows, columns: 0)), chunk: chunk)
    }

    /// Network outputs for every sample of `data`, (count, outputs), in chunks (byte inputs
    /// decoded a chunk at a time).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func predict(on data: DatasetOf<Scalar>, chunk: Int? = nil) -> MatrixOf<Scalar> {
        forwardInChunks(data, loss: nil, chunk: chunk).predictions
    }

    /// `meanLoss(on:loss:)` and `predict(on:)` from one forward pass: the same chunks, so the
    /// same numbers as the two calls, for half the arithmetic (what a run's metrics need of
    /// each part of the data).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func lossAndPredictions(on data: DatasetOf<Scalar>, loss: any Loss) -> (loss: Double, predictions: MatrixOf<Scalar>) {
        forwardInChunks(data, loss: loss, chunk: nil)
    }

    /// One forward pass over `data` in chunks of `chunk` rows (default: the data's evaluation
    /// chunk): every output, and with `loss` the mean loss as `evaluate` combines it (NaN
    /// without one, or for no data).
    private func forwardInChunks(_ data: DatasetOf<Scalar>, loss: (any Loss)?, chunk: Int?) -> (loss: Double, predictions: MatrixOf<Scalar>) {
        var result = MatrixOf<Scalar>(rows: data.count, columns: outputCount)
        guard data.count > 0 else { return (.nan, result) }
        let chunk = chunk ?? data.evaluationChunk
        var total = 0.0
        var start = 0
        result.storage.withUnsafeMutableBufferPointer { predictions in
            while start < data.count {
                let end = min(start + chunk, data.count)
                data.copyInputs(start..<end, into: &chunkInputs)
                forwardPass(chunkInputs)
                if let loss {
                    if data.count <= chunk {
                        total = lossOfLastForward(target: data.targets, loss: loss)
                    } else {
                        data.targets.copyRows(start..<end, into: &chunkTargets)
                        total += lossOfLastForward(target: chunkTargets, loss: loss) * Double(end - start)
                    }
                }
                layers[layers.count - 1].output.storage.withUnsafeBufferPointer { out in
                    (predictions.baseAddress! + start * outputCount).update(from: out.baseAddress!, count: out.count)
                }
                start = end
            }
        }
        guard loss != nil else { return (.nan, result) }
        return (data.count <= chunk ? total : total / Double(data.count), result)
    }

    /// Fraction of samples whose predicted class equals the target class: argmax for several
    /// outputs, a 0.5 threshold for a single output.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func accuracy(on data: DatasetOf<Scalar>) -> Double {
        guard data.count > 0 else { return .nan }
        let predictions = predict(on: data)
        return Double(Self.correctCount(predictions, data.targets)) / Double(data.count)
    }

    /// How many rows of `outputs` predict the class of the same row of `targets`
    /// (`predictedClass` of each), both (batch, outputs).
    static func correctCount(_ outputs: MatrixOf<Scalar>, _ targets: MatrixOf<Scalar>) -> Int {
        let width = outputs.columns
        var correct = 0
        outputs.storage.withUnsafeBufferPointer { o in
            targets.storage.withUnsafeBufferPointer { t in
                for r in 0..<outputs.rows where predictedClass(o, row: r, width: width) == predictedClass(t, row: r, width: width) {
                    correct += 1
                }
            }
        }
        return correct
    }

    /// argmax of a row (first maximum wins); for one column, 1 when ≥ 0.5 else 0.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func predictedClass(_ row: ArraySlice<Scalar>) -> Int {
        row.withUnsafeBufferPointer { predictedClass($0, row: 0, width: row.count) }
    }

    @inline(__always)
    static func predictedClass(_ values: UnsafeBufferPointer<Scalar>, row: Int, width: Int) -> Int {
        let base = row * width
        if width == 1 { return values[base] >= 0.5 ? 1 : 0 }
        var best = 0
        for i in 1..<max(width, 1) where values[base + i] > values[base + best] { best = i }
        return best
    }
}
