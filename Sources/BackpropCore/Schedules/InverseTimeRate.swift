/// scikit-learn's `invscaling`, counted in epochs: η_e = value / e^power for epoch e = 1, 2, ...
public final class InverseTimeRate: LearningRateSchedule {
    public let baseRate: Double
    public let power: Double
    public init(_ rate: Double, power: Double = 0.5) {
        baseRate = rate
        self.power = power
    }
    public var name: String { "inverse_time" }
    public func rate(epoch: Int, previous: EpochSummary?) -> Double {
        baseRate / _pow(Double(epoch), power)
    }
}
