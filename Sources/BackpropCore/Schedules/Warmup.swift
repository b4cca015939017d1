/// Linear warm-up in front of any schedule: epochs 1…W use value·e/W, then the wrapped schedule
/// runs as if epoch W + 1 were its epoch 1 (so a step schedule counts its steps after warm-up).
public final class Warmup: LearningRateSchedule {
    public let schedule: any LearningRateSchedule
    public let epochs: Int
    public init(_ schedule: any LearningRateSchedule, epochs: Int) {
        self.schedule = schedule
        self.epochs = epochs
    }
    public var name: String { schedule.name }
    public var baseRate: Double { schedule.baseRate }

    public func rate(epoch: Int, previous: EpochSummary?) -> Double {
        if epoch <= epochs { return baseRate * (Double(epoch) / Double(epochs)) }
        let inner = epoch - epochs
        // The wrapped schedule sees no summary of warm-up epochs.
        return schedule.rate(epoch: inner, previous: inner > 1 ? previous : nil)
    }

    public func saveState() -> [String: Double] { schedule.saveState() }
    public func restoreState(_ state: [String: Double]) { schedule.restoreState(state) }
}
