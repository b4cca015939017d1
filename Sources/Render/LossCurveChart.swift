import Foundation

/// Training (and validation) loss per epoch, with optional best-epoch and early-stopping
/// markers, an accuracy panel and a learning-rate strip; all panels share the epoch axis.
///
/// Pure data in, pixels out: series are plain arrays indexed like `epochs`. Non-finite values
/// (and, on a log scale, values <= 0) are skipped and counted in a note under the chart.
public struct LossCurveChart: Sendable {
    public var title: String
    /// A line under the title; nil makes a summary ("N epochs · final train loss ...").
    public var subtitle: String?
    /// The epoch of each entry of the series (1-based); series longer than this are cut.
    public var epochs: [Int]
    public var trainLoss: [Double]
    public var validationLoss: [Double]?
    /// `auto` is log when the positive loss values span more than two decades.
    public var scale: AxisScale
    public var bestEpoch: Int?
    public var earlyStopEpoch: Int?
    /// Accuracies in 0...1; a second panel appears when either has a finite value.
    public var trainAccuracy: [Double]?
    public var validationAccuracy: [Double]?
    /// The learning rate per epoch; a thin strip appears when it takes more than one value.
    public var learningRate: [Double]?
    /// The y-axis title of the loss panel.
    public var lossLabel: String
    /// The summary's "final train loss" and "validation loss": the losses of the final parameters
    /// (what metrics.json's `final_loss` and `val_loss` and the run summary report, which after
    /// restore_best are not the last epoch's values); nil shows the last recorded value.
    public var finalLoss: Double?
    public var finalValidationLoss: Double?

    /// `epochs` defaults to 1...trainLoss.count.
    public init(title: String, epochs: [Int]? = nil, trainLoss: [Double], validationLoss: [Double]? = nil,
                scale: AxisScale = .auto, bestEpoch: Int? = nil, earlyStopEpoch: Int? = nil,
                trainAccuracy: [Double]? = nil, validationAccuracy: [Double]? = nil,
                learningRate: [Double]? = nil, lossLabel: String = "loss", finalLoss: Double? = nil, finalValidationLoss: Double? = nil,
                subtitle: String? = nil) {
        self.title = title
        self.epochs = epochs ?? Array(stride(from: 1, through: trainLoss.count, by: 1))
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.scale = scale
        self.bestEpoch = bestEpoch
        self.earlyStopEpoch = earlyStopEpoch
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
        self.learningRate = learningRate
        self.lossLabel = lossLabel
        self.finalLoss = finalLoss
        self.finalValidationLoss = finalValidationLoss
        self.subtitle = subtitle
    }

    static let trainColor = Theme.palette[0]
    static let validationColor = Theme.palette[1]
    static let bestColor = Theme.palette[2]
    static let stopColor = Theme.palette[3]
    static let rateColor = Theme.palette[4]

    /// The scale the loss panel uses: `linear` or `log` (resolving `auto`, and falling back to
    /// linear when no loss value is positive).
    public var resolvedScale: AxisScale {
        let positive = lossSeries.flatMap { $0.points.map(\.1) }.filter { $0 > 0 && $0.isFinite }
        guard let lo = positive.min(), let hi = positive.max() else { return .linear }
        switch scale {
        case .linear: return .linear
        case .log: return .log
        case .auto: return hi / lo > 100 ? .log : .linear
        }
    }

    /// A named series as (epoch, value) pairs with the count of entries dropped as non-finite.
    struct Series {
        var name: String
        var color: Color
        var points: [(Double, Double)]
        var skipped: Int
    }

    static func series(_ name: String, _ color: Color, epochs: [Int], values: [Double]?) -> Series? {
        guard let values, !values.isEmpty else { return nil }
        var points: [(Double, Double)] = []
        var skipped = 0
        for (i, v) in values.prefix(epochs.count).enumerated() {
            if v.isFinite { points.append((Double(epochs[i]), v)) } else { skipped += 1 }
        }
        return Series(name: name, color: color, points: points, skipped: skipped)
    }

    var lossSeries: [Series] {
        [Self.series("train loss", Self.trainColor, epochs: epochs, values: trainLoss),
         Self.series("validation loss", Self.validationColor, epochs: epochs, values: validationLoss)].compactMap { $0 }
    }

    var accuracySeries: [Series] {
        [Self.series("train accuracy", Self.trainColor, epochs: epochs, values: trainAccuracy),
         Self.series("validation accuracy", Self.validationColor, epochs: epochs, values: validationAccuracy)]
            .compactMap { $0 }.filter { !$0.points.isEmpty }
    }

    var rateSeries: Series? {
        guard let s = Self.series("learning rate", Self.rateColor, epochs: epochs, values: learningRate) else { return nil }
        let values = s.points.map(\.1)
        guard let lo = values.min(), let hi = values.max(), hi > lo else { return nil }
        return s
    }

    /// The default subtitle: "12 epochs  ·  final train loss 0.0123  ·  best epoch 9".
    public var summary: String {
        var parts: [String] = []
        let count = epochs.count
        parts.append(count == 1 ? "1 epoch" : "\(count) epochs")
        let loss = lossSeries
        // The last recorded value as it is (NaN included): a diverged run should say so.
        if let last = finalLoss ?? trainLoss.prefix(count).last { parts.append("final train loss \(NumberFormat.short(last))") }
        if let last = finalValidationLoss ?? validationLoss?.prefix(count).last(where: { !$0.isNaN }) { parts.append("validation loss \(NumberFormat.short(last))") }
        if let best = bestEpoch { parts.append("best epoch \(best)") }
        if let stop = earlyStopEpoch { parts.append("stopped early at epoch \(stop)") }
        return parts.joined(separator: "  ·  ")
    }

    public func render(width: Int = 1000, height: Int = 640) -> RasterImage {
        let canvas = Canvas(width: width, height: height)
        let theme = Theme(width: width, height: height)
        let W = Double(canvas.width)
        let H = Double(canvas.height)
        let top = Layout.drawTitle(title, subtitle: subtitle ?? summary, canvas: canvas, theme: theme, width: W)

        var loss = lossSeries
        let logScale = resolvedScale == .log
        var skipped = loss.reduce(0) { $0 + $1.skipped }
        var nonPositive = 0
        if logScale {
            for i in loss.indices {
                let before = loss[i].points.count
                loss[i].points.removeAll { $0.1 <= 0 }
                nonPositive += before - loss[i].points.count
            }
        }
        let accuracy = accuracySeries
        let rate = rateSeries
        skipped += accuracy.reduce(0) { $0 + $1.skipped }

        // Vertical layout: title | loss panel | accuracy panel | rate strip | x labels + title | note.
        let tickLabelHeight = canvas.lineHeight(size: theme.tickSize)
        let axisTitleHeight = canvas.lineHeight(size: theme.axisTitleSize)
        let notes = noteText(skipped: skipped, nonPositive: nonPositive)
        let noteHeight = notes.isEmpty ? 0 : canvas.lineHeight(size: theme.noteSize) + 4 * theme.scale
        let bottomBand = theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4 + axisTitleHeight + theme.pad * 0.7 + noteHeight
        let gap = theme.pad * 1.1
        let available = max(40, H - top - bottomBand)
        let rateHeight = rate == nil ? 0 : max(44 * theme.scale, available * 0.13)
        let afterRate = available - rateHeight - (rate == nil ? 0 : gap)
        let accuracyHeight = accuracy.isEmpty ? 0 : (afterRate - gap) * 0.34
        let lossHeight = afterRate - accuracyHeight - (accuracy.isEmpty ? 0 : gap)

        // y axes first: their label widths decide the left margin.
        let lossValues = loss.flatMap { $0.points.map(\.1) }
        let lossAxis: Axis
        if logScale, let lo = lossValues.min(), let hi = lossValues.max() {
            lossAxis = Axis.log(dataMin: lo, dataMax: hi, maxTicks: Layout.yTickCount(height: lossHeight, theme: theme))
        } else {
            let lo = min(0, lossValues.min() ?? 0)
            let hi = lossValues.max() ?? 1
            // Losses are usually >= 0: start the axis at 0 unless the data are far from it.
            let nearZero = lo >= 0 && (lossValues.min() ?? 0) < 0.6 * hi
            let dataMin = nearZero ? 0 : (lossValues.min() ?? 0)
            let axis = Axis.linear(dataMin: dataMin, dataMax: hi, maxTicks: Layout.yTickCount(height: lossHeight, theme: theme))
            lossAxis = nearZero && hi > 0 ? Axis.fixed(lower: 0, upper: axis.upper, maxTicks: Layout.yTickCount(height: lossHeight, theme: theme)) : axis
        }
        let accuracyAxis = accuracyAxisFor(accuracy, height: accuracyHeight, theme: theme)
        let rateAxis = rateAxisFor(rate, height: rateHeight, theme: theme)

        let yLabelWidth = [lossAxis.labels, accuracy.isEmpty ? [] : accuracyAxis.labels, rate == nil ? [] : rateAxis.labels]
            .map { Layout.maxWidth($0, canvas: canvas, size: theme.tickSize) }.max() ?? 0
        let left = theme.pad + axisTitleHeight + theme.pad * 0.5 + yLabelWidth + theme.tickLength + 4 * theme.scale
        let right = theme.pad * 1.6
        let plotWidth = max(20, W - left - right)

        // x axis: epochs, tight to the data, integer ticks.
        // Every recorded epoch counts, finite or not, so a run that ends in NaN shows its full length.
        let recorded = max(trainLoss.count, validationLoss?.count ?? 0, trainAccuracy?.count ?? 0, learningRate?.count ?? 0)
        let allEpochs = epochs.prefix(recorded).map(Double.init) + [bestEpoch, earlyStopEpoch].compactMap { $0.map(Double.init) }
        let firstEpoch = allEpochs.min() ?? 1
        let lastEpoch = allEpochs.max() ?? 1
        let xAxis = Layout.fitXAxis(width: plotWidth, canvas: canvas, theme: theme) { count in
            if lastEpoch > firstEpoch {
                return Axis.fixed(lower: firstEpoch, upper: lastEpoch, maxTicks: count, integer: true)
            }
            return Axis.fixed(lower: firstEpoch - 1, upper: firstEpoch + 1, maxTicks: 2, integer: true)
        }

        var panels: [(panel: Panel, title: String)] = []
        var y = top
        let lossPanel = Panel(rect: Rect(x: left, y: y, width: plotWidth, height: lossHeight), x: xAxis, y: lossAxis)
        panels.append((lossPanel, lossLabel + (logScale ? ", log scale" : "")))
        y += lossHeight + gap
        var accuracyPanel: Panel?
        if !accuracy.isEmpty {
            let p = Panel(rect: Rect(x: left, y: y, width: plotWidth, height: accuracyHeight), x: xAxis, y: accuracyAxis)
            panels.append((p, "accuracy"))
            accuracyPanel = p
            y += accuracyHeight + gap
        }
        var ratePanel: Panel?
        if rate != nil {
            let p = Panel(rect: Rect(x: left, y: y, width: plotWidth, height: rateHeight), x: xAxis, y: rateAxis)
            panels.append((p, "lr"))
            ratePanel = p
        }

        for (panel, _) in panels { panel.drawGrid(canvas, theme) }

        // Vertical markers behind the data, across every panel.
        let markers = [(bestEpoch, Self.bestColor, "best"), (earlyStopEpoch, Self.stopColor, "early stop")]
            .compactMap { m -> (Int, Color, String)? in m.0.map { ($0, m.1, m.2) } }
        for (epoch, color, _) in markers {
            for (panel, _) in panels {
                let xx = Canvas.crisp(panel.px(Double(epoch)))
                canvas.line(from: Point(x: xx, y: panel.rect.minY), to: Point(x: xx, y: panel.rect.maxY),
                            color: color, width: 1.5 * theme.scale, dash: [6 * theme.scale, 4 * theme.scale])
            }
        }

        var lossPixels: [Point] = []
        draw(loss, in: lossPanel, canvas: canvas, theme: theme, collect: &lossPixels)
        if let accuracyPanel {
            var ignored: [Point] = []
            draw(accuracy, in: accuracyPanel, canvas: canvas, theme: theme, collect: &ignored)
        }
        if let ratePanel, let rate {
            var ignored: [Point] = []
            // A rate holds for a whole epoch: draw it as steps (value i until epoch i+1).
            var steps = rate
            steps.points = zip(rate.points, rate.points.dropFirst()).flatMap { [$0, ($1.0, $0.1)] } + (rate.points.last.map { [$0] } ?? [])
            draw([steps], in: ratePanel, canvas: canvas, theme: theme, collect: &ignored, markers: false)
        }

        // The best epoch's value, ringed on the validation curve (or the training curve).
        if let best = bestEpoch, let series = loss.last, let hit = series.points.first(where: { Int($0.0) == best }) {
            let p = lossPanel.point(hit.0, hit.1)
            canvas.circle(center: p, radius: 5.5 * theme.scale, fill: nil, stroke: Self.bestColor, lineWidth: 2 * theme.scale)
            lossPixels.append(p)
        }

        for (panel, _) in panels { panel.drawFrame(canvas, theme) }
        for (index, (panel, _)) in panels.enumerated() {
            panel.drawYTicks(canvas, theme)
            panel.drawXTicks(canvas, theme, labels: index == panels.count - 1)
        }
        for (panel, name) in panels {
            canvas.text(name, at: Point(x: theme.pad + axisTitleHeight * 0.75, y: panel.rect.midY), size: theme.axisTitleSize,
                        color: Theme.text, align: .center, baseline: .baseline, rotation: 90)
        }
        let bottomPanel = panels[panels.count - 1].panel
        let xTitleY = bottomPanel.rect.maxY + theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4
        canvas.text("epoch", at: Point(x: bottomPanel.rect.midX, y: xTitleY), size: theme.axisTitleSize, color: Theme.text,
                    align: .center, baseline: .top)

        drawMarkerLabels(markers, panel: lossPanel, canvas: canvas, theme: theme, avoid: &lossPixels)

        if lossValues.isEmpty {
            canvas.text("no finite loss values", at: Point(x: lossPanel.rect.midX, y: lossPanel.rect.midY), size: theme.axisTitleSize,
                        color: Theme.secondaryText, align: .center, baseline: .middle)
        } else {
            let entries = loss.map { LegendEntry(label: $0.name, color: $0.color, sample: .line(dash: [])) }
            Legend.draw(entries, in: lossPanel.rect, avoid: lossPixels, canvas: canvas, theme: theme)
        }
        if let accuracyPanel {
            let entries = accuracy.map { LegendEntry(label: $0.name, color: $0.color, sample: .line(dash: [])) }
            let pixels = accuracy.flatMap { s in s.points.map { accuracyPanel.point($0.0, $0.1) } }
            Legend.draw(entries, in: accuracyPanel.rect, avoid: pixels, canvas: canvas, theme: theme)
        }
        if !notes.isEmpty {
            canvas.text(notes, at: Point(x: theme.pad, y: H - theme.pad * 0.6), size: theme.noteSize, color: Theme.secondaryText,
                        baseline: .bottom)
        }
        return canvas.image()
    }

    private func noteText(skipped: Int, nonPositive: Int) -> String {
        var parts: [String] = []
        if skipped > 0 { parts.append("\(skipped) non-finite value\(skipped == 1 ? "" : "s") (NaN or inf) not drawn") }
        if nonPositive > 0 { parts.append("\(nonPositive) value\(nonPositive == 1 ? "" : "s") <= 0 not drawn on the log scale") }
        return parts.joined(separator: "; ")
    }

    private func accuracyAxisFor(_ series: [Series], height: Double, theme: Theme) -> Axis {
        let values = series.flatMap { $0.points.map(\.1) }
        let lo = min(0, values.min() ?? 0)
        let hi = max(1, values.max() ?? 1)
        let count = max(2, min(5, Layout.yTickCount(height: height, theme: theme)))
        let span = hi - lo
        return Axis.fixed(lower: lo - 0.04 * span, upper: hi + 0.04 * span, maxTicks: count)
    }

    private func rateAxisFor(_ series: Series?, height: Double, theme: Theme) -> Axis {
        let values = series?.points.map(\.1) ?? []
        guard let lo = values.min(), let hi = values.max() else { return Axis.fixed(lower: 0, upper: 1, maxTicks: 2) }
        // The strip is thin: label the smallest and largest rate only.
        var axis = lo > 0 && hi / lo > 10
            ? Axis.log(dataMin: lo, dataMax: hi, maxTicks: 2, padding: 0.15)
            : Axis.linear(dataMin: lo, dataMax: hi, maxTicks: 2, padding: 0.15)
        axis.major = [lo, hi]
        axis.labels = [NumberFormat.short(lo, significant: 3), NumberFormat.short(hi, significant: 3)]
        axis.minor = []
        return axis
    }

    /// Draws each series as a polyline (decimated when denser than the pixels), with dots
    /// when there are few points (a single point is only a dot).
    private func draw(_ series: [Series], in panel: Panel, canvas: Canvas, theme: Theme, collect: inout [Point], markers: Bool = true) {
        canvas.withClip(panel.rect.inset(left: -3, top: -3, right: -3, bottom: -3)) {
            for s in series {
                let pixels = s.points.map { panel.point($0.0, $0.1) }
                canvas.polyline(Layout.decimate(pixels), color: s.color, width: theme.lineWidth)
                if markers && pixels.count <= 40 {
                    for p in pixels { canvas.circle(center: p, radius: 3 * theme.scale, fill: s.color) }
                } else if pixels.count == 1 {
                    canvas.circle(center: pixels[0], radius: 3 * theme.scale, fill: s.color)
                }
                collect.append(contentsOf: pixels.count > 400 ? stride(from: 0, to: pixels.count, by: pixels.count / 400).map { pixels[$0] } : pixels)
            }
        }
    }

    /// "best 812" / "early stop 900" near the top of the loss panel, beside their lines;
    /// flipped to the left of the line near the right edge, stacked when they would collide.
    private func drawMarkerLabels(_ markers: [(Int, Color, String)], panel: Panel, canvas: Canvas, theme: Theme, avoid: inout [Point]) {
        var placed: [Rect] = []
        for (epoch, color, name) in markers {
            let label = "\(name) \(epoch)"
            let w = canvas.textWidth(label, size: theme.noteSize, bold: true)
            let h = canvas.lineHeight(size: theme.noteSize)
            let x = panel.px(Double(epoch))
            var rect = Rect(x: x + 5 * theme.scale, y: panel.rect.minY + 5 * theme.scale, width: w + 6 * theme.scale, height: h)
            if rect.maxX > panel.rect.maxX - 2 { rect.x = x - 5 * theme.scale - rect.width }
            while placed.contains(where: { $0.x < rect.maxX && rect.x < $0.maxX && $0.y < rect.maxY && rect.y < $0.maxY }) {
                rect.y += h + 2 * theme.scale
            }
            placed.append(rect)
            canvas.fillRect(rect, color: Color.white.withAlpha(0.85))
            canvas.text(label, at: Point(x: rect.x + 3 * theme.scale, y: rect.midY), size: theme.noteSize, bold: true, color: color, baseline: .middle)
            avoid.append(contentsOf: [Point(x: rect.minX, y: rect.minY), Point(x: rect.maxX, y: rect.maxY), Point(x: rect.midX, y: rect.midY)])
        }
    }
}
