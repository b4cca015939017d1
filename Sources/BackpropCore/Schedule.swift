/// What a schedule may look at when choosing the next epoch's rate.
public struct EpochSummary: Sendable, Codable, Equatable {
    public let epoch: Int
    public let loss: Double
    public let validationLoss: Double?
    public init(epoch: Int, loss: Double, validationLoss: Double?) {
        self.epoch = epoch
        self.loss = loss
        self.validationLoss = validationLoss
    }
}

/// A learning rate as a function of the epoch (1-based), stepped once per epoch as PyTorch's
/// schedulers are. Classes, since some (reduce-on-plateau) keep state.
public protocol LearningRateSchedule: AnyObject {
    var name: String { get }
    /// The base rate (`value` in the spec).
    var baseRate: Double { get }
    /// The rate to use during `epoch`; `previous` summarises the epoch before it (nil for epoch 1).
    func rate(epoch: Int, previous: EpochSummary?) -> Double
    /// Saved in checkpoints; stateless schedules keep the default.
    func saveState() -> [String: Double]
    func restoreState(_ state: [String: Double])
}

extension LearningRateSchedule {
    public func saveState() -> [String: Double] { [:] }
    public func restoreState(_ state: [String: Double]) {}
}
