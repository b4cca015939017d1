/// PyTorch's CosineAnnealingLR in its closed form, stepped once per epoch (k = e − 1 steps done):
/// η_e = η_min + (value − η_min)·(1 + cos(π·k / t_max)) / 2. It reaches η_min at epoch t_max + 1
/// and, as the closed form does, rises again after it.
public final class CosineRate: LearningRateSchedule {
    public let baseRate: Double
    public let maximumEpochs: Int
    public let minimumRate: Double
    public init(_ rate: Double, maximumEpochs: Int, minimumRate: Double = 0) {
        baseRate = rate
        self.maximumEpochs = maximumEpochs
        self.minimumRate = minimumRate
    }
    public var name: String { "cosine" }
    public func rate(epoch: Int, previous: EpochSummary?) -> Double {
        minimumRate + (baseRate - minimumRate) * (1 + _cos(Double.pi * Double(epoch - 1) / Double(maximumEpochs))) / 2
    }
}
