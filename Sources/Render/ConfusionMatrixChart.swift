import Foundation

/// Counts of (true class, predicted class) pairs: rows are the true class, columns the
/// predicted one, cells shaded by the row-normalised fraction (so each row reads as "where
/// did the samples of this class go"), with the count and the row percentage written in.
/// The subtitle gives the overall accuracy.
public struct ConfusionMatrixChart: Sendable {
    public var title: String
    /// Shown before the accuracy line under the title.
    public var subtitle: String?
    public var classNames: [String]
    /// `counts[t][p]`: samples of true class t predicted as p.
    public var counts: [[Int]]

    public init(title: String, classNames: [String], counts: [[Int]], subtitle: String? = nil) {
        self.title = title
        self.classNames = classNames
        self.counts = counts
        self.subtitle = subtitle
    }

    /// The number of classes drawn: the larger of the names and the matrix side.
    var size: Int { max(classNames.count, counts.count, counts.map(\.count).max() ?? 0) }

    func count(_ t: Int, _ p: Int) -> Int {
        t < counts.count && p < counts[t].count ? max(0, counts[t][p]) : 0
    }

    func name(_ i: Int) -> String { i < classNames.count ? classNames[i] : "class \(i)" }

    /// Correct predictions over all samples; nil when there are none.
    public var accuracy: Double? {
        var total = 0.0
        var correct = 0.0
        for t in 0..<size {
            for p in 0..<size { total += Double(count(t, p)) }
            correct += Double(count(t, t))
        }
        return total > 0 ? correct / total : nil
    }

    var accuracyLine: String {
        let total = (0..<size).reduce(0.0) { s, t in s + (0..<size).reduce(0.0) { $0 + Double(count(t, $1)) } }
        let correct = (0..<size).reduce(0.0) { $0 + Double(count($1, $1)) }
        guard let accuracy else { return "no samples" }
        return String(format: "accuracy %.1f%%", 100 * accuracy) + " (\(NumberFormat.count(correct)) of \(NumberFormat.count(total)))"
    }

    /// ColorBrewer's 9-class Blues, light to dark.
    static let blues: [Double] = [0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B]
        .flatMap { (hex: UInt32) -> [Double] in [Double((hex >> 16) & 0xFF) / 255, Double((hex >> 8) & 0xFF) / 255, Double(hex & 0xFF) / 255] }

    static func shade(_ fraction: Double) -> Color { ColorMap.sample(blues, fraction) }

    public func render(width: Int = 1000, height: Int = 640) -> RasterImage {
        let canvas = Canvas(width: width, height: height)
        let theme = Theme(width: width, height: height)
        let W = Double(canvas.width)
        let H = Double(canvas.height)
        let line = [subtitle, accuracyLine].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "  ·  ")
        let top = Layout.drawTitle(title, subtitle: line, canvas: canvas, theme: theme, width: W)
        let n = size
        guard n > 0 else {
            canvas.text("no classes", at: Point(x: W / 2, y: (top + H) / 2), size: theme.axisTitleSize, color: Theme.secondaryText,
                        align: .center, baseline: .middle)
            return canvas.image()
        }
        let names = (0..<n).map(name)
        let axisTitleHeight = canvas.lineHeight(size: theme.axisTitleSize)
        let labelSize = n > 20 ? theme.tickSize * 0.85 : theme.tickSize
        let labelHeight = canvas.lineHeight(size: labelSize)
        let nameWidth = min(W * 0.25, Layout.maxWidth(names, canvas: canvas, size: labelSize))
        let barWidth = 16 * theme.scale
        let barLabels = ["0", "0.5", "1"]
        let rightRoom = theme.pad * 1.5 + barWidth + theme.tickLength + 4 * theme.scale
            + Layout.maxWidth(barLabels, canvas: canvas, size: theme.tickSize) + theme.pad * 0.6 + axisTitleHeight + theme.pad
        let leftRoom = theme.pad + axisTitleHeight + theme.pad * 0.5 + nameWidth + 6 * theme.scale

        // Column labels go horizontal when they fit their cells, else rotated 45° (or 90° when
        // even that collides); the room they need below the matrix depends on the cell size,
        // so try the horizontal layout first.
        func cellSide(bottomRoom: Double) -> Double {
            let availableW = W - leftRoom - rightRoom
            let availableH = H - top - bottomRoom - theme.pad * 0.5
            return max(4, min(availableW / Double(n), availableH / Double(n)))
        }
        let flatBottom = 6 * theme.scale + labelHeight + theme.pad * 0.4 + axisTitleHeight + theme.pad * 0.5
        var side = cellSide(bottomRoom: flatBottom)
        var rotation = 0.0
        if nameWidth + 6 * theme.scale > side {
            rotation = side >= labelHeight * 1.5 ? 45 : 90
            let drop = rotation == 90 ? nameWidth : nameWidth * 0.7071 + labelHeight * 0.7071
            side = cellSide(bottomRoom: 6 * theme.scale + drop + theme.pad * 0.4 + axisTitleHeight + theme.pad * 0.5)
        }
        let matrixSize = side * Double(n)
        let x0 = (leftRoom + (W - leftRoom - rightRoom - matrixSize) / 2).rounded()
        let y0 = top.rounded()
        let rect = Rect(x: x0, y: y0, width: matrixSize, height: matrixSize)

        // Cells.
        for t in 0..<n {
            let rowTotal = (0..<n).reduce(0) { $0 + Double(count(t, $1)) }
            for p in 0..<n {
                let c = Double(count(t, p))
                let fraction = rowTotal > 0 ? c / rowTotal : 0
                let cell = Rect(x: x0 + Double(p) * side, y: y0 + Double(t) * side, width: side, height: side)
                let fill = Self.shade(fraction)
                canvas.fillRect(cell, color: fill)
                drawCellText(count: c, fraction: rowTotal > 0 ? fraction : nil, in: cell, fill: fill, canvas: canvas, theme: theme)
            }
        }
        if side >= 6 {
            for i in 1..<max(1, n) {
                let o = Double(i) * side
                canvas.line(from: Point(x: x0 + o, y: y0), to: Point(x: x0 + o, y: rect.maxY), color: .white, width: max(1, theme.scale))
                canvas.line(from: Point(x: x0, y: y0 + o), to: Point(x: rect.maxX, y: y0 + o), color: .white, width: max(1, theme.scale))
            }
        }
        canvas.strokeRect(Rect(x: Canvas.crisp(x0), y: Canvas.crisp(y0), width: matrixSize.rounded(), height: matrixSize.rounded()),
                          color: Theme.spine, lineWidth: max(1, theme.scale.rounded()))

        // Class names: rows on the left, columns below; every k-th when cells are too small.
        let every = max(1, Int((labelHeight * 1.15 / side).rounded(.up)))
        for i in stride(from: 0, to: n, by: every) {
            let label = Layout.ellipsized(names[i], maxWidth: nameWidth, canvas: canvas, size: labelSize)
            canvas.text(label, at: Point(x: x0 - 6 * theme.scale, y: y0 + (Double(i) + 0.5) * side), size: labelSize, color: Theme.text,
                        align: .right, baseline: .middle)
            let cx = x0 + (Double(i) + 0.5) * side
            if rotation == 0 {
                canvas.text(label, at: Point(x: cx, y: rect.maxY + 6 * theme.scale), size: labelSize, color: Theme.text, align: .center, baseline: .top)
            } else {
                canvas.text(label, at: Point(x: cx, y: rect.maxY + 6 * theme.scale), size: labelSize, color: Theme.text, align: .right,
                            baseline: rotation == 90 ? .middle : .top, rotation: rotation)
            }
        }
        let drop: Double = rotation == 0 ? labelHeight : (rotation == 90 ? nameWidth : nameWidth * 0.7071 + labelHeight * 0.7071)
        canvas.text("predicted class", at: Point(x: rect.midX, y: rect.maxY + 6 * theme.scale + drop + theme.pad * 0.4),
                    size: theme.axisTitleSize, color: Theme.text, align: .center, baseline: .top)
        canvas.text("true class", at: Point(x: x0 - 6 * theme.scale - nameWidth - theme.pad * 0.5 - axisTitleHeight * 0.25, y: rect.midY),
                    size: theme.axisTitleSize, color: Theme.text, align: .center, rotation: 90)

        let bar = Rect(x: rect.maxX + theme.pad * 1.5, y: y0, width: barWidth, height: matrixSize)
        ColorBar.drawLinear(in: bar, lo: 0, hi: 1, ticks: [0, 0.5, 1], labels: barLabels, title: "fraction of true class",
                            canvas: canvas, theme: theme, map: Self.shade)
        return canvas.image()
    }

    /// The count and, when there is room, the row percentage under it; white on dark cells.
    /// Large cells (a few classes) get numbers up to twice the tick size, so that they read
    /// at a glance instead of floating small in the middle of a big square.
    private func drawCellText(count c: Double, fraction: Double?, in cell: Rect, fill: Color, canvas: Canvas, theme: Theme) {
        let size = max(min(theme.tickSize * 1.15, cell.height / 3.2), min(theme.tickSize * 2, cell.height / 5))
        guard size >= 7 else { return }
        var text = NumberFormat.count(c)
        if canvas.textWidth(text, size: size, bold: true) > cell.width - 4 { text = NumberFormat.short(c, significant: 2) }
        guard canvas.textWidth(text, size: size, bold: true) <= cell.width - 4 else { return }
        // Empty cells keep a faint "0" and no percentage, so that the misclassifications
        // (non-zero counts off the diagonal) are what the eye finds.
        if c == 0 {
            canvas.text(text, at: Point(x: cell.midX, y: cell.midY), size: size, color: Theme.missing, align: .center, baseline: .middle)
            return
        }
        let color = fill.textColor
        let small = size * 0.8
        let percent = fraction.map { String(format: "%.0f%%", 100 * $0) } ?? "–"
        let twoLines = cell.height >= (size + small) * 1.9 && canvas.textWidth(percent, size: small) <= cell.width - 4
        if twoLines {
            canvas.text(text, at: Point(x: cell.midX, y: cell.midY - size * 0.45), size: size, bold: true, color: color, align: .center, baseline: .middle)
            canvas.text(percent, at: Point(x: cell.midX, y: cell.midY + size * 0.75), size: small, color: color.withAlpha(0.85), align: .center, baseline: .middle)
        } else {
            canvas.text(text, at: Point(x: cell.midX, y: cell.midY), size: size, bold: true, color: color, align: .center, baseline: .middle)
        }
    }
}
