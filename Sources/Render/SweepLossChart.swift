import Foundation

/// The training loss of every combination of a sweep on shared axes: the mean across the
/// combination's seeds as a line, their minimum to maximum as a band, validation loss dashed in
/// the same colour, and a legend beside the plot.
///
/// Pure data in, pixels out: each series holds one `Spread` per epoch (nil where no run has a
/// finite value, so a diverged run's NaN epochs leave a gap rather than a spike).
public struct SweepLossChart: Sendable {
    /// One combination: its legend label and its per-epoch spreads, indexed like `epochs`.
    public struct Series: Sendable, Equatable {
        public var label: String
        public var epochs: [Int]
        public var train: [Spread?]
        public var validation: [Spread?]?

        public init(label: String, epochs: [Int], train: [Spread?], validation: [Spread?]? = nil) {
            self.label = label
            self.epochs = epochs
            self.train = train
            self.validation = validation
        }
    }

    public var title: String
    /// A line under the title; nil makes one from the series (combinations, seeds, what the band is).
    public var subtitle: String?
    public var series: [Series]
    /// `auto` is log when the positive values drawn span more than two decades (as LossCurveChart).
    public var scale: AxisScale
    public var lossLabel: String
    /// Lines under the plot (runs left out, values not drawn).
    public var notes: [String]

    public init(title: String, series: [Series], scale: AxisScale = .auto, lossLabel: String = "loss",
                notes: [String] = [], subtitle: String? = nil) {
        self.title = title
        self.series = series
        self.scale = scale
        self.lossLabel = lossLabel
        self.notes = notes
        self.subtitle = subtitle
    }

    /// Every value the plot draws (means and band ends), finite only.
    var drawnValues: [Double] {
        series.flatMap { s in
            (s.train + (s.validation ?? [])).compactMap { $0 }.flatMap { [$0.mean, $0.minimum, $0.maximum] }
        }.filter(\.isFinite)
    }

    /// `linear` or `log`, resolving `auto` (linear when no value is positive).
    public var resolvedScale: AxisScale {
        let positive = drawnValues.filter { $0 > 0 }
        guard let lo = positive.min(), let hi = positive.max() else { return .linear }
        switch scale {
        case .linear: return .linear
        case .log: return .log
        case .auto: return hi / lo > 100 ? .log : .linear
        }
    }

    var hasValidation: Bool { series.contains { $0.validation?.contains { $0 != nil } ?? false } }

    /// The most runs behind any point of any series.
    var mostRuns: Int { series.flatMap { $0.train.compactMap { $0?.count } }.max() ?? 0 }

    /// "3 combinations × 3 seeds  ·  line: mean across seeds, band: min–max  ·  dashed: validation".
    public var summary: String {
        var parts = ComparisonStyle.summaryParts(combinations: series.count, mostRuns: mostRuns)
        if hasValidation { parts.append("solid: train, dashed: validation") }
        return parts.joined(separator: "  ·  ")
    }

    /// The colour of series `index`.
    public static func color(_ index: Int) -> Color { SeriesColors.color(index) }

    public func render(width: Int = 1000, height: Int = 640) -> RasterImage {
        let canvas = Canvas(width: width, height: height)
        let theme = Theme(width: width, height: height)
        let W = Double(canvas.width)
        let H = Double(canvas.height)
        let top = Layout.drawTitle(title, subtitle: subtitle ?? summary, canvas: canvas, theme: theme, width: W)
        let logScale = resolvedScale == .log

        var notes = self.notes
        let nonPositive = logScale ? series.reduce(0) { n, s in
            n + (s.train + (s.validation ?? [])).filter { ($0?.mean ?? 1) <= 0 }.count
        } : 0
        if nonPositive > 0 { notes.append("\(nonPositive) mean\(nonPositive == 1 ? "" : "s") <= 0 not drawn on the log scale") }

        let tickLabelHeight = canvas.lineHeight(size: theme.tickSize)
        let axisTitleHeight = canvas.lineHeight(size: theme.axisTitleSize)
        let bottomBand = theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4 + axisTitleHeight + theme.pad * 0.7
            + ComparisonStyle.notesHeight(notes, canvas: canvas, theme: theme)
        let plotHeight = max(40, H - top - bottomBand)

        let values = drawnValues.filter { !logScale || $0 > 0 }
        let ticks = Layout.yTickCount(height: plotHeight, theme: theme)
        let yAxis: Axis
        if let lo = values.min(), let hi = values.max() {
            if logScale {
                yAxis = Axis.log(dataMin: lo, dataMax: hi, maxTicks: ticks)
            } else if lo >= 0 && lo < 0.6 * hi {
                // Losses are usually >= 0: start at 0 unless the data are far from it.
                yAxis = Axis.fixed(lower: 0, upper: Axis.linear(dataMin: 0, dataMax: hi, maxTicks: ticks).upper, maxTicks: ticks)
            } else {
                yAxis = Axis.linear(dataMin: lo, dataMax: hi, maxTicks: ticks)
            }
        } else {
            yAxis = Axis.fixed(lower: 0, upper: 1, maxTicks: ticks)
        }

        var entries = series.indices.map { i in
            SideLegend.Entry(label: series[i].label, color: Self.color(i), sample: mostRuns > 1 ? .band : .line(dash: []))
        }
        if hasValidation {
            entries = [SideLegend.Entry(label: "train", color: Theme.secondaryText, sample: .line(dash: [])),
                       SideLegend.Entry(label: "validation", color: Theme.secondaryText, sample: .line(dash: ComparisonStyle.validationDash))] + entries
        }
        let yLabelWidth = Layout.maxWidth(yAxis.labels, canvas: canvas, size: theme.tickSize)
        let left = theme.pad + axisTitleHeight + theme.pad * 0.5 + yLabelWidth + theme.tickLength + 4 * theme.scale
        let legend = SideLegend(entries, maxWidth: W * 0.38, maxHeight: plotHeight, canvas: canvas, theme: theme)
        let right = theme.pad + (entries.isEmpty ? theme.pad * 0.6 : legend.width + theme.pad)
        let plotWidth = max(20, W - left - right)

        let allEpochs = series.flatMap(\.epochs)
        let firstEpoch = Double(allEpochs.min() ?? 1)
        let lastEpoch = Double(allEpochs.max() ?? 1)
        let xAxis = Layout.fitXAxis(width: plotWidth, canvas: canvas, theme: theme) { count in
            lastEpoch > firstEpoch
                ? Axis.fixed(lower: firstEpoch, upper: lastEpoch, maxTicks: count, integer: true)
                : Axis.fixed(lower: firstEpoch - 1, upper: firstEpoch + 1, maxTicks: 2, integer: true)
        }
        let panel = Panel(rect: Rect(x: left, y: top, width: plotWidth, height: plotHeight), x: xAxis, y: yAxis)
        panel.drawGrid(canvas, theme)

        func pixels(_ s: Series, _ spreads: [Spread?], _ value: (Spread) -> Double) -> [Point] {
            zip(s.epochs, spreads).map { epoch, spread in
                guard let spread else { return Point(x: .nan, y: .nan) }
                var v = value(spread)
                // A band end <= 0 on a log axis is clamped to the floor; a mean <= 0 is a gap.
                if logScale && v <= 0 { v = spread.mean > 0 ? yAxis.lower : .nan }
                return panel.point(Double(epoch), v)
            }
        }
        canvas.withClip(panel.rect) {
            // Bands first, all of them, so no band covers another combination's line.
            for (i, s) in series.enumerated() {
                let color = Self.color(i)
                let parts: [([Spread?], Double)] = [(s.train, ComparisonStyle.bandAlpha)]
                    + (s.validation.map { [($0, ComparisonStyle.bandAlpha * 0.6)] } ?? [])
                for (spreads, alpha) in parts {
                    // Only where two or more runs disagree is there a band to draw.
                    let banded = spreads.map { $0.flatMap { $0.count > 1 ? $0 : nil } }
                    ComparisonStyle.fillBand(lower: pixels(s, banded, \.minimum), upper: pixels(s, banded, \.maximum),
                                             color: color.withAlpha(alpha), canvas: canvas)
                }
            }
            for (i, s) in series.enumerated() {
                let color = Self.color(i)
                for (spreads, dash) in [(s.train, [Double]())] + (s.validation.map { [($0, ComparisonStyle.validationDash)] } ?? []) {
                    let line = pixels(s, spreads, \.mean)
                    canvas.polyline(Layout.decimate(line), color: color, width: theme.lineWidth, dash: dash.map { $0 * theme.scale })
                    for p in ComparisonStyle.isolatedPoints(line) { canvas.circle(center: p, radius: 3 * theme.scale, fill: color) }
                }
            }
        }
        panel.drawFrame(canvas, theme)
        panel.drawYTicks(canvas, theme)
        panel.drawXTicks(canvas, theme)
        canvas.text(lossLabel + (logScale ? ", log scale" : ""), at: Point(x: theme.pad + axisTitleHeight * 0.75, y: panel.rect.midY),
                    size: theme.axisTitleSize, color: Theme.text, align: .center, baseline: .baseline, rotation: 90)
        let xTitleY = panel.rect.maxY + theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4
        canvas.text("epoch", at: Point(x: panel.rect.midX, y: xTitleY), size: theme.axisTitleSize, color: Theme.text,
                    align: .center, baseline: .top)
        if values.isEmpty {
            canvas.text(series.isEmpty ? "no finished runs" : "no finite loss values", at: Point(x: panel.rect.midX, y: panel.rect.midY),
                        size: theme.axisTitleSize, color: Theme.secondaryText, align: .center, baseline: .middle)
        }
        legend.draw(at: Point(x: panel.rect.maxX + theme.pad, y: panel.rect.minY), canvas: canvas, theme: theme)
        ComparisonStyle.drawNotes(notes, canvas: canvas, theme: theme, width: W, height: H)
        return canvas.image()
    }
}
