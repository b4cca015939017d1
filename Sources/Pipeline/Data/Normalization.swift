import BackpropCore

/// Per-feature affine scaling of the inputs, x' = (x − shift) / scale, fitted on the training part.
///
/// `standardize`: shift = mean, scale = population standard deviation (σ, dividing by n), so the
/// training part has mean 0 and σ 1 in every column. `minmax`: shift = minimum, scale = maximum −
/// minimum, so the training part spans [0, 1]. A constant column gets scale 1 (it becomes 0, not NaN).
/// Saved in `model.json` so a trained model can be applied to new raw data.
public struct Normalization: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable {
        case none, standardize, minmax
    }

    public let method: Method
    /// One value per input column.
    public let shift: [Double]
    public let scale: [Double]

    public init(method: Method, shift: [Double], scale: [Double]) {
        precondition(shift.count == scale.count, "shift and scale need one value per column")
        self.method = method
        self.shift = shift
        self.scale = scale
    }

    /// Fits `method` on `inputs` (count, features); nil for `.none` or no samples.
    public static func fit(_ method: Method, on inputs: Matrix) -> Normalization? {
        fit(method, on: Dataset(inputs: inputs, targets: Matrix(rows: inputs.rows, columns: 0)))
    }

    /// Fits `method` on the inputs of `data`, reading them a row at a time (byte inputs are
    /// decoded row by row, never whole); nil for `.none` or no samples.
    public static func fit(_ method: Method, on data: Dataset) -> Normalization? {
        guard method != .none, data.count > 0 else { return nil }
        let (n, width) = (data.count, data.featureCount)
        var shift = [Double](repeating: 0, count: width)
        var scale = [Double](repeating: 1, count: width)
        switch method {
        case .none:
            return nil
        case .standardize:
            // Two passes (mean, then Σ(x − mean)²) keep the variance exact for large offsets.
            data.forEachInputRow { row in for c in 0..<width { shift[c] += row[c] } }
            for c in 0..<width { shift[c] /= Double(n) }
            var squares = [Double](repeating: 0, count: width)
            data.forEachInputRow { row in
                for c in 0..<width {
                    let d = row[c] - shift[c]
                    squares[c] += d * d
                }
            }
            for c in 0..<width {
                let sigma = (squares[c] / Double(n)).squareRoot()
                scale[c] = sigma > 0 ? sigma : 1
            }
        case .minmax:
            var low: [Double] = [], high: [Double] = []
            data.forEachInputRow { row in
                guard !low.isEmpty else {
                    low = Array(row)
                    high = low
                    return
                }
                for c in 0..<width {
                    low[c] = Swift.min(low[c], row[c])
                    high[c] = Swift.max(high[c], row[c])
                }
            }
            for c in 0..<width {
                shift[c] = low[c]
                scale[c] = high[c] > low[c] ? high[c] - low[c] : 1
            }
        }
        return Normalization(method: method, shift: shift, scale: scale)
    }

    /// The value in the data's own units of a normalised value x' of `column`: x = x'·scale + shift.
    public func original(_ value: Double, column: Int) -> Double {
        value * scale[column] + shift[column]
    }

    /// Applies x' = (x − shift) / scale to every input of `data` (see `DatasetOf.normalizeInputs`).
    public func apply(to data: inout Dataset) {
        data.normalizeInputs(shift: shift, scale: scale)
    }

    /// The same for an optional part (taken out first, so its inputs stay uniquely referenced
    /// and are changed in place, not copied).
    public func apply(to part: inout Dataset?) {
        guard var taken = part else { return }
        part = nil
        apply(to: &taken)
        part = taken
    }

    /// Applies x' = (x − shift) / scale to every row of `inputs` in place.
    public func apply(to inputs: inout Matrix) {
        let width = shift.count
        precondition(inputs.columns == width, "normalisation fitted on \(width) columns")
        inputs.storage.withUnsafeMutableBufferPointer { values in
            var offset = 0
            while offset < values.count {
                for c in 0..<width { values[offset + c] = (values[offset + c] - shift[c]) / scale[c] }
                offset += width
            }
        }
    }
}

extension Normalization.Method: ParameterChoice {}
