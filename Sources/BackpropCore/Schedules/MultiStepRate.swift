/// PyTorch's MultiStepLR stepped once per epoch: the rate is multiplied by γ once the epoch
/// count passes each milestone: η_e = value·γ^(number of milestones m with m ≤ e − 1).
/// With milestones [30, 80], epochs 1–30 use value, 31–80 value·γ, 81– value·γ².
public final class MultiStepRate: LearningRateSchedule {
    public let baseRate: Double
    public let milestones: [Int]
    public let gamma: Double
    public init(_ rate: Double, milestones: [Int], gamma: Double = 0.1) {
        baseRate = rate
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }
    public var name: String { "multistep" }
    public func rate(epoch: Int, previous: EpochSummary?) -> Double {
        repeatedProduct(baseRate, gamma, times: milestones.filter { $0 <= epoch - 1 }.count)
    }
}
