import Foundation

/// Per-layer gradient size against depth for every combination of a sweep, at the first epoch
/// (left panel) and the last (right panel), on one shared log scale: the vanishing gradient as
/// one picture. Layer 1 is the first hidden layer, the highest layer the output.
///
/// Pure data in, pixels out: a series holds one `Spread` per layer (index 0 = layer 1; nil where
/// no run has a finite value). Networks of different depths share the axes, each line as long
/// as its network. A gradient of exactly 0 cannot sit on a log scale: it is drawn as a hollow
/// triangle on the bottom edge and counted in a note.
public struct GradientDepthChart: Sendable {
    /// One combination: its legend label and its per-layer spreads at the two epochs.
    public struct Series: Sendable, Equatable {
        public var label: String
        public var first: [Spread?]
        public var last: [Spread?]

        public init(label: String, first: [Spread?], last: [Spread?]) {
            self.label = label
            self.first = first
            self.last = last
        }
    }

    public var title: String
    /// nil makes one from the series.
    public var subtitle: String?
    public var series: [Series]
    /// The y-axis title: what the value is (`mean |∂E/∂w| per layer`).
    public var valueLabel: String
    /// The two panels' headings.
    public var firstTitle: String
    public var lastTitle: String
    public var notes: [String]

    public init(title: String, series: [Series], valueLabel: String = "gradient", firstTitle: String = "first epoch",
                lastTitle: String = "last epoch", notes: [String] = [], subtitle: String? = nil) {
        self.title = title
        self.series = series
        self.valueLabel = valueLabel
        self.firstTitle = firstTitle
        self.lastTitle = lastTitle
        self.notes = notes
        self.subtitle = subtitle
    }

    /// The colour of series `index` (the same as in the loss comparison).
    public static func color(_ index: Int) -> Color { SeriesColors.color(index) }

    /// The deepest network's layer count.
    var depth: Int { series.map { max($0.first.count, $0.last.count) }.max() ?? 0 }

    /// Every positive finite value drawn (means and band ends), which sets the shared y range.
    var positiveValues: [Double] {
        series.flatMap { s in (s.first + s.last).compactMap { $0 }.flatMap { [$0.mean, $0.minimum, $0.maximum] } }
            .filter { $0.isFinite && $0 > 0 }
    }

    /// Means of exactly 0 (drawn on the bottom edge).
    var zeroMeans: Int { series.reduce(0) { n, s in n + (s.first + s.last).filter { $0?.mean == 0 }.count } }

    var mostRuns: Int { series.flatMap { ($0.first + $0.last).compactMap { $0?.count } }.max() ?? 0 }

    /// "3 combinations × up to 3 seeds  ·  line: mean across seeds, band: min–max  ·  layer 1 = first hidden, last = output".
    public var summary: String {
        var parts = ComparisonStyle.summaryParts(combinations: series.count, mostRuns: mostRuns)
        parts.append("layer 1 = first hidden, last = output")
        return parts.joined(separator: "  ·  ")
    }

    public func render(width: Int = 1000, height: Int = 560) -> RasterImage {
        let canvas = Canvas(width: width, height: height)
        let theme = Theme(width: width, height: height)
        let W = Double(canvas.width)
        let H = Double(canvas.height)
        let top = Layout.drawTitle(title, subtitle: subtitle ?? summary, canvas: canvas, theme: theme, width: W)

        var notes = self.notes
        let zeros = zeroMeans
        if zeros > 0 { notes.append("\(zeros) gradient\(zeros == 1 ? "" : "s") of exactly 0 drawn as △ on the bottom edge") }

        let tickLabelHeight = canvas.lineHeight(size: theme.tickSize)
        let axisTitleHeight = canvas.lineHeight(size: theme.axisTitleSize)
        let headingHeight = canvas.lineHeight(size: theme.axisTitleSize) + theme.pad * 0.4
        let bottomBand = theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4 + axisTitleHeight + theme.pad * 0.7
            + ComparisonStyle.notesHeight(notes, canvas: canvas, theme: theme)
        let plotTop = top + headingHeight
        let plotHeight = max(40, H - plotTop - bottomBand)

        let values = positiveValues
        let ticks = Layout.yTickCount(height: plotHeight, theme: theme)
        var yAxis = Axis.log(dataMin: values.min() ?? 0.1, dataMax: values.max() ?? 1, maxTicks: ticks, padding: 0.08)
        if zeros > 0 {
            // Room under the lowest value for the zero markers: a tenth of the range more.
            let a = log10(yAxis.lower) - 0.1 * (log10(yAxis.upper) - log10(yAxis.lower))
            yAxis = Axis.log(dataMin: pow(10, a), dataMax: yAxis.upper, maxTicks: ticks, padding: 0)
        }

        var entries = series.indices.map { i in
            SideLegend.Entry(label: series[i].label, color: Self.color(i), sample: mostRuns > 1 ? .band : .line(dash: []))
        }
        if zeros > 0 { entries.append(SideLegend.Entry(label: "gradient 0", color: Theme.secondaryText, sample: .marker(.triangle))) }
        let yLabelWidth = Layout.maxWidth(yAxis.labels, canvas: canvas, size: theme.tickSize)
        let left = theme.pad + axisTitleHeight + theme.pad * 0.5 + yLabelWidth + theme.tickLength + 4 * theme.scale
        let legend = SideLegend(entries, maxWidth: W * 0.3, maxHeight: plotHeight + headingHeight, canvas: canvas, theme: theme)
        let right = theme.pad + (entries.isEmpty ? theme.pad * 0.6 : legend.width + theme.pad)
        let gap = theme.pad * 1.6
        let panelWidth = max(20, (W - left - right - gap) / 2)

        let layers = max(depth, 1)
        // Every layer labelled while labels ~28 px apart fit, else every 2nd, 5th, 10th ...
        let fitting = max(1, Int(panelWidth / (28 * theme.scale)))
        let step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].first { layers / $0 <= fitting } ?? 1000
        let layerTicks = stride(from: step == 1 ? 1 : step, through: layers, by: step).map(Double.init)
        let xAxis = Axis(kind: .linear, lower: 0.6, upper: Double(layers) + 0.4, major: layerTicks,
                         labels: layerTicks.map { String(Int($0)) })
        let panels = [
            (Panel(rect: Rect(x: left, y: plotTop, width: panelWidth, height: plotHeight), x: xAxis, y: yAxis), firstTitle, \Series.first),
            (Panel(rect: Rect(x: left + panelWidth + gap, y: plotTop, width: panelWidth, height: plotHeight), x: xAxis, y: yAxis),
             lastTitle, \Series.last),
        ]
        for (panel, heading, path) in panels {
            panel.drawGrid(canvas, theme)
            func pixels(_ spreads: [Spread?], _ value: (Spread) -> Double) -> [Point] {
                spreads.enumerated().map { layer, spread in
                    guard let spread, spread.mean > 0 else { return Point(x: .nan, y: .nan) }
                    // A band end of 0 (one seed's gradient vanished entirely) reaches the floor.
                    let v = value(spread)
                    return panel.point(Double(layer + 1), v > 0 ? v : yAxis.lower)
                }
            }
            canvas.withClip(panel.rect.inset(left: -6, top: -6, right: -6, bottom: -6)) {
                for (i, s) in series.enumerated() {
                    let banded = s[keyPath: path].map { $0.flatMap { $0.count > 1 ? $0 : nil } }
                    ComparisonStyle.fillBand(lower: pixels(banded, \.minimum), upper: pixels(banded, \.maximum),
                                             color: Self.color(i).withAlpha(ComparisonStyle.bandAlpha), canvas: canvas)
                }
                for (i, s) in series.enumerated() {
                    let color = Self.color(i)
                    let line = pixels(s[keyPath: path], \.mean)
                    canvas.polyline(line, color: color, width: theme.lineWidth)
                    for p in line where p.y.isFinite { canvas.circle(center: p, radius: 3.5 * theme.scale, fill: color) }
                    for (layer, spread) in s[keyPath: path].enumerated() where spread?.mean == 0 {
                        let p = Point(x: panel.px(Double(layer + 1)), y: panel.rect.maxY - 6 * theme.scale)
                        canvas.marker(.triangle, at: p, size: 10 * theme.scale, fill: .white, stroke: color, lineWidth: 1.8 * theme.scale)
                    }
                }
            }
            panel.drawFrame(canvas, theme)
            panel.drawYTicks(canvas, theme, labels: panel.rect.minX == left)
            panel.drawXTicks(canvas, theme)
            canvas.text(heading, at: Point(x: panel.rect.midX, y: panel.rect.minY - theme.pad * 0.4), size: theme.axisTitleSize,
                        bold: true, color: Theme.text, align: .center, baseline: .bottom)
            let xTitleY = panel.rect.maxY + theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4
            canvas.text("layer", at: Point(x: panel.rect.midX, y: xTitleY), size: theme.axisTitleSize, color: Theme.text,
                        align: .center, baseline: .top)
            if values.isEmpty && zeros == 0 {
                canvas.text(series.isEmpty ? "no finished runs" : "no finite gradients", at: Point(x: panel.rect.midX, y: panel.rect.midY),
                            size: theme.axisTitleSize, color: Theme.secondaryText, align: .center, baseline: .middle)
            }
        }
        canvas.text(valueLabel + ", log scale", at: Point(x: theme.pad + axisTitleHeight * 0.75, y: plotTop + plotHeight / 2),
                    size: theme.axisTitleSize, color: Theme.text, align: .center, baseline: .baseline, rotation: 90)
        legend.draw(at: Point(x: W - right + theme.pad, y: top), canvas: canvas, theme: theme)
        ComparisonStyle.drawNotes(notes, canvas: canvas, theme: theme, width: W, height: H)
        return canvas.image()
    }
}
