/// η(epoch) = value.
public final class ConstantRate: LearningRateSchedule {
    public let baseRate: Double
    public init(_ rate: Double) { baseRate = rate }
    public var name: String { "constant" }
    public func rate(epoch: Int, previous: EpochSummary?) -> Double { baseRate }
}
