import Foundation
@preconcurrency import Glibc
import Render

/// The charts at the top of a sweep's folder that compare its runs.
///
/// - `loss_comparison.png`: training loss per epoch of every combination on shared axes, the
///   mean across its seeds as a line and their minimum to maximum as a band; validation loss
///   dashed in the same colour.
/// - `gradients_by_depth.png`: mean |∂E/∂w| of each layer against its depth, first epoch beside
///   last epoch on one shared log scale. Mean |∂E/∂w| rather than ‖∂E/∂W‖: the norm grows with
///   the square root of a layer's weight count, so a wide layer would look "larger" for its size
///   alone; the mean absolute derivative is the seed's per-weight ∂E/∂w, comparable across layers
///   of any width, and the vanishing gradient is that number shrinking towards layer 1.
public enum ComparisonCharts {
    public static let lossFile = "loss_comparison.png"
    public static let gradientFile = "gradients_by_depth.png"

    /// Draws the comparison charts of `runs` (read back from their folders; runs without a
    /// finished `history.csv` are left out) into `folder`, the sweep's top folder, and returns
    /// the file names written. `title` heads every chart (the spec's name).
    public static func write(_ runs: [SweepRun], title: String, into folder: String) throws -> [String] {
        let comparison = Comparison(runs)
        let loss = SweepLossChart(title: title, series: comparison.loss, notes: comparison.notes + comparison.lossNotes)
        let gradients = GradientDepthChart(title: title, series: comparison.gradients, valueLabel: "mean |∂E/∂w| per layer",
                                           firstTitle: comparison.firstTitle, lastTitle: comparison.lastTitle,
                                           notes: comparison.notes + comparison.gradientNotes)
        let text = [(key: "Software", value: "bp-pipeline \(Engine.version)"), (key: "Title", value: title)]
        try writeAtomically(loss.render(width: 1000, height: 640), to: folder + "/" + lossFile, text: text)
        try writeAtomically(gradients.render(width: 1000, height: 560), to: folder + "/" + gradientFile, text: text)
        return [lossFile, gradientFile]
    }

    /// Writes the PNG beside its final name and renames it into place, so a reader (or a sweep
    /// interrupted mid-write) sees the old chart or the new one, never half of one.
    static func writeAtomically(_ image: RasterImage, to path: String, text: [(key: String, value: String)]) throws {
        let name = PathTools.lastComponent(of: path)
        let temporary = String(path.dropLast(name.count)) + ".\(name).tmp-\(getpid())"
        do {
            try PNG.write(image, to: temporary, text: text)
        } catch let error as RenderError {
            unlink(temporary)
            throw PipelineError.output("cannot write the chart: \(error.message)", path: path)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw PipelineError.output("cannot write the chart: \(OutputFolder.describe(code))", path: path)
        }
    }
}

/// The runs of a sweep read back and aggregated per combination: what the two charts draw.
struct Comparison {
    /// One series per combination with at least one usable run, in combination order.
    var loss: [SweepLossChart.Series] = []
    var gradients: [GradientDepthChart.Series] = []
    /// Runs left out, for both charts' notes.
    var notes: [String] = []
    /// Loss values not drawn (the loss chart's notes) and gradient values not drawn (the gradient chart's).
    var lossNotes: [String] = []
    var gradientNotes: [String] = []
    var firstTitle = "first epoch"
    var lastTitle = "last epoch"

    init(_ runs: [SweepRun]) {
        // Seeds in a fixed order inside each combination, so the same runs in any order give the
        // same sums (floating-point addition is not associative) and the same bytes.
        let ordered = runs.sorted { ($0.combination, $0.seed ?? Int.min, $0.folder) < ($1.combination, $1.seed ?? Int.min, $1.folder) }
        var read: [(run: SweepRun, history: RunHistory, diverged: Bool)] = []
        var unfinished = 0
        var unreadable = 0
        for run in ordered {
            do throws(RunSkip) {
                let status = try RunFolderReader.finishedStatus(run.folder)
                read.append((run, try RunFolderReader.history(run.folder), status == "diverged"))
            } catch .unfinished {
                unfinished += 1
            } catch {
                unreadable += 1
            }
        }
        var nonFinite = 0
        var nonFiniteGradients = 0
        var combinations: [Int] = []
        for entry in read where combinations.last != entry.run.combination { combinations.append(entry.run.combination) }
        for combination in combinations {
            let members = read.filter { $0.run.combination == combination }
            let label = Self.label(members[0].run.label(), runs: members.count, diverged: members.filter(\.diverged).count)
            let histories = members.map(\.history)
            let (train, epochs, trainSkipped) = Self.perEpoch(histories.map { ($0.epochs, $0.loss) })
            nonFinite += trainSkipped
            var validation: [Spread?]?
            let validationColumns = histories.compactMap { h in h.validationLoss.map { (h.epochs, $0) } }
            if validationColumns.contains(where: { $0.1.contains(where: \.isFinite) }) {
                // Aligned with the training epochs (a run without the column adds nothing).
                let (values, validationEpochs, skipped) = Self.perEpoch(validationColumns)
                let index = Dictionary(uniqueKeysWithValues: zip(validationEpochs, values))
                validation = epochs.map { index[$0] ?? nil }
                nonFinite += skipped
            }
            loss.append(SweepLossChart.Series(label: label, epochs: epochs, train: train, validation: validation))
            let first = histories.map(\.firstGradients)
            let last = histories.map(\.lastGradients)
            nonFiniteGradients += (first + last).joined().filter { !$0.isFinite }.count
            gradients.append(GradientDepthChart.Series(label: label, first: Self.perLayer(first), last: Self.perLayer(last)))
        }
        if unfinished + unreadable > 0 {
            var parts: [String] = []
            if unfinished > 0 { parts.append("\(unfinished) not finished") }
            if unreadable > 0 { parts.append("\(unreadable) without a readable metrics.json and history.csv") }
            let total = unfinished + unreadable
            notes.append("\(total) of \(runs.count) run\(runs.count == 1 ? "" : "s") left out: " + parts.joined(separator: ", "))
        }
        if nonFinite > 0 { lossNotes.append("\(nonFinite) NaN or infinite loss value\(nonFinite == 1 ? "" : "s") of diverged runs not drawn (gaps in the lines)") }
        if nonFiniteGradients > 0 {
            gradientNotes.append("\(nonFiniteGradients) NaN or infinite gradient value\(nonFiniteGradients == 1 ? "" : "s") of diverged runs left out of the means")
        }
        let firsts = Set(read.compactMap(\.history.epochs.first))
        let lasts = Set(read.compactMap(\.history.epochs.last))
        firstTitle = Self.heading("first epoch", firsts)
        lastTitle = Self.heading("last epoch", lasts)
    }

    /// The legend label: the swept values, and how many of the runs diverged ("relu, 0.5 (diverged)",
    /// "relu, 0.5 (1 of 3 diverged)").
    static func label(_ values: String, runs: Int, diverged: Int) -> String {
        let base = values.isEmpty ? "run" : values
        if diverged == 0 { return base }
        return base + (diverged == runs ? " (diverged)" : " (\(diverged) of \(runs) diverged)")
    }

    /// "last epoch (100)", or "last epoch (40–100)" when early stopping ended runs apart.
    static func heading(_ name: String, _ epochs: Set<Int>) -> String {
        guard let lo = epochs.min(), let hi = epochs.max() else { return name }
        return lo == hi ? "\(name) (\(lo))" : "\(name) of each run (\(lo)–\(hi))"
    }

    /// The spread at every epoch any of `columns` (a run's epochs and its values) recorded,
    /// ascending, over the runs with a finite value there: after early stopping ends a run, the
    /// others carry on. The count of non-finite values left out comes third.
    static func perEpoch(_ columns: [(epochs: [Int], values: [Double])]) -> ([Spread?], [Int], Int) {
        var byEpoch: [Int: [Double]] = [:]
        var skipped = 0
        for column in columns {
            for (epoch, value) in zip(column.epochs, column.values) {
                byEpoch[epoch, default: []].append(value)
                if !value.isFinite { skipped += 1 }
            }
        }
        let epochs = byEpoch.keys.sorted()
        return (epochs.map { Spread(byEpoch[$0] ?? []) }, epochs, skipped)
    }

    /// The spread of each layer's value over the runs that have the layer (deeper networks of
    /// another combination do not matter here: a combination's seeds share one network).
    static func perLayer(_ rows: [[Double]]) -> [Spread?] {
        let depth = rows.map(\.count).max() ?? 0
        return (0..<depth).map { layer in Spread(rows.compactMap { layer < $0.count ? $0[layer] : nil }) }
    }
}
