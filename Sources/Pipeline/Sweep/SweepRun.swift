/// One run of a sweep, as `summary.csv` and the comparison charts see it: which combination of
/// swept values it is, with which seed, and where its folder is.
///
/// Every run folder of a sweep holds `metrics.json` and `history.csv` (the sweep adds both to a
/// run whose spec does not declare them), so everything about a run can be read back from its
/// folder, by the sweep itself or by a later `bp-pipeline report`.
public struct SweepRun: Sendable, Equatable {
    /// A swept key path and the value this run gives it, as written in the spec
    /// (`activation.type`, `sigmoid`).
    public struct Value: Sendable, Equatable {
        public let key: String
        public let value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The 0-based index of the combination in the sweep's cartesian product, before seeds;
    /// runs of one combination with different seeds share it.
    public let combination: Int
    /// The combination's values in the sweep's key order.
    public let values: [Value]
    /// The seed of `sweep.seeds` this run used; nil when the sweep repeats nothing.
    public let seed: Int?
    /// The run's folder.
    public let folder: String

    public init(combination: Int, values: [Value], seed: Int?, folder: String) {
        self.combination = combination
        self.values = values
        self.seed = seed
        self.folder = folder
    }

    /// The combination as a person reads it in a legend: `sigmoid, 0.1`, or the key paths
    /// too when `withKeys` (`activation.type=sigmoid, learning_rate.value=0.1`).
    public func label(withKeys: Bool = false) -> String {
        values.map { withKeys ? "\($0.key)=\($0.value)" : $0.value }.joined(separator: ", ")
    }
}
