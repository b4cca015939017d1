import Foundation
import Testing
@testable import Render

/// The sweep's comparison charts decoded back to pixels: bands and lines where the numbers put
/// them, no band for one seed, gaps for missing values, zero gradients on the bottom edge, and
/// a legend beside the plot however many combinations there are.
struct ComparisonChartTests {
    static let spine = ChartTests.spine

    /// A constant spread: mean 0.5, band 0.25 ... 0.75, over `epochs` epochs.
    static func constant(_ epochs: Int, count: Int = 3) -> [Spread?] {
        Array(repeating: Spread(mean: 0.5, minimum: 0.25, maximum: 0.75, count: count), count: epochs)
    }

    /// The frame of the panel whose left spine is the first spine column at or after `start`
    /// on `row` (the next one is its right spine). A spine column is spine-coloured 20 pixels
    /// above and below too, which tick labels' antialiased pixels are not.
    static func frame(_ image: RasterImage, row: Int, from start: Int = 0) -> (left: Int, right: Int, top: Int, bottom: Int)? {
        func isSpine(_ x: Int) -> Bool { [row - 20, row, row + 20].allSatisfy { image.pixel(x: x, y: $0) == spine } }
        guard let left = (start..<image.width).first(where: isSpine),
              let right = ((left + 2)..<image.width).first(where: isSpine) else { return nil }
        let x = left + 3
        guard let top = (0..<row).reversed().first(where: { image.pixel(x: x, y: $0) == spine }),
              let bottom = (row..<image.height).first(where: { image.pixel(x: x, y: $0) == spine }) else { return nil }
        return (left, right, top, bottom)
    }

    /// Rows of column `x` whose colour is within `tolerance` of `color`.
    static func rows(_ image: RasterImage, x: Int, _ color: RGBA, tolerance: Int = 2) -> [Int] {
        (0..<image.height).filter { y in
            guard let p = image.pixel(x: x, y: y) else { return false }
            return abs(Int(p.r) - Int(color.r)) <= tolerance && abs(Int(p.g) - Int(color.g)) <= tolerance
                && abs(Int(p.b) - Int(color.b)) <= tolerance
        }
    }

    /// The colour of `color` at the band's opacity over white.
    static func tint(_ color: Color, alpha: Double = ComparisonStyle.bandAlpha) -> RGBA {
        color.withAlpha(1).mixed(with: .white, amount: 1 - alpha).rgba
    }

    /// Encodes and decodes `image` through a PNG file, as a user would open it.
    static func roundTrip(_ image: RasterImage) throws -> RasterImage {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bp-comparison-\(UUID().uuidString).png").path
        defer { unlink(path) }
        try PNG.write(image, to: path)
        return try PNG.read(path: path)
    }

    @Test func theBandSpansMinimumToMaximumAroundTheMeanLine() throws {
        let chart = SweepLossChart(title: "band", series: [.init(label: "sigmoid", epochs: Array(1...10), train: Self.constant(10))])
        #expect(chart.resolvedScale == .linear)
        let image = try Self.roundTrip(chart.render())
        #expect(image.width == 1000 && image.height == 640)
        let f = try #require(Self.frame(image, row: 320))
        let x = (f.left + f.right) / 2
        let line = Self.rows(image, x: x, SweepLossChart.color(0).rgba, tolerance: 30)
        let band = Self.rows(image, x: x, Self.tint(SweepLossChart.color(0)))
        #expect(!line.isEmpty && line.count <= 4)
        let bandTop = try #require(band.min()), bandBottom = try #require(band.max())
        // The axis starts at 0 (losses near zero) and ends 5% above the maximum: 0.7875. The band
        // covers 0.5 of it, centred on the line.
        let height = Double(f.bottom - f.top)
        #expect(abs(Double(bandBottom - bandTop) - height * 0.5 / 0.7875) <= 4)
        let mid = Double(line.min()! + line.max()!) / 2
        #expect(abs(mid - Double(bandTop + bandBottom) / 2) <= 2)
        #expect(abs(Double(f.bottom) - mid - height * 0.5 / 0.7875) <= 3)
        // Nothing of the band beyond its ends.
        #expect(Self.rows(image, x: x, Self.tint(SweepLossChart.color(0)), tolerance: 6).allSatisfy { $0 >= bandTop - 2 && $0 <= bandBottom + 2 })
    }

    @Test func oneSeedDrawsTheLineWithoutABand() throws {
        let chart = SweepLossChart(title: "one seed", series: [.init(label: "relu", epochs: Array(1...10), train: Self.constant(10, count: 1))])
        let image = chart.render()
        let f = try #require(Self.frame(image, row: 320))
        let tint = Self.tint(SweepLossChart.color(0))
        #expect(ChartTests.count(image, tint, x: (f.left + 2)..<(f.right - 2), y: (f.top + 2)..<(f.bottom - 2), tolerance: 3) == 0)
        #expect(!Self.rows(image, x: (f.left + f.right) / 2, SweepLossChart.color(0).rgba, tolerance: 30).isEmpty)
        #expect(chart.summary == "1 combination, 1 run each")
    }

    @Test func missingEpochsAreGapsAndShortRunsEndEarly() throws {
        // Epochs 1-4 and 7-10 have values; 5 and 6 none (a diverged stretch). A second
        // combination stops at epoch 5.
        var train = Self.constant(10)
        train[4] = nil
        train[5] = nil
        let short = [Spread?](repeating: Spread(mean: 0.3, minimum: 0.3, maximum: 0.3, count: 1), count: 5)
        let chart = SweepLossChart(title: "gaps", series: [.init(label: "a", epochs: Array(1...10), train: train),
                                                           .init(label: "b", epochs: Array(1...5), train: short)])
        let image = chart.render()
        let f = try #require(Self.frame(image, row: 320))
        func column(_ epoch: Double) -> Int { f.left + Int(((epoch - 1) / 9 * Double(f.right - f.left)).rounded()) }
        let a = SweepLossChart.color(0).rgba
        #expect(Self.rows(image, x: column(5.5), a, tolerance: 30).isEmpty)
        #expect(!Self.rows(image, x: column(2.5), a, tolerance: 30).isEmpty)
        #expect(!Self.rows(image, x: column(8.5), a, tolerance: 30).isEmpty)
        let b = SweepLossChart.color(1).rgba
        #expect(!Self.rows(image, x: column(3), b, tolerance: 30).isEmpty)
        #expect(Self.rows(image, x: column(8), b, tolerance: 30).isEmpty)
    }

    @Test func lossesSpanningDecadesUseALogScale() {
        let decades = [Spread(mean: 1, minimum: 0.8, maximum: 1.2, count: 2), Spread(mean: 0.001, minimum: 0.0005, maximum: 0.002, count: 2)]
        let flat = [Spread(mean: 1, minimum: 0.8, maximum: 1.2, count: 2), Spread(mean: 0.5, minimum: 0.4, maximum: 0.6, count: 2)]
        #expect(SweepLossChart(title: "", series: [.init(label: "a", epochs: [1, 2], train: decades)]).resolvedScale == .log)
        #expect(SweepLossChart(title: "", series: [.init(label: "a", epochs: [1, 2], train: flat)]).resolvedScale == .linear)
        #expect(SweepLossChart(title: "", series: [.init(label: "a", epochs: [1, 2], train: flat)], scale: .log).resolvedScale == .log)
        #expect(SweepLossChart(title: "", series: []).resolvedScale == .linear)
    }

    @Test func validationIsDashedAndTheSubtitleSaysWhatTheBandIs() {
        let chart = SweepLossChart(title: "", series: [.init(label: "a", epochs: [1, 2], train: Self.constant(2), validation: Self.constant(2))])
        #expect(chart.summary == "1 combination × up to 3 seeds  ·  line: mean across seeds, band: min–max  ·  solid: train, dashed: validation")
    }

    @Test func theLegendSitsBesideThePlotForManyCombinations() throws {
        func spread(_ v: Double) -> Spread? { Spread(mean: v, minimum: 0.9 * v, maximum: 1.1 * v, count: 2) }
        let series = (0..<18).map { (i: Int) -> SweepLossChart.Series in
            let train: [Spread?] = (1...20).map { (e: Int) in spread(1 / Double(e + i)) }
            return SweepLossChart.Series(label: "activation.type=act\(i), lr=0.\(i)", epochs: Array(1...20), train: train)
        }
        let image = SweepLossChart(title: "many", series: series).render()
        let f = try #require(Self.frame(image, row: 320))
        // Legend ink (labels) right of the plot's right spine, none of it inside the plot's top-right corner.
        let legendInk = ChartTests.count(image, Theme.text.rgba, x: (f.right + 4)..<image.width, y: f.top..<f.bottom, tolerance: 60)
        #expect(legendInk > 500)
        // The legend box's border (#CCCCCC) is nowhere inside the plot.
        #expect(ChartTests.count(image, RGBA(r: 0xCC, g: 0xCC, b: 0xCC), x: (f.left + 1)..<f.right, y: (f.top + 1)..<f.bottom) == 0)
        #expect(ChartTests.count(image, RGBA(r: 0xCC, g: 0xCC, b: 0xCC), x: f.right..<image.width, y: f.top..<f.bottom) > 100)
        // Eighteen colours, all different: tab10 then tab20's light partners.
        #expect(Set((0..<18).map { SeriesColors.color($0) }).count == 18)
    }

    @Test func sideLegendUsesColumnsThenSmallerTextThenCountsTheRest() {
        let canvas = Canvas(width: 1000, height: 640)
        let theme = Theme(width: 1000, height: 640)
        func entries(_ n: Int) -> [SideLegend.Entry] { (0..<n).map { .init(label: "combination \($0)", color: .black, sample: .band) } }
        let twenty = SideLegend(entries(20), maxWidth: 380, maxHeight: 480, canvas: canvas, theme: theme)
        #expect(twenty.columns == 1 && twenty.size == theme.legendSize && twenty.hidden == 0)
        #expect(twenty.height <= 480)
        let sixty = SideLegend(entries(60), maxWidth: 380, maxHeight: 480, canvas: canvas, theme: theme)
        #expect(sixty.columns == 3 && sixty.hidden == 0 && sixty.width <= 380 && sixty.height <= 480)
        let many = SideLegend(entries(500), maxWidth: 380, maxHeight: 480, canvas: canvas, theme: theme)
        #expect(many.hidden > 0 && many.width <= 380 && many.height <= 480)
        #expect(many.entries.last?.label == "+ \(many.hidden) more")
        #expect(many.entries.count == many.columns * many.rowsPerColumn)
    }

    static func depthSeries(_ label: String, _ values: [Double]) -> GradientDepthChart.Series {
        let spreads = values.map { Spread(mean: $0, minimum: $0 / 2, maximum: $0 * 2, count: 3) }
        return .init(label: label, first: spreads, last: spreads)
    }

    @Test func gradientsByDepthShareOneLogScaleAcrossBothPanels() throws {
        // Sigmoid: 1e-6 at layer 1 up to 1e-1 at the output (layer 6); relu flat at 1e-2, three layers.
        let chart = GradientDepthChart(title: "depth", series: [Self.depthSeries("sigmoid", [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]),
                                                                Self.depthSeries("relu", [1e-2, 1e-2, 1e-2])])
        #expect(chart.depth == 6)
        #expect(chart.summary == "2 combinations × up to 3 seeds  ·  line: mean across seeds, band: min–max  ·  layer 1 = first hidden, last = output")
        let image = try Self.roundTrip(chart.render())
        #expect(image.width == 1000 && image.height == 560)
        let left = try #require(Self.frame(image, row: 300, from: 0))
        let right = try #require(Self.frame(image, row: 300, from: left.right + 5))
        #expect(left.top == right.top && left.bottom == right.bottom)
        // (x axis 0.6 ... 6.4.) Sigmoid's dot at layer 1 sits near the bottom, its output dot near the top, the same in both panels.
        let sigmoid = GradientDepthChart.color(0).rgba
        for f in [left, right] {
            func column(_ layer: Double) -> Int { f.left + Int(((layer - 0.6) / 5.8 * Double(f.right - f.left)).rounded()) }
            let first = Self.rows(image, x: column(1), sigmoid, tolerance: 20)
            let last = Self.rows(image, x: column(6), sigmoid, tolerance: 20)
            let height = Double(f.bottom - f.top)
            // Axis: 1e-6/2 ... 1e-1*2 in log10, padded 8% each side; the layer-1 mean (1e-6) is at
            // (log10(1e-6) - lower) / span of the height from the bottom.
            let lower = log10(0.5e-6), upper = log10(0.2), pad = 0.08 * (upper - lower)
            let fraction = { (v: Double) in (log10(v) - (lower - pad)) / (upper - lower + 2 * pad) }
            let y1 = Double(f.bottom) - fraction(1e-6) * height
            let y6 = Double(f.bottom) - fraction(1e-1) * height
            #expect(first.contains { abs(Double($0) - y1) <= 2 })
            #expect(last.contains { abs(Double($0) - y6) <= 2 })
        }
    }

    @Test func zeroGradientsSitOnTheBottomEdgeWithANote() throws {
        let zero = GradientDepthChart.Series(label: "dead", first: [Spread(mean: 0, minimum: 0, maximum: 0, count: 2), Spread(mean: 0.01, minimum: 0.01, maximum: 0.01, count: 2)],
                                             last: [nil, Spread(mean: 0.02, minimum: 0.02, maximum: 0.02, count: 2)])
        let chart = GradientDepthChart(title: "zero", series: [zero])
        #expect(chart.zeroMeans == 1)
        let image = chart.render()
        let f = try #require(Self.frame(image, row: 300, from: 0))
        let color = GradientDepthChart.color(0).rgba
        // The triangle's outline near the bottom edge above layer 1 (x fraction (1 - 0.6) / 1.8).
        let x = f.left + Int(0.4 / 1.8 * Double(f.right - f.left))
        let hits = ChartTests.count(image, color, x: (x - 8)..<(x + 8), y: (f.bottom - 16)..<f.bottom, tolerance: 40)
        #expect(hits > 10)
        // The note under the chart.
        #expect(inkBox(image, in: (x: 0..<600, y: (image.height - 22)..<image.height)) != nil)
    }

    @Test func emptySweepsDrawASayingNotACrash() throws {
        let loss = SweepLossChart(title: "nothing yet", series: []).render()
        let depth = GradientDepthChart(title: "nothing yet", series: []).render()
        #expect(loss.width == 1000 && depth.height == 560)
        let f = try #require(Self.frame(loss, row: 320))
        #expect(inkBox(loss, in: (x: (f.left + 2)..<(f.right - 2), y: (f.top + 2)..<(f.bottom - 2))) != nil)
    }

    @Test func theSameSeriesGiveTheSamePixels() {
        let series = [SweepLossChart.Series(label: "a", epochs: Array(1...50), train: (1...50).map { Spread([1 / Double($0), 2 / Double($0)]) })]
        #expect(SweepLossChart(title: "t", series: series).render() == SweepLossChart(title: "t", series: series).render())
        let depth = [Self.depthSeries("a", [1e-4, 1e-2, 1])]
        #expect(GradientDepthChart(title: "t", series: depth).render() == GradientDepthChart(title: "t", series: depth).render())
    }

    @Test func spreadOfFiniteValues() {
        #expect(Spread([0.5, 0.25, 1]) == Spread(mean: (0.5 + 0.25 + 1) / 3, minimum: 0.25, maximum: 1, count: 3))
        #expect(Spread([.nan, 2, .infinity]) == Spread(mean: 2, minimum: 2, maximum: 2, count: 1))
        #expect(Spread([.nan]) == nil)
        #expect(Spread([]) == nil)
    }
}
