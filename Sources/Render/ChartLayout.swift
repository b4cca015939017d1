import Foundation

/// Font sizes, spacing and colours shared by every chart. Sizes are given for a 1000x640
/// image and scale with the smaller of the two ratios, so a 2000x1280 render looks the same,
/// only sharper.
struct Theme {
    let scale: Double

    init(width: Int, height: Int) {
        let s = min(Double(width) / 1000, Double(height) / 640)
        scale = min(3, max(0.6, s))
    }

    var titleSize: Double { 20 * scale }
    var subtitleSize: Double { 13.5 * scale }
    var axisTitleSize: Double { 14.5 * scale }
    var tickSize: Double { 12.5 * scale }
    var legendSize: Double { 13 * scale }
    var noteSize: Double { 12 * scale }
    var pad: Double { 14 * scale }
    var tickLength: Double { 5 * scale }
    var lineWidth: Double { 2 * scale }

    static let text = Color(hex: 0x262626)
    static let secondaryText = Color(hex: 0x595959)
    static let grid = Color(hex: 0xE6E6E6)
    static let minorGrid = Color(hex: 0xF2F2F2)
    static let spine = Color(hex: 0x404040)
    /// Drawn for zero, NaN or infinite values on colour scales: a grey that viridis and the
    /// diverging map never produce.
    static let missing = Color(hex: 0xBDBDBD)
    /// matplotlib's "tab10" cycle.
    static let palette: [Color] = [0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
                                   0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF].map { Color(hex: $0) }
}

/// One axis: its domain, how values map onto it, and its ticks with their labels.
struct Axis {
    enum Kind { case linear, log }

    var kind: Kind
    var lower: Double
    var upper: Double
    /// Labelled tick values, with `labels[i]` for `major[i]`.
    var major: [Double]
    var labels: [String]
    /// Unlabelled tick values (log axes: 2..9 x 10^k).
    var minor: [Double] = []

    /// Where `v` falls along the axis, 0 at `lower` and 1 at `upper` (outside for values
    /// beyond the domain; NaN for non-positive values on a log axis).
    func fraction(_ v: Double) -> Double {
        switch kind {
        case .linear:
            return upper > lower ? (v - lower) / (upper - lower) : 0.5
        case .log:
            guard v > 0 else { return .nan }
            let a = Foundation.log10(lower)
            let b = Foundation.log10(upper)
            return b > a ? (Foundation.log10(v) - a) / (b - a) : 0.5
        }
    }

    /// A linear axis over the data, padded by `padding` of the span on each side. A constant
    /// value gets a range of ±10% (±1 around zero) so that it draws as a centred line.
    static func linear(dataMin: Double, dataMax: Double, maxTicks: Int, padding: Double = 0.05,
                       integer: Bool = false) -> Axis {
        var lo = dataMin
        var hi = dataMax
        if !lo.isFinite || !hi.isFinite {
            lo = 0
            hi = 1
        }
        if hi <= lo {
            let half = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= half
            hi += half
        } else {
            let span = hi - lo
            lo -= span * padding
            hi += span * padding
        }
        return fixed(lower: lo, upper: hi, maxTicks: maxTicks, integer: integer)
    }

    /// A linear axis over exactly `lower...upper`.
    static func fixed(lower: Double, upper: Double, maxTicks: Int, integer: Bool = false) -> Axis {
        let ticks = NiceScale.ticks(min: lower, max: upper, maxCount: maxTicks, integer: integer)
        return Axis(kind: .linear, lower: lower, upper: upper, major: ticks, labels: NumberFormat.labels(ticks))
    }

    /// A log axis over positive data, padded by `padding` of the log span on each side; a
    /// constant value gets ±0.3 decades.
    static func log(dataMin: Double, dataMax: Double, maxTicks: Int, padding: Double = 0.05) -> Axis {
        var a = Foundation.log10(dataMin)
        var b = Foundation.log10(dataMax)
        if !a.isFinite || !b.isFinite {
            a = -1
            b = 0
        }
        if b <= a {
            a -= 0.3
            b += 0.3
        } else {
            let span = b - a
            a -= span * padding
            b += span * padding
        }
        let lo = pow(10, a)
        let hi = pow(10, b)
        let ticks = LogScale.ticks(min: lo, max: hi, maxCount: maxTicks)
        return Axis(kind: .log, lower: lo, upper: hi, major: ticks.major,
                    labels: ticks.major.map(NumberFormat.logLabel), minor: ticks.minor)
    }
}

/// A rectangle of the canvas with an x and a y axis: maps data to pixels and draws the grid,
/// frame, ticks and tick labels.
struct Panel {
    var rect: Rect
    var x: Axis
    var y: Axis

    func px(_ v: Double) -> Double { rect.minX + x.fraction(v) * rect.width }
    func py(_ v: Double) -> Double { rect.maxY - y.fraction(v) * rect.height }
    func point(_ vx: Double, _ vy: Double) -> Point { Point(x: px(vx), y: py(vy)) }

    /// Light grid lines at the major ticks of both axes (and the minor ticks of a log y axis).
    func drawGrid(_ canvas: Canvas, _ theme: Theme, vertical: Bool = true) {
        let w = max(1, theme.scale.rounded())
        if y.kind == .log {
            for v in y.minor {
                let yy = Canvas.crisp(py(v))
                canvas.line(from: Point(x: rect.minX, y: yy), to: Point(x: rect.maxX, y: yy), color: Theme.minorGrid, width: w)
            }
        }
        for v in y.major {
            let yy = Canvas.crisp(py(v))
            canvas.line(from: Point(x: rect.minX, y: yy), to: Point(x: rect.maxX, y: yy), color: Theme.grid, width: w)
        }
        if vertical {
            for v in x.major {
                let xx = Canvas.crisp(px(v))
                canvas.line(from: Point(x: xx, y: rect.minY), to: Point(x: xx, y: rect.maxY), color: Theme.grid, width: w)
            }
        }
    }

    /// The four spines.
    func drawFrame(_ canvas: Canvas, _ theme: Theme) {
        let w = max(1, theme.scale.rounded())
        let r = Rect(x: Canvas.crisp(rect.minX), y: Canvas.crisp(rect.minY),
                     width: (rect.maxX.rounded(.down) - rect.minX.rounded(.down)),
                     height: (rect.maxY.rounded(.down) - rect.minY.rounded(.down)))
        canvas.strokeRect(r, color: Theme.spine, lineWidth: w)
    }

    /// Tick marks outside the left spine and right-aligned labels.
    func drawYTicks(_ canvas: Canvas, _ theme: Theme, labels: Bool = true) {
        let w = max(1, theme.scale.rounded())
        for v in y.minor where y.kind == .log {
            let yy = Canvas.crisp(py(v))
            canvas.line(from: Point(x: rect.minX - theme.tickLength * 0.6, y: yy), to: Point(x: rect.minX, y: yy), color: Theme.spine, width: w)
        }
        for (i, v) in y.major.enumerated() {
            let yy = Canvas.crisp(py(v))
            canvas.line(from: Point(x: rect.minX - theme.tickLength, y: yy), to: Point(x: rect.minX, y: yy), color: Theme.spine, width: w)
            if labels {
                canvas.text(y.labels[i], at: Point(x: rect.minX - theme.tickLength - 4 * theme.scale, y: py(v)),
                            size: theme.tickSize, color: Theme.text, align: .right, baseline: .middle)
            }
        }
    }

    /// Tick marks below the bottom spine and centred labels under them.
    func drawXTicks(_ canvas: Canvas, _ theme: Theme, labels: Bool = true) {
        let w = max(1, theme.scale.rounded())
        for (i, v) in x.major.enumerated() {
            let xx = Canvas.crisp(px(v))
            canvas.line(from: Point(x: xx, y: rect.maxY), to: Point(x: xx, y: rect.maxY + theme.tickLength), color: Theme.spine, width: w)
            if labels {
                canvas.text(x.labels[i], at: Point(x: px(v), y: rect.maxY + theme.tickLength + 4 * theme.scale),
                            size: theme.tickSize, color: Theme.text, align: .center, baseline: .top)
            }
        }
    }
}

/// Layout helpers shared by the charts.
enum Layout {
    /// The widest of `labels` at `size`.
    static func maxWidth(_ labels: [String], canvas: Canvas, size: Double, bold: Bool = false) -> Double {
        labels.map { canvas.textWidth($0, size: size, bold: bold) }.max() ?? 0
    }

    /// Builds an x axis with as many ticks as fit `width` pixels without labels touching:
    /// starts from one tick per ~70 px and asks for fewer until neighbours keep a gap of at
    /// least one "M" width.
    static func fitXAxis(width: Double, canvas: Canvas, theme: Theme, make: (Int) -> Axis) -> Axis {
        var count = max(2, Int(width / (70 * theme.scale)))
        while true {
            let axis = make(count)
            if count <= 2 || fits(axis, width: width, canvas: canvas, theme: theme) { return axis }
            count -= 1
        }
    }

    private static func fits(_ axis: Axis, width: Double, canvas: Canvas, theme: Theme) -> Bool {
        guard axis.major.count > 1 else { return true }
        let gap = canvas.textWidth("M", size: theme.tickSize)
        let widths = axis.labels.map { canvas.textWidth($0, size: theme.tickSize) }
        for i in 1..<axis.major.count {
            let distance = abs(axis.fraction(axis.major[i]) - axis.fraction(axis.major[i - 1])) * width
            if distance < (widths[i] + widths[i - 1]) / 2 + gap { return false }
        }
        return true
    }

    /// How many y ticks fit `height` pixels: about one per 2.8 label heights.
    static func yTickCount(height: Double, theme: Theme) -> Int {
        max(2, min(10, Int(height / (theme.tickSize * 2.8))))
    }

    /// Draws the title (bold, centred) and an optional subtitle beneath it; returns the y
    /// coordinate where the content below may start.
    static func drawTitle(_ title: String, subtitle: String?, canvas: Canvas, theme: Theme, width: Double) -> Double {
        var y = theme.pad
        let fittedTitle = ellipsized(title, maxWidth: width - 2 * theme.pad, canvas: canvas, size: theme.titleSize, bold: true)
        if !fittedTitle.isEmpty {
            y += canvas.capHeight(size: theme.titleSize, bold: true)
            canvas.text(fittedTitle, at: Point(x: width / 2, y: y), size: theme.titleSize, bold: true, color: Theme.text, align: .center)
            y += theme.pad * 0.7
        }
        if let subtitle, !subtitle.isEmpty {
            let fitted = ellipsized(subtitle, maxWidth: width - 2 * theme.pad, canvas: canvas, size: theme.subtitleSize)
            y += canvas.capHeight(size: theme.subtitleSize)
            canvas.text(fitted, at: Point(x: width / 2, y: y), size: theme.subtitleSize, color: Theme.secondaryText, align: .center)
            y += theme.pad * 0.6
        }
        return y + theme.pad * 0.6
    }

    /// `text` shortened with "…" to fit `maxWidth`.
    static func ellipsized(_ text: String, maxWidth: Double, canvas: Canvas, size: Double, bold: Bool = false) -> String {
        if canvas.textWidth(text, size: size, bold: bold) <= maxWidth { return text }
        var characters = Array(text)
        while !characters.isEmpty {
            characters.removeLast()
            let candidate = String(characters) + "…"
            if canvas.textWidth(candidate, size: size, bold: bold) <= maxWidth { return candidate }
        }
        return ""
    }

    /// Reduces a dense pixel polyline to at most ~4 points per pixel column (first, lowest,
    /// highest, last of each column), which looks the same and draws much faster. NaN points
    /// (gaps) are kept.
    static func decimate(_ points: [Point]) -> [Point] {
        guard points.count > 2000 else { return points }
        var result: [Point] = []
        result.reserveCapacity(4000)
        var column: [Point] = []
        var columnX = Int.min
        func flush() {
            guard let first = column.first, let last = column.last else { return }
            var lowest = first
            var highest = first
            for p in column {
                if p.y < lowest.y { lowest = p }
                if p.y > highest.y { highest = p }
            }
            for p in [first, lowest, highest, last] where result.last != p { result.append(p) }
            column.removeAll(keepingCapacity: true)
        }
        for p in points {
            guard p.x.isFinite, p.y.isFinite else {
                flush()
                result.append(p)
                continue
            }
            let cx = Int(p.x.rounded(.down))
            if cx != columnX {
                flush()
                columnX = cx
            }
            column.append(p)
        }
        flush()
        return result
    }
}

/// One line of a legend: a sample (line, marker or filled swatch) and its label.
struct LegendEntry {
    enum Sample {
        case line(dash: [Double])
        case marker(MarkerShape, hollow: Bool)
        case swatch
    }
    var label: String
    var color: Color
    var sample: Sample
}

enum Legend {
    /// Size of the legend box for `entries`.
    static func size(_ entries: [LegendEntry], canvas: Canvas, theme: Theme) -> (width: Double, height: Double) {
        let row = theme.legendSize * 1.55
        let labelWidth = Layout.maxWidth(entries.map(\.label), canvas: canvas, size: theme.legendSize)
        return (labelWidth + 46 * theme.scale, Double(entries.count) * row + 10 * theme.scale)
    }

    /// Draws the legend in the corner of `area` that covers the fewest of `avoid` (pixel
    /// positions of the data), preferring top-right, top-left, bottom-right, bottom-left.
    static func draw(_ entries: [LegendEntry], in area: Rect, avoid: [Point], canvas: Canvas, theme: Theme) {
        guard !entries.isEmpty else { return }
        let (w, h) = size(entries, canvas: canvas, theme: theme)
        let m = 8 * theme.scale
        let candidates = [
            Rect(x: area.maxX - w - m, y: area.minY + m, width: w, height: h),
            Rect(x: area.minX + m, y: area.minY + m, width: w, height: h),
            Rect(x: area.maxX - w - m, y: area.maxY - h - m, width: w, height: h),
            Rect(x: area.minX + m, y: area.maxY - h - m, width: w, height: h),
        ]
        var best = candidates[0]
        var bestCount = Int.max
        for c in candidates {
            let grown = c.inset(left: -m, top: -m, right: -m, bottom: -m)
            let count = avoid.reduce(0) { n, p in
                n + (p.x >= grown.minX && p.x <= grown.maxX && p.y >= grown.minY && p.y <= grown.maxY ? 1 : 0)
            }
            if count < bestCount {
                best = c
                bestCount = count
            }
        }
        drawBox(entries, at: best, canvas: canvas, theme: theme)
    }

    /// Draws the legend box with its top-left corner at `rect.x, rect.y`.
    static func drawBox(_ entries: [LegendEntry], at rect: Rect, canvas: Canvas, theme: Theme) {
        let row = theme.legendSize * 1.55
        canvas.fillRect(rect, color: Color.white.withAlpha(0.9))
        canvas.strokeRect(Rect(x: Canvas.crisp(rect.x), y: Canvas.crisp(rect.y), width: rect.width.rounded(), height: rect.height.rounded()),
                          color: Color(hex: 0xCCCCCC), lineWidth: max(1, theme.scale.rounded()))
        for (i, entry) in entries.enumerated() {
            let cy = rect.minY + 5 * theme.scale + row * (Double(i) + 0.5)
            let x0 = rect.minX + 8 * theme.scale
            let sampleWidth = 24 * theme.scale
            switch entry.sample {
            case .line(let dash):
                canvas.line(from: Point(x: x0, y: cy), to: Point(x: x0 + sampleWidth, y: cy), color: entry.color,
                            width: theme.lineWidth, dash: dash.map { $0 * theme.scale })
            case .marker(let shape, let hollow):
                canvas.marker(shape, at: Point(x: x0 + sampleWidth / 2, y: cy), size: 9 * theme.scale,
                              fill: hollow ? .white : entry.color, stroke: hollow ? entry.color : Color(hex: 0x333333),
                              lineWidth: (hollow ? 1.8 : 0.8) * theme.scale)
            case .swatch:
                let s = 12 * theme.scale
                canvas.fillRect(Rect(x: x0 + sampleWidth / 2 - s / 2, y: cy - s / 2, width: s, height: s), color: entry.color)
                canvas.strokeRect(Rect(x: x0 + sampleWidth / 2 - s / 2, y: cy - s / 2, width: s, height: s), color: Color(hex: 0x888888), lineWidth: 0.8)
            }
            canvas.text(entry.label, at: Point(x: x0 + sampleWidth + 8 * theme.scale, y: cy), size: theme.legendSize,
                        color: Theme.text, baseline: .middle)
        }
    }
}
