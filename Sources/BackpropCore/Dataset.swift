/// A float64 dataset: what the data stages read.
public typealias Dataset = DatasetOf<Double>

/// Samples as two row-aligned matrices: inputs (count, features) and targets (count, outputs).
///
/// Stored once, contiguously; mini-batches are gathered into reused buffers.
public struct DatasetOf<Scalar: TrainingScalar>: Sendable {
    public var inputs: MatrixOf<Scalar>
    public var targets: MatrixOf<Scalar>

    public init(inputs: MatrixOf<Scalar>, targets: MatrixOf<Scalar>) {
        precondition(inputs.rows == targets.rows, "inputs and targets must have the same number of rows")
        self.inputs = inputs
        self.targets = targets
    }

    public var count: Int { inputs.rows }
    public var featureCount: Int { inputs.columns }
    public var targetCount: Int { targets.columns }

    /// The same samples in another precision (one converted copy).
    public init<Other: TrainingScalar>(converting data: DatasetOf<Other>) {
        self.init(inputs: MatrixOf(converting: data.inputs), targets: MatrixOf(converting: data.targets))
    }
}

extension NetworkOf {
    /// Mean loss over a whole dataset, evaluated in chunks so memory stays bounded.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func meanLoss(on data: DatasetOf<Scalar>, loss: any Loss, chunk: Int = 4096) -> Double {
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
                         chunk: Int = 4096) -> (loss: Double, accuracy: Double?) {
        guard data.count > 0 else { return (.nan, accuracy ? .nan : nil) }
        if data.count <= chunk {
            forwardPass(data.inputs)
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
            data.inputs.copyRows(start..<end, into: &chunkInputs)
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
        var result = MatrixOf<Scalar>(rows: inputs.rows, columns: outputCount)
        var start = 0
        while start < inputs.rows {
            let end = min(start + chunk, inputs.rows)
            inputs.copyRows(start..<end, into: &chunkInputs)
            forwardPass(chunkInputs)
            let out = layers[layers.count - 1].output
            for i in 0..<out.storage.count { result.storage[start * outputCount + i] = out.storage[i] }
            start = end
        }
        return result
    }

    /// Fraction of samples whose predicted class equals the target class: argmax for several
    /// outputs, a 0.5 threshold for a single output.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func accuracy(on data: DatasetOf<Scalar>) -> Double {
        guard data.count > 0 else { return .nan }
        let predictions = predict(data.inputs)
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
