/// PyTorch's ReduceLROnPlateau (mode min, threshold 1e-4 relative, cooldown 0, eps 1e-8),
/// stepped after each epoch with the monitored value x:
///
///     improved = x < best·(1 − 1e-4);  improved: best ← x, bad ← 0;  else bad ← bad + 1
///     bad > patience:  η_new = max(η·factor, min_lr); take it when η − η_new > 1e-8; bad ← 0
///
/// Epoch 1 uses `value`; the decision after epoch e sets the rate of epoch e + 1.
public final class ReduceOnPlateau: LearningRateSchedule {
    public let baseRate: Double
    public let monitor: Monitor
    public let factor: Double
    public let patience: Int
    public let minimumRate: Double
    public static let threshold = 1e-4
    public static let eps = 1e-8

    public private(set) var currentRate: Double
    public private(set) var best = Double.infinity
    public private(set) var badEpochs = 0
    /// The last epoch whose summary was taken in (so asking twice does not count twice).
    private var lastStepped = 0

    public init(_ rate: Double, monitor: Monitor = .validationLoss, factor: Double = 0.1,
                patience: Int = 10, minimumRate: Double = 0) {
        baseRate = rate
        currentRate = rate
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.minimumRate = minimumRate
    }
    public var name: String { "reduce_on_plateau" }

    public func rate(epoch: Int, previous: EpochSummary?) -> Double {
        guard let previous, previous.epoch > lastStepped else { return currentRate }
        lastStepped = previous.epoch
        let x = monitor.value(of: previous)
        if x < best * (1 - Self.threshold) {
            best = x
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if badEpochs > patience {
            let reduced = max(currentRate * factor, minimumRate)
            if currentRate - reduced > Self.eps { currentRate = reduced }
            badEpochs = 0
        }
        return currentRate
    }

    public func saveState() -> [String: Double] {
        ["rate": currentRate, "best": best, "bad_epochs": Double(badEpochs), "last_stepped": Double(lastStepped)]
    }

    public func restoreState(_ state: [String: Double]) {
        currentRate = state["rate"] ?? baseRate
        best = state["best"] ?? .infinity
        badEpochs = Int(state["bad_epochs"] ?? 0)
        lastStepped = Int(state["last_stepped"] ?? 0)
    }
}
