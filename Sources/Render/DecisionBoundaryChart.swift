import Foundation

/// A point of the input plane with its target: a class index (classification) or a value
/// (regression).
public struct LabeledPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var value: Double

    public init(x: Double, y: Double, value: Double) {
        self.x = x
        self.y = y
        self.value = value
    }
}

/// The network's output over a 2-D input plane with the data on top (the Playground's main
/// view): class regions in light class colours with their boundaries drawn, or a regression
/// surface on viridis with a colour bar. Training points are filled circles, validation points
/// hollow triangles.
public struct DecisionBoundaryChart: Sendable {
    public var title: String
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    /// `grid[i][j]`: the output at the centre of cell (i, j), i counting rows from the bottom
    /// (`yRange.lowerBound`) and j columns from the left. A class index when `classNames` is
    /// set, otherwise the regression value.
    public var grid: [[Double]]
    /// Optional certainty in 0...1 per cell (for example the winning class's probability
    /// rescaled); uncertain cells are drawn lighter. Ignored for regression.
    public var confidence: [[Double]]?
    /// Class names by index; nil makes the chart a regression chart.
    public var classNames: [String]?
    /// The colour bar's title for regression.
    public var valueLabel: String
    public var training: [LabeledPoint]
    public var validation: [LabeledPoint]

    public init(title: String, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, grid: [[Double]],
                confidence: [[Double]]? = nil, classNames: [String]?, training: [LabeledPoint], validation: [LabeledPoint] = [],
                xLabel: String = "x₁", yLabel: String = "x₂", valueLabel: String = "output", subtitle: String? = nil) {
        self.title = title
        self.xRange = xRange
        self.yRange = yRange
        self.grid = grid
        self.confidence = confidence
        self.classNames = classNames
        self.training = training
        self.validation = validation
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.valueLabel = valueLabel
        self.subtitle = subtitle
    }

    /// Samples `output(x, y)` at the centres of a `resolution` x `resolution` grid. Ranges
    /// default to the points' bounds widened by 10% (±1 when all points coincide).
    public init(title: String, xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil, resolution: Int = 200,
                classNames: [String]?, training: [LabeledPoint], validation: [LabeledPoint] = [],
                xLabel: String = "x₁", yLabel: String = "x₂", valueLabel: String = "output", subtitle: String? = nil,
                output: (Double, Double) -> Double) {
        let all = training + validation
        let xr = xRange ?? Self.paddedRange(all.map(\.x))
        let yr = yRange ?? Self.paddedRange(all.map(\.y))
        let n = max(1, resolution)
        let grid = (0..<n).map { i in
            (0..<n).map { j in
                output(xr.lowerBound + (Double(j) + 0.5) / Double(n) * (xr.upperBound - xr.lowerBound),
                       yr.lowerBound + (Double(i) + 0.5) / Double(n) * (yr.upperBound - yr.lowerBound))
            }
        }
        self.init(title: title, xRange: xr, yRange: yr, grid: grid, classNames: classNames, training: training,
                  validation: validation, xLabel: xLabel, yLabel: yLabel, valueLabel: valueLabel, subtitle: subtitle)
    }

    /// The finite values' range widened by 10% on each side.
    public static func paddedRange(_ values: [Double]) -> ClosedRange<Double> {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return -1...1 }
        if hi <= lo { return (lo - 1)...(hi + 1) }
        let pad = (hi - lo) * 0.1
        return (lo - pad)...(hi + pad)
    }

    /// The colour of class `index` (matplotlib's tab10, repeated beyond ten classes).
    public static func classColor(_ index: Int) -> Color {
        Theme.palette[((index % Theme.palette.count) + Theme.palette.count) % Theme.palette.count]
    }

    var isClassification: Bool { classNames != nil }

    /// Range of the regression values (grid and points) for the colour scale.
    var valueRange: (Double, Double) {
        let values = grid.flatMap { $0 } + training.map(\.value) + validation.map(\.value)
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
        return hi > lo ? (lo, hi) : (lo - 0.5, hi + 0.5)
    }

    public func render(width: Int = 1000, height: Int = 640) -> RasterImage {
        let canvas = Canvas(width: width, height: height)
        let theme = Theme(width: width, height: height)
        let W = Double(canvas.width)
        let H = Double(canvas.height)
        let top = Layout.drawTitle(title, subtitle: subtitle ?? summary, canvas: canvas, theme: theme, width: W)
        let tickLabelHeight = canvas.lineHeight(size: theme.tickSize)
        let axisTitleHeight = canvas.lineHeight(size: theme.axisTitleSize)
        let bottomBand = theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4 + axisTitleHeight + theme.pad * 0.7
        let plotHeight = max(40, H - top - bottomBand)

        let xr = Self.validRange(xRange)
        let yr = Self.validRange(yRange)
        let yAxis = Axis.fixed(lower: yr.lowerBound, upper: yr.upperBound, maxTicks: Layout.yTickCount(height: plotHeight, theme: theme))
        let left = theme.pad + axisTitleHeight + theme.pad * 0.5 + Layout.maxWidth(yAxis.labels, canvas: canvas, size: theme.tickSize)
            + theme.tickLength + 4 * theme.scale

        // Right side: the legend (classification) or the colour bar and point legend (regression).
        let pointEntries = markerEntries
        let classEntries = (classNames ?? []).enumerated().map { LegendEntry(label: $0.element, color: Self.classColor($0.offset).mixed(with: .white, amount: Self.regionWhite(certainty: 1)), sample: .swatch) }
        let legendEntries = classEntries + pointEntries
        let legendSize = Legend.size(legendEntries, canvas: canvas, theme: theme)
        let (lo, hi) = valueRange
        let barTicks = NiceScale.ticks(min: lo, max: hi, maxCount: Layout.yTickCount(height: plotHeight, theme: theme))
        let barLabels = NumberFormat.labels(barTicks)
        let barWidth = 18 * theme.scale
        let right: Double
        if isClassification {
            right = theme.pad * 1.4 + legendSize.width + theme.pad
        } else {
            let barRoom = barWidth + theme.tickLength + 4 * theme.scale + Layout.maxWidth(barLabels, canvas: canvas, size: theme.tickSize)
                + theme.pad * 0.6 + axisTitleHeight
            right = theme.pad * 1.4 + max(barRoom, pointEntries.isEmpty ? 0 : Legend.size(pointEntries, canvas: canvas, theme: theme).width) + theme.pad
        }
        let plotWidth = max(40, W - left - right)
        let xAxis = Layout.fitXAxis(width: plotWidth, canvas: canvas, theme: theme) { count in
            Axis.fixed(lower: xr.lowerBound, upper: xr.upperBound, maxTicks: count)
        }
        let panel = Panel(rect: Rect(x: left, y: top, width: plotWidth, height: plotHeight), x: xAxis, y: yAxis)

        drawSurface(panel: panel, canvas: canvas, theme: theme, lo: lo, hi: hi)
        let yGrid = Axis(kind: .linear, lower: yAxis.lower, upper: yAxis.upper, major: yAxis.major, labels: yAxis.labels)
        Panel(rect: panel.rect, x: xAxis, y: yGrid).drawGridLines(canvas, theme)
        drawPoints(panel: panel, canvas: canvas, theme: theme, lo: lo, hi: hi)
        panel.drawFrame(canvas, theme)
        panel.drawXTicks(canvas, theme)
        panel.drawYTicks(canvas, theme)
        canvas.text(xLabel, at: Point(x: panel.rect.midX, y: panel.rect.maxY + theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4),
                    size: theme.axisTitleSize, color: Theme.text, align: .center, baseline: .top)
        canvas.text(yLabel, at: Point(x: theme.pad + axisTitleHeight * 0.75, y: panel.rect.midY), size: theme.axisTitleSize,
                    color: Theme.text, align: .center, rotation: 90)

        let side = Rect(x: panel.rect.maxX + theme.pad * 1.4, y: top, width: right - theme.pad * 2.4, height: plotHeight)
        if isClassification {
            Legend.drawBox(legendEntries, at: Rect(x: side.x, y: side.y, width: legendSize.width, height: legendSize.height), canvas: canvas, theme: theme)
        } else {
            let legendHeight = pointEntries.isEmpty ? 0 : Legend.size(pointEntries, canvas: canvas, theme: theme).height + theme.pad
            let bar = Rect(x: side.x, y: side.y + legendHeight, width: barWidth, height: max(20, plotHeight - legendHeight))
            if !pointEntries.isEmpty {
                let size = Legend.size(pointEntries, canvas: canvas, theme: theme)
                Legend.drawBox(pointEntries, at: Rect(x: side.x, y: side.y, width: size.width, height: size.height), canvas: canvas, theme: theme)
            }
            ColorBar.drawLinear(in: bar, lo: lo, hi: hi, ticks: barTicks, labels: barLabels, title: valueLabel, canvas: canvas, theme: theme)
        }
        let skipped = (training + validation).filter { !$0.x.isFinite || !$0.y.isFinite || !$0.value.isFinite }.count
        if skipped > 0 {
            canvas.text("\(skipped) point\(skipped == 1 ? "" : "s") with NaN or inf not drawn", at: Point(x: theme.pad, y: H - theme.pad * 0.6),
                        size: theme.noteSize, color: Theme.secondaryText, baseline: .bottom)
        }
        return canvas.image()
    }

    var summary: String {
        var parts = ["\(training.count) training point\(training.count == 1 ? "" : "s")"]
        if !validation.isEmpty { parts.append("\(validation.count) validation") }
        if let names = classNames {
            parts.append("\(names.count) class\(names.count == 1 ? "" : "es")")
            let correct = training.filter { p in classAt(p.x, p.y).map { $0 == Int(p.value.rounded()) } ?? false }.count
            if !training.isEmpty {
                parts.append(String(format: "%.1f%% of training points inside their class region", 100 * Double(correct) / Double(training.count)))
            }
        }
        return parts.joined(separator: "  ·  ")
    }

    /// The grid's class at a point of the plane (nil outside the grid or for NaN cells).
    func classAt(_ x: Double, _ y: Double) -> Int? {
        let rows = grid.count
        guard rows > 0, x.isFinite, y.isFinite else { return nil }
        let xr = Self.validRange(xRange)
        let yr = Self.validRange(yRange)
        let i = Int(((y - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * Double(rows)).rounded(.down))
        guard i >= 0, i < rows else { return nil }
        let cols = grid[i].count
        let j = Int(((x - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * Double(cols)).rounded(.down))
        guard j >= 0, j < cols, grid[i][j].isFinite else { return nil }
        return Int(grid[i][j].rounded())
    }

    static func validRange(_ r: ClosedRange<Double>) -> ClosedRange<Double> {
        guard r.lowerBound.isFinite, r.upperBound.isFinite else { return -1...1 }
        return r.upperBound > r.lowerBound ? r : (r.lowerBound - 1)...(r.upperBound + 1)
    }

    private var markerEntries: [LegendEntry] {
        var entries: [LegendEntry] = []
        let grey = Color(hex: 0x555555)
        if !training.isEmpty { entries.append(LegendEntry(label: "training", color: grey, sample: .marker(.circle, hollow: false))) }
        if !validation.isEmpty { entries.append(LegendEntry(label: "validation", color: grey, sample: .marker(.triangle, hollow: true))) }
        return entries
    }

    /// How much white goes into a class colour: 0.6 where the network is sure, up to 0.85
    /// where it is not, so that the points (full class colours) stand out on every region.
    static func regionWhite(certainty: Double) -> Double { 0.85 - 0.25 * certainty }

    private func cellColor(_ v: Double, confidence c: Double?, lo: Double, hi: Double) -> Color {
        guard v.isFinite else { return Theme.missing }
        if isClassification {
            let certainty = c.map { min(1, max(0, $0.isFinite ? $0 : 0)) } ?? 1
            return Self.classColor(Int(v.rounded())).mixed(with: .white, amount: Self.regionWhite(certainty: certainty))
        }
        return ColorMap.viridis((v - lo) / (hi - lo)).mixed(with: .white, amount: 0.3)
    }

    private func drawSurface(panel: Panel, canvas: Canvas, theme: Theme, lo: Double, hi: Double) {
        let rows = grid.count
        let cols = grid.map(\.count).max() ?? 0
        guard rows > 0, cols > 0 else {
            canvas.fillRect(panel.rect, color: Color(hex: 0xF4F4F4))
            return
        }
        var image = RasterImage(width: cols, height: rows)
        for i in 0..<rows {
            for j in 0..<cols {
                let v = j < grid[i].count ? grid[i][j] : .nan
                let c = confidence.flatMap { i < $0.count && j < $0[i].count ? $0[i][j] : nil }
                image.setPixel(x: j, y: rows - 1 - i, cellColor(v, confidence: c, lo: lo, hi: hi).rgba)
            }
        }
        // Bilinear for both kinds: class regions then meet in a one-cell blend instead of
        // showing the grid's stair steps; the boundary line on top marks the exact edge.
        canvas.drawImage(image, in: panel.rect, smooth: true)
        guard isClassification else { return }
        let segments = boundarySegments(in: panel.rect)
        canvas.withClip(panel.rect) {
            canvas.polyline(segments, color: Color(hex: 0x333333, alpha: 0.6), width: 1.3 * theme.scale, roundCaps: true)
        }
    }

    /// The class boundaries as line pieces in canvas pixels (pairs of points, NaN-separated),
    /// by marching squares over the cell centres.
    ///
    /// For each class c the field is f_c = +w inside c and -w outside, w the cell's certainty
    /// (at least 1e-12 so that it keeps its sign; 1 without `confidence`). An edge between
    /// centres a and b with opposite signs is cut at t = f_a / (f_a - f_b) along it. With one sigmoid output the
    /// certainty is |2p - 1|, so f is 2p - 1 itself and the cut is where the linearly
    /// interpolated p crosses 0.5; otherwise the cut is weighted towards the less certain side.
    /// The grid is padded by repeating its edge cells so that lines run out to the frame.
    /// With two classes one field gives every boundary; with more, each class's outline is
    /// drawn and shared edges coincide (stroked once as one path).
    func boundarySegments(in rect: Rect) -> [Point] {
        let rows = grid.count
        let cols = grid.map(\.count).max() ?? 0
        guard rows > 0, cols > 0 else { return [] }
        // Class per cell (-1 for NaN or missing) and its weight, over the padded grid.
        var cls = [Int](repeating: -1, count: rows * cols)
        var weight = [Double](repeating: 1, count: rows * cols)
        var present = Set<Int>()
        for i in 0..<rows {
            for j in 0..<cols {
                if j < grid[i].count, grid[i][j].isFinite {
                    let c = Int(grid[i][j].rounded())
                    cls[i * cols + j] = c
                    present.insert(c)
                }
                if let confidence, i < confidence.count, j < confidence[i].count {
                    let w = confidence[i][j]
                    weight[i * cols + j] = w.isFinite ? max(1e-12, min(1, w)) : 1e-12
                }
            }
        }
        if cls.contains(-1) { present.insert(-1) }
        guard present.count > 1 else { return [] }
        let fields = present.count == 2 ? [present.min() ?? 0] : present.sorted()
        let cw = rect.width / Double(cols)
        let ch = rect.height / Double(rows)
        // Node (i, j) of the padded grid is cell (clamp(i), clamp(j)), i in -1...rows.
        func index(_ i: Int, _ j: Int) -> Int { min(rows - 1, max(0, i)) * cols + min(cols - 1, max(0, j)) }
        func position(_ i: Double, _ j: Double) -> Point {
            Point(x: rect.minX + (j + 0.5) * cw, y: rect.maxY - (i + 0.5) * ch)
        }
        var points: [Point] = []
        for i in -1..<rows {
            for j in -1..<cols {
                // Corners: a (i, j), b (i, j+1), d (i+1, j+1), e (i+1, j). Most blocks lie
                // inside one class and are skipped before any field is evaluated.
                let ka = index(i, j), kb = index(i, j + 1), kd = index(i + 1, j + 1), ke = index(i + 1, j)
                let ca = cls[ka]
                if cls[kb] == ca && cls[kd] == ca && cls[ke] == ca { continue }
                for c in fields {
                    let fa = cls[ka] == c ? weight[ka] : -weight[ka]
                    let fb = cls[kb] == c ? weight[kb] : -weight[kb]
                    let fd = cls[kd] == c ? weight[kd] : -weight[kd]
                    let fe = cls[ke] == c ? weight[ke] : -weight[ke]
                    let mask = (fa > 0 ? 1 : 0) | (fb > 0 ? 2 : 0) | (fd > 0 ? 4 : 0) | (fe > 0 ? 8 : 0)
                    if mask == 0 || mask == 15 { continue }
                    let y = Double(i), x = Double(j)
                    // Crossings on the four sides: bottom a-b, right b-d, top e-d, left a-e.
                    let bottom = position(y, x + fa / (fa - fb))
                    let right = position(y + fb / (fb - fd), x + 1)
                    let top = position(y + 1, x + fe / (fe - fd))
                    let left = position(y + fa / (fa - fe), x)
                    let pairs: [(Point, Point)]
                    switch mask {
                    case 1, 14: pairs = [(left, bottom)]
                    case 2, 13: pairs = [(bottom, right)]
                    case 3, 12: pairs = [(left, right)]
                    case 4, 11: pairs = [(right, top)]
                    case 6, 9: pairs = [(bottom, top)]
                    case 7, 8: pairs = [(left, top)]
                    default:
                        // Saddles (5: a and d inside, 10: b and e): the mean of the corners decides
                        // whether the two inside corners connect through the middle.
                        let centreInside = (fa + fb + fd + fe) / 4 > 0
                        if (mask == 5) == centreInside {
                            pairs = [(left, top), (bottom, right)]
                        } else {
                            pairs = [(left, bottom), (right, top)]
                        }
                    }
                    for (p, q) in pairs { points += [p, q, Point(x: .nan, y: .nan)] }
                }
            }
        }
        return points
    }

    private func drawPoints(panel: Panel, canvas: Canvas, theme: Theme, lo: Double, hi: Double) {
        let total = training.count + validation.count
        let size = (total > 3000 ? 4.5 : total > 600 ? 6.5 : total > 60 ? 9 : 12) * theme.scale
        let color = { (v: Double) -> Color in
            self.isClassification ? Self.classColor(Int(v.rounded())) : ColorMap.viridis((v - lo) / (hi - lo))
        }
        canvas.withClip(panel.rect) {
            for p in training where p.x.isFinite && p.y.isFinite && p.value.isFinite {
                canvas.marker(.circle, at: panel.point(p.x, p.y), size: size, fill: color(p.value), stroke: .white, lineWidth: 0.9 * theme.scale)
            }
            for p in validation where p.x.isFinite && p.y.isFinite && p.value.isFinite {
                let c = color(p.value)
                canvas.marker(.triangle, at: panel.point(p.x, p.y), size: size * 1.05, fill: .white, stroke: c, lineWidth: 2 * theme.scale)
            }
        }
    }
}

extension Panel {
    /// Grid lines only at the major ticks, faint, drawn over a coloured surface.
    func drawGridLines(_ canvas: Canvas, _ theme: Theme) {
        let color = Color.white.withAlpha(0.45)
        for v in y.major {
            let yy = Canvas.crisp(py(v))
            canvas.line(from: Point(x: rect.minX, y: yy), to: Point(x: rect.maxX, y: yy), color: color, width: 1)
        }
        for v in x.major {
            let xx = Canvas.crisp(px(v))
            canvas.line(from: Point(x: xx, y: rect.minY), to: Point(x: xx, y: rect.maxY), color: color, width: 1)
        }
    }
}

/// Vertical colour bars with tick labels and a rotated title.
enum ColorBar {
    static func drawLinear(in rect: Rect, lo: Double, hi: Double, ticks: [Double], labels: [String], title: String,
                           canvas: Canvas, theme: Theme, map: (Double) -> Color = ColorMap.viridis) {
        let steps = max(2, Int(rect.height))
        var strip = RasterImage(width: 1, height: steps)
        for i in 0..<steps { strip.setPixel(x: 0, y: i, map(1 - (Double(i) + 0.5) / Double(steps)).rgba) }
        canvas.drawImage(strip, in: rect)
        let axis = Axis(kind: .linear, lower: lo, upper: hi, major: ticks, labels: labels)
        let panel = Panel(rect: rect, x: Axis.fixed(lower: 0, upper: 1, maxTicks: 1), y: axis)
        panel.drawFrame(canvas, theme)
        let w = max(1, theme.scale.rounded())
        for (i, v) in ticks.enumerated() {
            let yy = Canvas.crisp(panel.py(v))
            canvas.line(from: Point(x: rect.maxX, y: yy), to: Point(x: rect.maxX + theme.tickLength, y: yy), color: Theme.spine, width: w)
            canvas.text(labels[i], at: Point(x: rect.maxX + theme.tickLength + 4 * theme.scale, y: panel.py(v)), size: theme.tickSize,
                        color: Theme.text, baseline: .middle)
        }
        let labelWidth = Layout.maxWidth(labels, canvas: canvas, size: theme.tickSize)
        canvas.text(title, at: Point(x: rect.maxX + theme.tickLength + 4 * theme.scale + labelWidth + theme.pad * 0.6
                                         + canvas.lineHeight(size: theme.axisTitleSize) * 0.75, y: rect.midY),
                    size: theme.axisTitleSize, color: Theme.text, align: .center, rotation: 90)
    }
}
