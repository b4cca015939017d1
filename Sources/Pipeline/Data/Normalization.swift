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
        guard method != .none, inputs.rows > 0 else { return nil }
        let (n, width) = (inputs.rows, inputs.columns)
        var shift = [Double](repeating: 0, count: width)
        var scale = [Double](repeating: 1, count: width)
        switch method {
        case .none:
            return nil
        case .standardize:
            // Two passes (mean, then Σ(x − mean)²) keep the variance exact for large offsets.
            for r in 0..<n { for c in 0..<width { shift[c] += inputs[r, c] } }
            for c in 0..<width { shift[c] /= Double(n) }
            var squares = [Double](repeating: 0, count: width)
            for r in 0..<n {
                for c in 0..<width {
                    let d = inputs[r, c] - shift[c]
                    squares[c] += d * d
                }
            }
            for c in 0..<width {
                let sigma = (squares[c] / Double(n)).squareRoot()
                scale[c] = sigma > 0 ? sigma : 1
            }
        case .minmax:
            var low = Array(inputs.row(0)), high = Array(inputs.row(0))
            for r in 1..<n {
                for c in 0..<width {
                    low[c] = Swift.min(low[c], inputs[r, c])
                    high[c] = Swift.max(high[c], inputs[r, c])
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
