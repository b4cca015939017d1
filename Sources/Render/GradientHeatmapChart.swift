import Foundation

/// The weight gradient of one layer at two moments, for the matrix panels of
/// `GradientHeatmapChart`. Matrices use the seed's orientation: `first[j][k]` is ∂E/∂w^l_jk,
/// from unit j of layer l-1 (rows) to unit k of layer l (columns).
public struct LayerGradientMatrices: Sendable {
    /// 1-based layer number l.
    public var layer: Int
    public var firstEpoch: Int
    public var first: [[Double]]
    public var lastEpoch: Int
    public var last: [[Double]]

    public init(layer: Int, firstEpoch: Int, first: [[Double]], lastEpoch: Int, last: [[Double]]) {
        self.layer = layer
        self.firstEpoch = firstEpoch
        self.first = first
        self.lastEpoch = lastEpoch
        self.last = last
    }
}

/// Layers x epochs heatmap of the mean |∂E/∂W| of each layer on a log colour scale (viridis),
/// layer 1 (nearest the input) at the bottom, so vanishing or exploding gradients stand out;
/// optionally followed by each layer's ∂E/∂W matrix at the first and last epoch on a diverging
/// map centred on zero.
///
/// Zero, NaN and infinite values are drawn grey and named in a legend entry.
public struct GradientHeatmapChart: Sendable {
    public var title: String
    /// A line under the title; nil makes a summary of the layer-1 to layer-L ratio.
    public var subtitle: String?
    /// The epoch of each column (1-based), evenly spaced.
    public var epochs: [Int]
    /// `values[l][i]`: mean |∂E/∂W| of layer l+1 at `epochs[i]`.
    public var values: [[Double]]
    /// Row labels, bottom (layer 1) first; nil gives "layer 1" ... "layer L".
    public var layerNames: [String]?
    /// Matrix panels, one pair per entry; empty draws the heatmap alone.
    public var matrices: [LayerGradientMatrices]

    /// `epochs` defaults to 1...(longest row).
    public init(title: String, epochs: [Int]? = nil, values: [[Double]], layerNames: [String]? = nil,
                matrices: [LayerGradientMatrices] = [], subtitle: String? = nil) {
        self.title = title
        let columns = values.map(\.count).max() ?? 0
        self.epochs = epochs ?? Array(stride(from: 1, through: columns, by: 1))
        self.values = values
        self.layerNames = layerNames
        self.matrices = matrices
        self.subtitle = subtitle
    }

    /// 640 for the heatmap alone; with matrix panels, room for a heatmap of at least 360 px
    /// plus the panels at their natural size on a 1000 px wide image (at least 960, at most
    /// 2000), so a deep network's panels are not squeezed into unreadable stamps.
    public var preferredHeight: Int {
        guard !matrices.isEmpty else { return 640 }
        let canvas = Canvas(width: 1, height: 1)
        let theme = Theme(width: 1000, height: 640)
        let band = MatrixPanels(matrices: matrices).preferredHeight(width: 1000 - 2 * theme.pad, canvas: canvas, theme: theme)
        let chrome = 190 * theme.scale
        return Int(min(2000, max(960, (chrome + 360 + band).rounded(.up))))
    }

    static let colorBarTitle = "mean |∂E/∂W|"

    var layerCount: Int { values.count }
    var columnCount: Int { epochs.count }

    /// The cell value, NaN where a row is shorter than `epochs`.
    func value(layer: Int, column: Int) -> Double {
        column < values[layer].count ? values[layer][column] : .nan
    }

    /// log10 range of the positive finite values, nil when there are none.
    var logRange: (Double, Double)? {
        var lo = Double.infinity
        var hi = -Double.infinity
        for row in values {
            for v in row.prefix(columnCount) where v.isFinite && v > 0 {
                lo = min(lo, log10(v))
                hi = max(hi, log10(v))
            }
        }
        guard lo.isFinite, hi.isFinite else { return nil }
        return hi > lo ? (lo, hi) : (lo - 0.5, hi + 0.5)
    }

    var summary: String {
        var parts = ["\(layerCount) layer\(layerCount == 1 ? "" : "s")", "\(columnCount) epoch\(columnCount == 1 ? "" : "s")"]
        if layerCount > 1, columnCount > 0 {
            let first = value(layer: 0, column: columnCount - 1)
            let top = value(layer: layerCount - 1, column: columnCount - 1)
            if first.isFinite, top.isFinite, first > 0, top > 0 {
                parts.append("last epoch: layer 1 / layer \(layerCount) = \(NumberFormat.short(first / top, significant: 3))")
            }
        }
        return parts.joined(separator: "  ·  ")
    }

    public func render(width: Int = 1000, height: Int = 640) -> RasterImage {
        let canvas = Canvas(width: width, height: height)
        let theme = Theme(width: width, height: height)
        let W = Double(canvas.width)
        let H = Double(canvas.height)
        let top = Layout.drawTitle(title, subtitle: subtitle ?? summary, canvas: canvas, theme: theme, width: W)

        let tickLabelHeight = canvas.lineHeight(size: theme.tickSize)
        let axisTitleHeight = canvas.lineHeight(size: theme.axisTitleSize)
        let xBand = theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4 + axisTitleHeight + theme.pad * 0.6
        let available = H - top - theme.pad * 0.5
        // The matrices take what they need (square cells), leaving the heatmap at least 40%.
        let matrixBand = matrices.isEmpty ? 0
            : min(available * 0.6, MatrixPanels(matrices: matrices).preferredHeight(width: W - 2 * theme.pad, canvas: canvas, theme: theme) + theme.pad * 0.4)
        let heatHeight = max(30, available - matrixBand - xBand)

        // Colour scale: log10 of the positive finite values.
        let range = logRange
        let (lo, hi) = range ?? (-1, 0)
        let barTicks = LogScale.ticks(min: pow(10, lo), max: pow(10, hi), maxCount: Layout.yTickCount(height: heatHeight, theme: theme))
        let barLabels = barTicks.major.map(NumberFormat.logLabel)

        let names = (0..<layerCount).map { i in
            if let layerNames, i < layerNames.count { return layerNames[i] }
            return "layer \(i + 1)"
        }
        let rowLabelEvery = max(1, Int((Double(layerCount) * tickLabelHeight * 1.3 / heatHeight).rounded(.up)))
        let left = theme.pad + Layout.maxWidth(names, canvas: canvas, size: theme.tickSize) + theme.tickLength + 6 * theme.scale
        let barWidth = 18 * theme.scale
        let right = theme.pad * 1.6 + barWidth + theme.tickLength + 4 * theme.scale
            + Layout.maxWidth(barLabels, canvas: canvas, size: theme.tickSize) + theme.pad * 0.6 + axisTitleHeight + theme.pad * 0.5
        let heatRect = Rect(x: left, y: top, width: max(20, W - left - right), height: heatHeight)

        // x axis over cell edges: column i covers epochs[i] ± half the spacing.
        let firstEpoch = Double(epochs.first ?? 1)
        let lastEpoch = Double(epochs.last ?? 1)
        let spacing = columnCount > 1 ? (lastEpoch - firstEpoch) / Double(columnCount - 1) : 1
        let xAxis = Layout.fitXAxis(width: heatRect.width, canvas: canvas, theme: theme) { count in
            let axis = Axis.fixed(lower: firstEpoch - spacing / 2, upper: lastEpoch + spacing / 2, maxTicks: count, integer: true)
            return axis.major.isEmpty ? Axis.fixed(lower: firstEpoch - 0.5, upper: firstEpoch + 0.5, maxTicks: 1, integer: true) : axis
        }
        let yAxis = Axis(kind: .linear, lower: 0, upper: Double(max(1, layerCount)), major: [], labels: [])
        let panel = Panel(rect: heatRect, x: xAxis, y: yAxis)

        var anyMissing = false
        if layerCount > 0 && columnCount > 0 {
            let (image, missing) = heatImage(lo: lo, hi: hi, maxColumns: max(1, Int(heatRect.width)))
            anyMissing = missing
            canvas.drawImage(image, in: heatRect)
        } else {
            canvas.fillRect(heatRect, color: Theme.missing.withAlpha(0.3))
            canvas.text("no gradient values", at: Point(x: heatRect.midX, y: heatRect.midY), size: theme.axisTitleSize,
                        color: Theme.secondaryText, align: .center, baseline: .middle)
        }
        // Thin white lines between layers keep rows apart when neighbours have similar colours.
        if layerCount > 1 && heatHeight / Double(layerCount) >= 6 {
            for i in 1..<layerCount {
                let yy = heatRect.maxY - heatHeight * Double(i) / Double(layerCount)
                canvas.line(from: Point(x: heatRect.minX, y: yy), to: Point(x: heatRect.maxX, y: yy), color: .white, width: max(1, theme.scale))
            }
        }
        panel.drawFrame(canvas, theme)
        panel.drawXTicks(canvas, theme)
        for i in stride(from: 0, to: layerCount, by: rowLabelEvery) {
            let cy = heatRect.maxY - heatHeight * (Double(i) + 0.5) / Double(layerCount)
            canvas.line(from: Point(x: heatRect.minX - theme.tickLength, y: Canvas.crisp(cy)), to: Point(x: heatRect.minX, y: Canvas.crisp(cy)),
                        color: Theme.spine, width: max(1, theme.scale.rounded()))
            canvas.text(names[i], at: Point(x: heatRect.minX - theme.tickLength - 4 * theme.scale, y: cy), size: theme.tickSize,
                        color: Theme.text, align: .right, baseline: .middle)
        }
        let xTitleY = heatRect.maxY + theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4
        canvas.text("epoch", at: Point(x: heatRect.midX, y: xTitleY), size: theme.axisTitleSize, color: Theme.text, align: .center, baseline: .top)

        // Colour bar: viridis from bottom (smallest) to top, log-spaced tick labels.
        let barRect = Rect(x: heatRect.maxX + theme.pad * 1.6, y: heatRect.minY, width: barWidth, height: heatHeight)
        drawColorBar(in: barRect, lo: lo, hi: hi, ticks: barTicks, labels: barLabels, canvas: canvas, theme: theme)
        let labelsWidth = Layout.maxWidth(barLabels, canvas: canvas, size: theme.tickSize)
        canvas.text(Self.colorBarTitle, at: Point(x: barRect.maxX + theme.tickLength + 4 * theme.scale + labelsWidth + theme.pad * 0.6 + axisTitleHeight * 0.75,
                                                   y: barRect.midY),
                    size: theme.axisTitleSize, color: Theme.text, align: .center, rotation: 90)

        if anyMissing || (range == nil && layerCount > 0 && columnCount > 0) {
            let note = "zero, NaN or inf"
            let s = 11 * theme.scale
            let w = canvas.textWidth(note, size: theme.noteSize)
            let x = heatRect.maxX - w - s - 6 * theme.scale
            let y = xTitleY + canvas.capHeight(size: theme.axisTitleSize) / 2
            canvas.fillRect(Rect(x: x, y: y - s / 2, width: s, height: s), color: Theme.missing)
            canvas.strokeRect(Rect(x: x, y: y - s / 2, width: s, height: s), color: Color(hex: 0x888888), lineWidth: 0.8)
            canvas.text(note, at: Point(x: x + s + 6 * theme.scale, y: y), size: theme.noteSize, color: Theme.secondaryText, baseline: .middle)
        }

        if !matrices.isEmpty {
            let band = Rect(x: theme.pad, y: heatRect.maxY + xBand + theme.pad * 0.4, width: W - 2 * theme.pad,
                            height: max(40, H - (heatRect.maxY + xBand + theme.pad * 0.4) - theme.pad * 0.5))
            MatrixPanels(matrices: matrices).draw(in: band, canvas: canvas, theme: theme)
        }
        return canvas.image()
    }

    /// The heatmap as an image, one pixel per (layer, column bin), top row = last layer.
    /// More columns than `maxColumns` are merged into bins by the geometric mean of their
    /// positive finite values. Returns whether any cell is drawn as missing.
    func heatImage(lo: Double, hi: Double, maxColumns: Int) -> (RasterImage, Bool) {
        let bins = min(columnCount, maxColumns)
        var image = RasterImage(width: bins, height: layerCount)
        var missing = false
        for layer in 0..<layerCount {
            for bin in 0..<bins {
                let start = bin * columnCount / bins
                let end = max(start + 1, (bin + 1) * columnCount / bins)
                var sum = 0.0
                var count = 0
                for c in start..<end {
                    let v = value(layer: layer, column: c)
                    if v.isFinite && v > 0 {
                        sum += log10(v)
                        count += 1
                    }
                }
                let color: Color
                if count == 0 {
                    color = Theme.missing
                    missing = true
                } else {
                    if count < end - start { missing = true }
                    color = ColorMap.viridis((sum / Double(count) - lo) / (hi - lo))
                }
                image.setPixel(x: bin, y: layerCount - 1 - layer, color.rgba)
            }
        }
        return (image, missing)
    }

    private func drawColorBar(in rect: Rect, lo: Double, hi: Double, ticks: (major: [Double], minor: [Double]), labels: [String],
                              canvas: Canvas, theme: Theme) {
        let steps = max(2, Int(rect.height))
        var strip = RasterImage(width: 1, height: steps)
        for i in 0..<steps {
            strip.setPixel(x: 0, y: i, ColorMap.viridis(1 - (Double(i) + 0.5) / Double(steps)).rgba)
        }
        canvas.drawImage(strip, in: rect)
        let barPanel = Panel(rect: rect, x: Axis.fixed(lower: 0, upper: 1, maxTicks: 1),
                             y: Axis(kind: .log, lower: pow(10, lo), upper: pow(10, hi), major: ticks.major, labels: labels, minor: ticks.minor))
        barPanel.drawFrame(canvas, theme)
        let w = max(1, theme.scale.rounded())
        for v in ticks.minor {
            let yy = Canvas.crisp(barPanel.py(v))
            canvas.line(from: Point(x: rect.maxX, y: yy), to: Point(x: rect.maxX + theme.tickLength * 0.6, y: yy), color: Theme.spine, width: w)
        }
        for (i, v) in ticks.major.enumerated() {
            let yy = Canvas.crisp(barPanel.py(v))
            canvas.line(from: Point(x: rect.maxX, y: yy), to: Point(x: rect.maxX + theme.tickLength, y: yy), color: Theme.spine, width: w)
            canvas.text(labels[i], at: Point(x: rect.maxX + theme.tickLength + 4 * theme.scale, y: barPanel.py(v)), size: theme.tickSize,
                        color: Theme.text, baseline: .middle)
        }
    }
}

/// The small-multiples row of ∂E/∂W matrices: per layer, the first and last epoch side by
/// side, each on the diverging map with its own symmetric colour bar.
struct MatrixPanels {
    var matrices: [LayerGradientMatrices]

    private struct Item {
        var title: String
        var matrix: [[Double]]
        var layer: Int
        var rows: Int { matrix.count }
        var columns: Int { matrix.map(\.count).max() ?? 0 }
    }

    /// Two panels per layer, or one when the first epoch is also the last.
    private var items: [Item] {
        matrices.flatMap { m in
            let first = Item(title: "layer \(m.layer) · epoch \(m.firstEpoch)", matrix: m.first, layer: m.layer)
            guard m.lastEpoch != m.firstEpoch else { return [first] }
            return [first, Item(title: "layer \(m.layer) · epoch \(m.lastEpoch)", matrix: m.last, layer: m.layer)]
        }
    }

    /// Panels per row: as many as fit at ~190 px each, kept even so a layer's pair shares a row.
    private func columns(width: Double, theme: Theme) -> Int {
        let count = items.count
        var columns = max(1, min(count, Int(width / (190 * theme.scale))))
        if columns > 1 && columns % 2 == 1 && columns < count { columns -= 1 }
        return columns
    }

    /// Margins around a matrix inside its panel: title above; row labels and "j" left; column
    /// labels and "k" below; the colour bar and its labels right.
    private func rooms(_ item: Item, canvas: Canvas, theme: Theme) -> (left: Double, right: Double, top: Double, bottom: Double) {
        let small = theme.tickSize * 0.9
        let labelHeight = canvas.lineHeight(size: small)
        let rowLabelWidth = Layout.maxWidth(Self.indexTicks(item.rows).map(String.init), canvas: canvas, size: small)
        let barLabelWidth = Layout.maxWidth(["-" + Self.limitLabel(item.matrix), "0"], canvas: canvas, size: small)
        return (labelHeight + 2 * theme.scale + rowLabelWidth + 4 * theme.scale,
                17 * theme.scale + barLabelWidth,
                canvas.lineHeight(size: theme.legendSize, bold: true) + 4 * theme.scale,
                labelHeight * 2 + 6 * theme.scale)
    }

    /// Side of one matrix cell when the panel is `width` wide: square cells, at most 64 px
    /// (so a 2x2 matrix stays a compact table) and at most 210 px for the whole matrix.
    private func side(_ item: Item, width: Double, canvas: Canvas, theme: Theme) -> Double {
        let room = rooms(item, canvas: canvas, theme: theme)
        let byWidth = (width - room.left - room.right) / Double(max(1, item.columns))
        let bySize = 210 * theme.scale / Double(max(1, item.rows, item.columns))
        return max(2, min(byWidth, bySize, 64 * theme.scale))
    }

    /// The band height the panels would like at `width`.
    func preferredHeight(width: Double, canvas: Canvas, theme: Theme) -> Double {
        rowHeights(width: width, canvas: canvas, theme: theme).reduce(0, +)
    }

    private func rowHeights(width: Double, canvas: Canvas, theme: Theme) -> [Double] {
        let all = items
        let columns = self.columns(width: width, theme: theme)
        let cellWidth = min(width / Double(columns), 320 * theme.scale)
        var heights: [Double] = []
        for start in stride(from: 0, to: all.count, by: columns) {
            let row = all[start..<min(all.count, start + columns)]
            heights.append(row.map { item in
                let room = rooms(item, canvas: canvas, theme: theme)
                return room.top + side(item, width: cellWidth, canvas: canvas, theme: theme) * Double(max(1, item.rows)) + room.bottom + theme.pad * 0.6
            }.max() ?? 0)
        }
        return heights
    }

    func draw(in band: Rect, canvas: Canvas, theme: Theme) {
        let all = items
        guard !all.isEmpty else { return }
        let columns = self.columns(width: band.width, theme: theme)
        // Panels no wider than 320 px, the grid centred, so a lone pair stays together.
        let cellW = min(band.width / Double(columns), 320 * theme.scale)
        let x0 = band.x + (band.width - cellW * Double(columns)) / 2
        var heights = rowHeights(width: band.width, canvas: canvas, theme: theme)
        let total = heights.reduce(0, +)
        if total > band.height { heights = heights.map { $0 * band.height / total } }
        var y = band.y
        for (r, rowHeight) in heights.enumerated() {
            // A short last row is centred under the full ones.
            let inRow = min(columns, all.count - r * columns)
            let rowX = x0 + cellW * Double(columns - inRow) / 2
            for c in 0..<inRow {
                let i = r * columns + c
                let cell = Rect(x: rowX + Double(c) * cellW, y: y, width: cellW, height: rowHeight)
                drawPanel(all[i], in: cell.inset(left: 4 * theme.scale, right: 4 * theme.scale), canvas: canvas, theme: theme)
            }
            y += rowHeight
        }
    }

    static func limit(_ matrix: [[Double]]) -> Double {
        let largest = matrix.flatMap { $0 }.filter(\.isFinite).map(abs).max() ?? 0
        return largest > 0 ? largest : 1
    }

    static func limitLabel(_ matrix: [[Double]]) -> String {
        NumberFormat.short(limit(matrix), significant: 2)
    }

    private func drawPanel(_ item: Item, in cell: Rect, canvas: Canvas, theme: Theme) {
        let small = theme.tickSize * 0.9
        let rows = item.rows
        let cols = item.columns
        canvas.text(Layout.ellipsized(item.title, maxWidth: cell.width, canvas: canvas, size: theme.legendSize, bold: true),
                    at: Point(x: cell.midX, y: cell.minY + canvas.capHeight(size: theme.legendSize, bold: true)),
                    size: theme.legendSize, bold: true, color: Theme.text, align: .center)
        guard rows > 0, cols > 0 else {
            canvas.text("empty", at: Point(x: cell.midX, y: cell.midY), size: small, color: Theme.secondaryText, align: .center, baseline: .middle)
            return
        }
        let room = rooms(item, canvas: canvas, theme: theme)
        let labelHeight = canvas.lineHeight(size: small)
        let limit = Self.limit(item.matrix)
        let limitLabel = Self.limitLabel(item.matrix)
        let fitHeight = (cell.height - room.top - room.bottom) / Double(rows)
        let side = max(1, min(self.side(item, width: cell.width, canvas: canvas, theme: theme), fitHeight))
        let mw = side * Double(cols)
        let mh = side * Double(rows)
        // Centred horizontally in the room left between labels and colour bar; top-aligned.
        let areaW = cell.width - room.left - room.right
        let mx = (cell.minX + room.left + max(0, areaW - mw) / 2).rounded()
        let my = (cell.minY + room.top).rounded()
        let rect = Rect(x: mx, y: my, width: mw, height: mh)

        var image = RasterImage(width: cols, height: rows)
        for j in 0..<rows {
            for k in 0..<cols {
                let v = k < item.matrix[j].count ? item.matrix[j][k] : .nan
                image.setPixel(x: k, y: j, (v.isFinite ? ColorMap.diverging(value: v, limit: limit) : Theme.missing).rgba)
            }
        }
        canvas.drawImage(image, in: rect)
        if side >= 10 {
            for k in 1..<max(1, cols) {
                let xx = mx + side * Double(k)
                canvas.line(from: Point(x: xx, y: my), to: Point(x: xx, y: rect.maxY), color: .white, width: 1)
            }
            for j in 1..<max(1, rows) {
                let yy = my + side * Double(j)
                canvas.line(from: Point(x: mx, y: yy), to: Point(x: rect.maxX, y: yy), color: .white, width: 1)
            }
        }
        // Values in the cells when they are big enough to read (the seed's 2x2 matrices).
        let valueSize = min(small, side / 4.6)
        if valueSize >= 8.5 {
            for j in 0..<rows {
                for k in 0..<cols {
                    let v = k < item.matrix[j].count ? item.matrix[j][k] : .nan
                    let fill = v.isFinite ? ColorMap.diverging(value: v, limit: limit) : Theme.missing
                    let label = NumberFormat.short(v, significant: 3)
                    guard canvas.textWidth(label, size: valueSize) < side - 4 else { continue }
                    canvas.text(label, at: Point(x: mx + side * (Double(k) + 0.5), y: my + side * (Double(j) + 0.5)), size: valueSize,
                                color: fill.textColor, align: .center, baseline: .middle)
                }
            }
        }
        canvas.strokeRect(Rect(x: Canvas.crisp(mx), y: Canvas.crisp(my), width: mw.rounded(), height: mh.rounded()), color: Theme.spine, lineWidth: 1)

        // Index labels no closer than a line height (rows) or the widest label plus a gap
        // (columns), so "1 5 10 15" never runs together under a small matrix.
        let rowLabels = Self.indexTicks(rows, cell: side, minGap: labelHeight * 1.05)
        let columnGap = canvas.textWidth(String(cols), size: small) + 5 * theme.scale
        let rowLabelWidth = Layout.maxWidth(rowLabels.map(String.init), canvas: canvas, size: small)
        for j in rowLabels {
            canvas.text(String(j), at: Point(x: mx - 4 * theme.scale, y: my + side * (Double(j) - 0.5)), size: small, color: Theme.text,
                        align: .right, baseline: .middle)
        }
        for k in Self.indexTicks(cols, cell: side, minGap: columnGap) {
            canvas.text(String(k), at: Point(x: mx + side * (Double(k) - 0.5), y: rect.maxY + 3 * theme.scale), size: small, color: Theme.text,
                        align: .center, baseline: .top)
        }
        let below = item.layer == 1 ? "input" : "layer \(item.layer - 1)"
        if mh >= canvas.textWidth("j (\(below))", size: small) {
            canvas.text("j (\(below))", at: Point(x: mx - rowLabelWidth - 6 * theme.scale - labelHeight * 0.25, y: rect.midY), size: small,
                        color: Theme.secondaryText, align: .center, rotation: 90)
        } else {
            // Upright: a rotated lone "j" reads as a dash.
            canvas.text("j", at: Point(x: mx - rowLabelWidth - 6 * theme.scale - labelHeight * 0.25, y: rect.midY), size: small,
                        color: Theme.secondaryText, align: .center, baseline: .middle)
        }
        canvas.text("k (layer \(item.layer))", at: Point(x: rect.midX, y: rect.maxY + 3 * theme.scale + labelHeight + 2 * theme.scale), size: small,
                    color: Theme.secondaryText, align: .center, baseline: .top)

        // Symmetric colour bar: -limit at the bottom, 0 in the middle, +limit at the top.
        let bar = Rect(x: rect.maxX + 6 * theme.scale, y: my, width: 8 * theme.scale, height: mh)
        let steps = max(2, Int(mh))
        var strip = RasterImage(width: 1, height: steps)
        for i in 0..<steps { strip.setPixel(x: 0, y: i, ColorMap.diverging(1 - (Double(i) + 0.5) / Double(steps)).rgba) }
        canvas.drawImage(strip, in: bar)
        canvas.strokeRect(Rect(x: Canvas.crisp(bar.x), y: Canvas.crisp(bar.y), width: bar.width.rounded(), height: bar.height.rounded()),
                          color: Theme.spine, lineWidth: 1)
        let lx = bar.maxX + 3 * theme.scale
        let barLabels: [(String, Double)]
        if mh >= labelHeight * 3.2 {
            barLabels = [(limitLabel, bar.minY + labelHeight * 0.4), ("0", bar.midY), ("-" + limitLabel, bar.maxY - labelHeight * 0.4)]
        } else if mh >= labelHeight * 2 {
            barLabels = [(limitLabel, bar.minY + labelHeight * 0.4), ("-" + limitLabel, bar.maxY - labelHeight * 0.4)]
        } else {
            barLabels = [("±" + limitLabel, bar.midY)]
        }
        for (label, y) in barLabels {
            canvas.text(label, at: Point(x: lx, y: y), size: small, color: Theme.text, baseline: .middle)
        }
    }

    /// 1-based indices to label on a matrix side of `count` cells of `cell` pixels: all of
    /// them up to 8, otherwise 1 and nice multiples; then, from 1 upwards, any label closer
    /// than `minGap` pixels to the previous one kept is dropped.
    static func indexTicks(_ count: Int, cell: Double = .infinity, minGap: Double = 0) -> [Int] {
        let candidates: [Int]
        if count <= 8 {
            candidates = Array(1...max(1, count))
        } else {
            let ticks = NiceScale.ticks(min: 1, max: Double(count), maxCount: 4, integer: true).map { Int($0) }
            candidates = [1] + ticks.filter { $0 > 1 && $0 <= count }
        }
        var kept: [Int] = []
        for t in candidates {
            if let last = kept.last, Double(t - last) * cell < minGap { continue }
            kept.append(t)
        }
        return kept
    }
}
