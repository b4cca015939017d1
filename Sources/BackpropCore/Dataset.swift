/// Samples as two row-aligned matrices: inputs (count, features) and targets (count, outputs).
///
/// Stored once, contiguously; mini-batches are gathered into reused buffers.
public struct Dataset: Sendable {
    public var inputs: Matrix
    public var targets: Matrix

    public init(inputs: Matrix, targets: Matrix) {
        precondition(inputs.rows == targets.rows, "inputs and targets must have the same number of rows")
        self.inputs = inputs
        self.targets = targets
    }

    public var count: Int { inputs.rows }
    public var featureCount: Int { inputs.columns }
    public var targetCount: Int { targets.columns }
}

extension Network {
    /// Mean loss over a whole dataset, evaluated in chunks so memory stays bounded.
    public func meanLoss(on data: Dataset, loss: any Loss, chunk: Int = 4096) -> Double {
        guard data.count > 0 else { return .nan }
        if data.count <= chunk { return self.loss(data.inputs, target: data.targets, loss: loss) }
        var total = 0.0
        var start = 0
        while start < data.count {
            let end = min(start + chunk, data.count)
            let value = self.loss(data.inputs.rows(start..<end), target: data.targets.rows(start..<end), loss: loss)
            total += value * Double(end - start)
            start = end
        }
        return total / Double(data.count)
    }

    /// Network outputs for every sample, (count, outputs), in chunks.
    public func predict(_ inputs: Matrix, chunk: Int = 4096) -> Matrix {
        var result = Matrix(rows: inputs.rows, columns: outputCount)
        var start = 0
        while start < inputs.rows {
            let end = min(start + chunk, inputs.rows)
            let out = forward(inputs.rows(start..<end))
            for i in 0..<out.storage.count { result.storage[start * outputCount + i] = out.storage[i] }
            start = end
        }
        return result
    }

    /// Fraction of samples whose predicted class equals the target class: argmax for several
    /// outputs, a 0.5 threshold for a single output.
    public func accuracy(on data: Dataset) -> Double {
        guard data.count > 0 else { return .nan }
        let predictions = predict(data.inputs)
        var correct = 0
        for r in 0..<data.count where Self.predictedClass(predictions.row(r)) == Self.predictedClass(data.targets.row(r)) {
            correct += 1
        }
        return Double(correct) / Double(data.count)
    }

    /// argmax of a row (first maximum wins); for one column, 1 when ≥ 0.5 else 0.
    public static func predictedClass(_ row: ArraySlice<Double>) -> Int {
        if row.count == 1 { return row[row.startIndex] >= 0.5 ? 1 : 0 }
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }
}
