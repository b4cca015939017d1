import BackpropCore

/// How close a regression model's outputs are to the targets, in the targets' own units (the
/// pipeline never rescales targets, so outputs and targets are already in the data's units).
///
/// Over n samples and m targets, with e = prediction − target:
///
///     mse  = Σ e² / (n·m)          rmse = √mse          mae = Σ |e| / (n·m)
///     r2ₖ  = 1 − SS_res,ₖ / SS_tot,ₖ,  SS_res,ₖ = Σᵢ eᵢₖ²,  SS_tot,ₖ = Σᵢ (yᵢₖ − ȳₖ)²
///     r2   = the mean of r2ₖ over the targets
///
/// A target that is constant over the part has SS_tot = 0 and no R² (NaN, null in JSON);
/// then `r2` is NaN too. R² is 1 for perfect predictions, 0 for predicting the mean, negative when worse.
public struct RegressionMetrics: Sendable, Equatable {
    public let mse: Double
    public let rmse: Double
    public let mae: Double
    public let r2: Double
    /// One R² per target.
    public let r2PerTarget: [Double]

    /// `predictions` and `targets` are (samples, targets), at least one sample.
    public init(predictions: Matrix, targets: Matrix) {
        precondition(predictions.rows == targets.rows && predictions.columns == targets.columns, "predictions and targets differ in shape")
        let (n, m) = (targets.rows, targets.columns)
        var means = [Double](repeating: 0, count: m)
        for r in 0..<n { for k in 0..<m { means[k] += targets[r, k] } }
        for k in 0..<m { means[k] /= Double(n) }
        var squares = 0.0, absolutes = 0.0
        var residual = [Double](repeating: 0, count: m), total = [Double](repeating: 0, count: m)
        for r in 0..<n {
            for k in 0..<m {
                let e = predictions[r, k] - targets[r, k]
                squares += e * e
                absolutes += abs(e)
                residual[k] += e * e
                let d = targets[r, k] - means[k]
                total[k] += d * d
            }
        }
        let count = Double(n * m)
        mse = squares / count
        rmse = mse.squareRoot()
        mae = absolutes / count
        r2PerTarget = (0..<m).map { total[$0] > 0 ? 1 - residual[$0] / total[$0] : .nan }
        r2 = r2PerTarget.reduce(0, +) / Double(m)
    }

    /// The names metrics.json and `expect:` use, after the part's prefix (`test_r2`).
    public static let names = ["mse", "rmse", "mae", "r2"]

    /// The value of `name` (one of `names`).
    public func value(_ name: String) -> Double? {
        switch name {
        case "mse": return mse
        case "rmse": return rmse
        case "mae": return mae
        case "r2": return r2
        default: return nil
        }
    }

    /// metrics.json members `<prefix>_mse`, `_rmse`, `_mae`, `_r2`.
    public func members(prefix: String) -> [(String, JSON)] {
        Self.names.map { ("\(prefix)_\($0)", JSON.optional(value($0))) }
    }
}
