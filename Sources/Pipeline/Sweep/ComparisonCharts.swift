/// The charts at the top of a sweep's folder that compare its runs.
public enum ComparisonCharts {
    /// Draws the comparison charts of `runs` (read back from their folders; runs without a
    /// finished `history.csv` are left out) into `folder`, the sweep's top folder, and returns
    /// the file names written. `title` heads every chart (the spec's name).
    public static func write(_ runs: [SweepRun], title: String, into folder: String) throws -> [String] {
        // Interface placeholder: the comparison-chart branch replaces this body.
        []
    }
}
