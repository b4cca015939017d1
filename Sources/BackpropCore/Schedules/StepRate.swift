/// PyTorch's StepLR stepped once per epoch: the rate is multiplied by γ after every `step_size`
/// epochs, η_e = value·γ^⌊(e − 1)/step_size⌋ for epoch e = 1, 2, ...
///
/// The power is formed by repeated multiplication, as PyTorch's chained update does.
public final class StepRate: LearningRateSchedule {
    public let baseRate: Double
    public let stepSize: Int
    public let gamma: Double
    public init(_ rate: Double, stepSize: Int, gamma: Double = 0.1) {
        baseRate = rate
        self.stepSize = stepSize
        self.gamma = gamma
    }
    public var name: String { "step" }
    public func rate(epoch: Int, previous: EpochSummary?) -> Double {
        repeatedProduct(baseRate, gamma, times: (epoch - 1) / stepSize)
    }
}

/// base·γ·γ···γ (`times` factors), multiplied left to right.
func repeatedProduct(_ base: Double, _ gamma: Double, times: Int) -> Double {
    var rate = base
    if times > 0 { for _ in 0..<times { rate *= gamma } }
    return rate
}
