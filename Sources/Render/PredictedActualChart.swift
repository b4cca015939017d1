import Foundation

/// Regression outputs against their targets: one square panel per target, actual on x and
/// predicted on y over the same range, the identity line y = x (perfect predictions) dashed, and
/// the panel's R² and sample count in its top-left corner. Points above the line are over-predictions.
public struct PredictedActualChart: Sendable {
    /// One target's points.
    public struct Target: Sendable {
        public var name: String
        public var actual: [Double]
        public var predicted: [Double]
        /// 1 − SS_res/SS_tot, computed by the caller (NaN when the target is constant).
        public var r2: Double

        public init(name: String, actual: [Double], predicted: [Double], r2: Double) {
            self.name = name
            self.actual = actual
            self.predicted = predicted
            self.r2 = r2
        }
    }

    public var title: String
    public var subtitle: String?
    public var targets: [Target]
    /// More points than this are thinned to every k-th sample (the R² stays the caller's, over all of them).
    public static let maximumPoints = 20_000

    public init(title: String, targets: [Target], subtitle: String? = nil) {
        self.title = title
        self.targets = targets
        self.subtitle = subtitle
    }

    static let pointColor = Theme.palette[0]
    static let identityColor = Theme.palette[3]

    /// "R² 0.8123  ·  n 150" for a panel's corner.
    static func label(_ target: Target) -> String {
        let r2 = target.r2.isFinite ? NumberFormat.short(target.r2) : "undefined (constant target)"
        return "R² \(r2)  ·  n \(NumberFormat.count(Double(target.actual.count)))"
    }

    public func render(width: Int = 1000, height: Int = 560) -> RasterImage {
        let canvas = Canvas(width: width, height: height)
        let theme = Theme(width: width, height: height)
        let W = Double(canvas.width)
        let H = Double(canvas.height)
        let top = Layout.drawTitle(title, subtitle: subtitle ?? "predicted against actual, dashed: predicted = actual",
                                   canvas: canvas, theme: theme, width: W)
        guard !targets.isEmpty else {
            canvas.text("no targets", at: Point(x: W / 2, y: (top + H) / 2), size: theme.axisTitleSize, color: Theme.secondaryText,
                        align: .center, baseline: .middle)
            return canvas.image()
        }
        let n = Double(targets.count)
        let tickLabelHeight = canvas.lineHeight(size: theme.tickSize)
        let axisTitleHeight = canvas.lineHeight(size: theme.axisTitleSize)
        let bottomBand = theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4 + axisTitleHeight + theme.pad * 0.7
        let gap = theme.pad * 2
        let axes = targets.map { target -> Axis in
            let values = (target.actual + target.predicted).filter(\.isFinite)
            return Axis.linear(dataMin: values.min() ?? 0, dataMax: values.max() ?? 1, maxTicks: 6)
        }
        let yLabelWidth = axes.map { Layout.maxWidth($0.labels, canvas: canvas, size: theme.tickSize) }.max() ?? 0
        let leftBand = theme.pad + axisTitleHeight + theme.pad * 0.5 + yLabelWidth + theme.tickLength + 4 * theme.scale
        let available = max(20, H - top - bottomBand)
        // Square panels side by side, as large as both the height and the width allow.
        let side = max(20, min(available, (W - theme.pad * 1.6 - n * leftBand - (n - 1) * gap) / n))
        let rowWidth = n * (leftBand + side) + (n - 1) * gap
        var x = max(0, (W - rowWidth) / 2)
        for (target, axis) in zip(targets, axes) {
            let panel = Panel(rect: Rect(x: x + leftBand, y: top, width: side, height: side), x: axis, y: axis)
            panel.drawGrid(canvas, theme)
            let lower = Point(x: panel.px(axis.lower), y: panel.py(axis.lower))
            let upper = Point(x: panel.px(axis.upper), y: panel.py(axis.upper))
            canvas.line(from: lower, to: upper, color: Self.identityColor, width: 1.5 * theme.scale,
                        dash: [6 * theme.scale, 4 * theme.scale])
            let count = min(target.actual.count, target.predicted.count)
            let stride = max(1, (count + Self.maximumPoints - 1) / Self.maximumPoints)
            let radius = (count > 2000 ? 1.6 : 2.6) * theme.scale
            let fill = Self.pointColor.withAlpha(count > 2000 ? 0.35 : 0.6)
            canvas.withClip(panel.rect) {
                for i in Swift.stride(from: 0, to: count, by: stride) where target.actual[i].isFinite && target.predicted[i].isFinite {
                    canvas.circle(center: panel.point(target.actual[i], target.predicted[i]), radius: radius, fill: fill)
                }
            }
            panel.drawFrame(canvas, theme)
            panel.drawYTicks(canvas, theme)
            panel.drawXTicks(canvas, theme)
            canvas.text(Self.label(target), at: Point(x: panel.rect.minX + theme.pad * 0.6, y: panel.rect.minY + theme.pad * 0.6),
                        size: theme.legendSize, bold: true, color: Theme.text, align: .left, baseline: .top)
            canvas.text("predicted \(target.name)", at: Point(x: x + theme.pad + axisTitleHeight * 0.75, y: panel.rect.midY),
                        size: theme.axisTitleSize, color: Theme.text, align: .center, baseline: .baseline, rotation: 90)
            let xTitleY = panel.rect.maxY + theme.tickLength + 4 * theme.scale + tickLabelHeight + theme.pad * 0.4
            canvas.text("actual \(target.name)", at: Point(x: panel.rect.midX, y: xTitleY), size: theme.axisTitleSize,
                        color: Theme.text, align: .center, baseline: .top)
            x += leftBand + side + gap
        }
        return canvas.image()
    }
}
