/// The quantity early stopping and reduce-on-plateau watch, after each epoch.
public enum Monitor: String, Sendable, Codable, CaseIterable {
    /// The epoch's training loss (history's `loss`).
    case loss
    /// The loss on the validation part (history's `val_loss`); falls back to `loss` when the
    /// run has no validation part.
    case validationLoss = "val_loss"

    /// The watched value of an epoch.
    public func value(of summary: EpochSummary) -> Double {
        switch self {
        case .loss: return summary.loss
        case .validationLoss: return summary.validationLoss ?? summary.loss
        }
    }
}
