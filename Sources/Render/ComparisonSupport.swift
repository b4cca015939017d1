import Foundation

/// Several runs' values at one point (one epoch, one layer): their mean and range.
///
/// The comparison charts draw `mean` as the line and `minimum...maximum` as the band around it;
/// with `count` 1 there is no band.
public struct Spread: Sendable, Equatable {
    public var mean: Double
    public var minimum: Double
    public var maximum: Double
    /// How many runs gave a finite value here.
    public var count: Int

    public init(mean: Double, minimum: Double, maximum: Double, count: Int) {
        self.mean = mean
        self.minimum = minimum
        self.maximum = maximum
        self.count = count
    }

    /// The finite values' arithmetic mean and range; nil when none is finite.
    public init?(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return nil }
        // Summed in the given order, so the same runs give the same bits.
        self.init(mean: finite.reduce(0, +) / Double(finite.count), minimum: lo, maximum: hi, count: finite.count)
    }
}

/// Line colours for any number of compared series: matplotlib's tab10, then tab20's light
/// partners of the same hues, then hues spread by the golden angle (distinct, and the same
/// colour for the same index every time).
public enum SeriesColors {
    static let light: [Color] = [0xAEC7E8, 0xFFBB78, 0x98DF8A, 0xFF9896, 0xC5B0D5,
                                 0xC49C94, 0xF7B6D2, 0xC7C7C7, 0xDBDB8D, 0x9EDAE5].map { Color(hex: $0) }

    public static func color(_ index: Int) -> Color {
        let i = max(0, index)
        if i < Theme.palette.count { return Theme.palette[i] }
        if i < Theme.palette.count + light.count { return light[i - Theme.palette.count] }
        let hue = (Double(i) * 0.618033988749895).truncatingRemainder(dividingBy: 1)
        return hsv(hue: hue, saturation: 0.75, value: 0.8)
    }

    static func hsv(hue: Double, saturation s: Double, value v: Double) -> Color {
        let h = hue * 6
        let sector = Int(h.rounded(.down)) % 6
        let f = h - h.rounded(.down)
        let p = v * (1 - s)
        let q = v * (1 - s * f)
        let t = v * (1 - s * (1 - f))
        switch sector {
        case 0: return Color(red: v, green: t, blue: p)
        case 1: return Color(red: q, green: v, blue: p)
        case 2: return Color(red: p, green: v, blue: t)
        case 3: return Color(red: p, green: q, blue: v)
        case 4: return Color(red: t, green: p, blue: v)
        default: return Color(red: v, green: p, blue: q)
        }
    }
}

/// A legend beside the plot (never over the data): one column of entries, or several when they
/// do not fit the height, labels shortened with "…" to keep it within a share of the width, and
/// a smaller font (then "+ N more") only when even that is not enough.
struct SideLegend {
    /// One row: a sample and its label.
    struct Entry {
        enum Sample {
            /// A line, dashed when `dash` is not empty.
            case line(dash: [Double])
            /// A line over its translucent spread band.
            case band
            /// A hollow marker (values drawn at the edge of the scale).
            case marker(MarkerShape)
            /// No sample ("+ 3 more").
            case none
        }
        var label: String
        var color: Color
        var sample: Sample
    }

    var entries: [Entry]
    var columns: Int
    var rowsPerColumn: Int
    var size: Double
    var labelWidth: Double
    /// Entries that did not fit, counted in a last "+ N more" row.
    var hidden: Int

    static func rowHeight(_ size: Double) -> Double { size * 1.55 }
    var columnWidth: Double { Self.gutter(size) + labelWidth }
    var width: Double { Double(columns) * columnWidth + 8 * size / 13 }
    var height: Double { Double(min(entries.count, rowsPerColumn)) * Self.rowHeight(size) + 10 * size / 13 }
    /// Sample, gaps and padding of one column, in pixels at font `size`.
    static func gutter(_ size: Double) -> Double { (24 + 8 + 8 + 10) * size / 13 }

    /// Lays out `entries` in a box at most `maxWidth` wide and `maxHeight` high.
    init(_ entries: [Entry], maxWidth: Double, maxHeight: Double, canvas: Canvas, theme: Theme) {
        let widest = Layout.maxWidth(entries.map(\.label), canvas: canvas, size: theme.legendSize)
        var chosen: (columns: Int, rows: Int, size: Double, label: Double)?
        for factor in [1.0, 0.85, 0.72] {
            let size = theme.legendSize * factor
            let rows = max(1, Int((maxHeight - 10 * size / 13) / Self.rowHeight(size)))
            let columns = (entries.count + rows - 1) / rows
            let label = min(widest * factor, maxWidth / Double(max(columns, 1)) - Self.gutter(size))
            chosen = (columns, max(1, min(rows, entries.count)), size, label)
            // Good enough when no label is cut below 70 px (short labels are not cut at all).
            if label >= min(widest * factor, 70 * theme.scale) { break }
        }
        let (columns, rows, size, label) = chosen ?? (1, 1, theme.legendSize, 0)
        var shown = entries
        var hidden = 0
        var columnCount = columns
        if label < min(widest * 0.72, 70 * theme.scale) {
            // Too many even at the smallest size: as many columns as fit, the rest counted.
            columnCount = max(1, Int(maxWidth / (Self.gutter(size) + 70 * theme.scale)))
            let capacity = columnCount * rows
            if entries.count > capacity {
                hidden = entries.count - capacity + 1
                shown = Array(entries.prefix(capacity - 1))
                shown.append(Entry(label: "+ \(hidden) more", color: Theme.secondaryText, sample: .none))
            }
        }
        self.entries = shown.map { entry in
            var e = entry
            e.label = Layout.ellipsized(entry.label, maxWidth: max(label, 70 * theme.scale), canvas: canvas, size: size)
            return e
        }
        self.columns = max(1, min(columnCount, (shown.count + rows - 1) / rows))
        self.rowsPerColumn = rows
        self.size = size
        self.labelWidth = min(max(label, 70 * theme.scale), Layout.maxWidth(self.entries.map(\.label), canvas: canvas, size: size))
        self.hidden = hidden
    }

    /// Draws the box with its top-left corner at `origin`.
    func draw(at origin: Point, canvas: Canvas, theme: Theme) {
        guard !entries.isEmpty else { return }
        let unit = size / 13
        let box = Rect(x: origin.x, y: origin.y, width: width, height: height)
        canvas.fillRect(box, color: .white)
        canvas.strokeRect(Rect(x: Canvas.crisp(box.x), y: Canvas.crisp(box.y), width: box.width.rounded(), height: box.height.rounded()),
                          color: Color(hex: 0xCCCCCC), lineWidth: max(1, theme.scale.rounded()))
        for (i, entry) in entries.enumerated() {
            let column = i / rowsPerColumn
            let row = i % rowsPerColumn
            let cy = box.minY + 5 * unit + Self.rowHeight(size) * (Double(row) + 0.5)
            let x0 = box.minX + 8 * unit + Double(column) * columnWidth
            let sample = 24 * unit
            switch entry.sample {
            case .line(let dash):
                canvas.line(from: Point(x: x0, y: cy), to: Point(x: x0 + sample, y: cy), color: entry.color,
                            width: theme.lineWidth, dash: dash.map { $0 * theme.scale })
            case .band:
                canvas.fillRect(Rect(x: x0, y: cy - 5 * unit, width: sample, height: 10 * unit), color: entry.color.withAlpha(ComparisonStyle.bandAlpha))
                canvas.line(from: Point(x: x0, y: cy), to: Point(x: x0 + sample, y: cy), color: entry.color, width: theme.lineWidth)
            case .marker(let shape):
                canvas.marker(shape, at: Point(x: x0 + sample / 2, y: cy), size: 9 * unit, fill: .white, stroke: entry.color, lineWidth: 1.5 * unit)
            case .none:
                break
            }
            canvas.text(entry.label, at: Point(x: x0 + sample + 8 * unit, y: cy), size: size, color: Theme.text, baseline: .middle)
        }
    }
}

/// Drawing constants and steps the two comparison charts share.
enum ComparisonStyle {
    /// The spread band's opacity over white: light enough that overlapping bands of two
    /// combinations still show both lines.
    static let bandAlpha = 0.18
    static let validationDash: [Double] = [7, 4]

    /// The band between `lower` and `upper` (pixel points, NaN where there is none), as one
    /// filled polygon per unbroken stretch of at least two points.
    static func fillBand(lower: [Point], upper: [Point], color: Color, canvas: Canvas) {
        var start = 0
        while start < lower.count {
            var end = start
            while end < lower.count, lower[end].y.isFinite, upper[end].y.isFinite { end += 1 }
            if end - start >= 2 {
                canvas.fillPolygon(Array(upper[start..<end]) + lower[start..<end].reversed(), color: color)
            }
            start = end + 1
        }
    }

    /// Dots on points that have no finite neighbour, which a polyline alone would not show.
    static func isolatedPoints(_ points: [Point]) -> [Point] {
        points.indices.filter { i in
            let p = points[i]
            guard p.x.isFinite, p.y.isFinite else { return false }
            let before = i > 0 && points[i - 1].y.isFinite
            let after = i + 1 < points.count && points[i + 1].y.isFinite
            return !before && !after
        }.map { points[$0] }
    }

    /// The start of both charts' subtitles: "3 combinations × up to 3 seeds", "line: mean across
    /// seeds, band: min–max" (or "1 combination, 1 run each" when nothing is summarised).
    static func summaryParts(combinations n: Int, mostRuns: Int) -> [String] {
        let count = "\(n) combination\(n == 1 ? "" : "s")"
        guard mostRuns > 1 else { return [count + ", 1 run each"] }
        return [count + " × up to \(mostRuns) seeds", "line: mean across seeds, band: min–max"]
    }

    /// The notes at the bottom of a chart, one line each (each shortened with "…" to the width).
    static func drawNotes(_ notes: [String], canvas: Canvas, theme: Theme, width: Double, height: Double) {
        let line = canvas.lineHeight(size: theme.noteSize) + 2 * theme.scale
        for (i, note) in notes.reversed().enumerated() {
            let text = Layout.ellipsized(note, maxWidth: width - 2 * theme.pad, canvas: canvas, size: theme.noteSize)
            canvas.text(text, at: Point(x: theme.pad, y: height - theme.pad * 0.6 - Double(i) * line), size: theme.noteSize,
                        color: Theme.secondaryText, baseline: .bottom)
        }
    }

    /// The room the notes take, 0 without notes.
    static func notesHeight(_ notes: [String], canvas: Canvas, theme: Theme) -> Double {
        notes.isEmpty ? 0 : Double(notes.count) * (canvas.lineHeight(size: theme.noteSize) + 2 * theme.scale) + 2 * theme.scale
    }
}
