/// PyTorch's ExponentialLR stepped once per epoch: η_e = value·γ^(e − 1) (repeated multiplication).
public final class ExponentialRate: LearningRateSchedule {
    public let baseRate: Double
    public let gamma: Double
    private var cache: (epoch: Int, rate: Double)?
    public init(_ rate: Double, gamma: Double) {
        baseRate = rate
        self.gamma = gamma
    }
    public var name: String { "exponential" }
    public func rate(epoch: Int, previous: EpochSummary?) -> Double {
        // The next epoch's rate from the last one: one multiplication, the same value as the loop.
        if let cache, cache.epoch == epoch - 1, epoch > 1 {
            let rate = cache.rate * gamma
            self.cache = (epoch, rate)
            return rate
        }
        let rate = repeatedProduct(baseRate, gamma, times: epoch - 1)
        cache = (epoch, rate)
        return rate
    }
}
