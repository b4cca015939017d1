import Foundation
import Testing
@testable import Render

/// Charts decoded back to pixels: data land where they should, text is drawn where labels go.
struct ChartTests {
    static let spine = RGBA(r: 0x40, g: 0x40, b: 0x40)
    static let white = RGBA(r: 255, g: 255, b: 255)

    /// The plot frame of the first (top) panel, found from its spine colour: scanning a row
    /// through the panel for the left and right spines, then a column just inside the left
    /// spine for the top and bottom ones.
    static func frame(_ image: RasterImage, row: Int) -> (left: Int, right: Int, top: Int, bottom: Int)? {
        guard let left = (0..<image.width).first(where: { image.pixel(x: $0, y: row) == spine }),
              let right = (0..<image.width).reversed().first(where: { image.pixel(x: $0, y: row) == spine }) else { return nil }
        let x = left + 3
        guard let top = (0..<row).reversed().first(where: { image.pixel(x: x, y: $0) == spine }),
              let bottom = (row..<image.height).first(where: { image.pixel(x: x, y: $0) == spine }) else { return nil }
        return (left, right, top, bottom)
    }

    /// Pixels of `color` (within `tolerance` per channel) inside the rectangle.
    static func count(_ image: RasterImage, _ color: RGBA, x: Range<Int>, y: Range<Int>, tolerance: Int = 0) -> Int {
        var n = 0
        for yy in y {
            for xx in x {
                guard let p = image.pixel(x: xx, y: yy) else { continue }
                if abs(Int(p.r) - Int(color.r)) <= tolerance && abs(Int(p.g) - Int(color.g)) <= tolerance
                    && abs(Int(p.b) - Int(color.b)) <= tolerance { n += 1 }
            }
        }
        return n
    }

    @Test func aRisingSeriesRunsFromBottomLeftToTopRight() throws {
        let chart = LossCurveChart(title: "rising", trainLoss: (1...100).map(Double.init), scale: .linear)
        let image = chart.render()
        #expect(image.width == 1000 && image.height == 640)
        let f = try #require(Self.frame(image, row: 320))
        let w = f.right - f.left
        let h = f.bottom - f.top
        let blue = LossCurveChart.trainColor.rgba
        // The axis starts at 0 and pads 5% above 100: the line starts near the bottom-left
        // corner and ends near the top-right one.
        #expect(Self.count(image, blue, x: f.left..<(f.left + w / 20), y: (f.bottom - h / 5)..<f.bottom, tolerance: 40) > 10)
        #expect(Self.count(image, blue, x: (f.right - w / 20)..<f.right, y: f.top..<(f.top + h / 5), tolerance: 40) > 10)
        #expect(Self.count(image, blue, x: (f.right - w / 10)..<f.right, y: (f.bottom - h / 3)..<f.bottom, tolerance: 40) == 0)
        // Title band: ink around the centre above the frame, none in the corners.
        let title = try #require(inkBox(image, in: (x: 0..<1000, y: 0..<(f.top - 2))))
        #expect(title.minX > 300 && title.maxX < 700)
        // Tick labels under the frame and left of it; "epoch" below them.
        #expect(inkBox(image, in: (x: f.left..<f.right, y: (f.bottom + 8)..<(f.bottom + 25))) != nil)
        #expect(inkBox(image, in: (x: 0..<(f.left - 6), y: f.top..<f.bottom)) != nil)
    }

    @Test func autoScaleIsLogBeyondTwoDecades() {
        #expect(LossCurveChart(title: "", trainLoss: [1, 0.1, 0.001]).resolvedScale == .log)
        #expect(LossCurveChart(title: "", trainLoss: [1, 0.1, 0.011]).resolvedScale == .linear)
        #expect(LossCurveChart(title: "", trainLoss: [1, 0, -1]).resolvedScale == .linear)
        #expect(LossCurveChart(title: "", trainLoss: [1, 0.5], scale: .log).resolvedScale == .log)
        #expect(LossCurveChart(title: "", trainLoss: [.nan, .nan], scale: .log).resolvedScale == .linear)
    }

    @Test func theSummaryLineTellsWhatHappened() {
        let chart = LossCurveChart(title: "t", trainLoss: [1, 0.5, 0.25], validationLoss: [1.1, 0.6, 0.4], bestEpoch: 3)
        #expect(chart.summary == "3 epochs  ·  final train loss 0.25  ·  validation loss 0.4  ·  best epoch 3")
        let diverged = LossCurveChart(title: "t", trainLoss: [1, 8, .infinity, .nan])
        #expect(diverged.summary == "4 epochs  ·  final train loss NaN")
    }

    @Test func chartsRenderIdenticallyTwice() {
        let loss = LossCurveChart(title: "twice", trainLoss: (1...500).map { exp(-Double($0) / 50) }, validationLoss: (1...500).map { exp(-Double($0) / 60) }, bestEpoch: 400)
        #expect(loss.render() == loss.render())
        let heat = GradientHeatmapChart(title: "twice", values: [[1e-3, 1e-4, 1e-5], [1e-2, 1e-2, 1e-3]])
        #expect(heat.render() == heat.render())
    }

    @Test func heatmapDrawsLayerOneAtTheBottomOnViridis() throws {
        // Layer 1 holds the smallest value (viridis' dark end), layer 3 the largest (yellow end).
        let chart = GradientHeatmapChart(title: "layers", values: [[1e-6, 1e-6], [1e-4, 1e-4], [1e-2, 1e-2]])
        let image = chart.render()
        let x = 300
        let dark = ColorMap.viridis(0).rgba
        let bright = ColorMap.viridis(1).rgba
        let darkRows = (0..<image.height).filter { image.pixel(x: x, y: $0) == dark }
        let brightRows = (0..<image.height).filter { image.pixel(x: x, y: $0) == bright }
        #expect(darkRows.count > 50 && brightRows.count > 50)
        #expect((darkRows.min() ?? 0) > (brightRows.max() ?? Int.max))
    }

    @Test func colourBarEndsMatchViridisEnds() throws {
        let chart = GradientHeatmapChart(title: "bar", values: [[1e-5, 1e-3], [1e-2, 1]])
        let image = chart.render()
        // The colour bar is the rightmost coloured (non-grey) column band at mid height.
        let mid = image.height / 2
        let isColoured = { (p: RGBA) -> Bool in !(p.r == p.g && p.g == p.b) }
        let edge = try #require((0..<image.width).reversed().first { image.pixel(x: $0, y: mid).map(isColoured) ?? false })
        let x = edge - 4
        var top = mid
        while let p = image.pixel(x: x, y: top - 1), isColoured(p) { top -= 1 }
        var bottom = mid
        while let p = image.pixel(x: x, y: bottom + 1), isColoured(p) { bottom += 1 }
        #expect(bottom - top > 200)
        let close = { (a: RGBA?, b: RGBA) -> Bool in
            guard let a else { return false }
            return abs(Int(a.r) - Int(b.r)) <= 3 && abs(Int(a.g) - Int(b.g)) <= 3 && abs(Int(a.b) - Int(b.b)) <= 3
        }
        #expect(close(image.pixel(x: x, y: top), ColorMap.viridis(1).rgba))
        #expect(close(image.pixel(x: x, y: bottom), ColorMap.viridis(0).rgba))
    }

    @Test func missingGradientValuesAreGreyNotFatal() {
        let chart = GradientHeatmapChart(title: "bad", values: [[0, .nan, .infinity, 1e-3], [1e-2, -1, 1e-2, 1e-2]])
        let image = chart.render()
        let grey = RGBA(r: 0xBD, g: 0xBD, b: 0xBD)
        let greyPixels = Self.count(image, grey, x: 0..<image.width, y: 0..<image.height)
        #expect(greyPixels > 5000)
        // One layer and one epoch still draw a full cell of the map.
        let one = GradientHeatmapChart(title: "one", values: [[0.5]]).render()
        #expect(Self.count(one, ColorMap.viridis(0.5).rgba, x: 0..<one.width, y: 0..<one.height, tolerance: 2) > 50000)
    }

    @Test func matrixPanelsUseTheDivergingMapCentredOnZero() {
        let m = LayerGradientMatrices(layer: 1, firstEpoch: 1, first: [[1, -1], [0, 0.5]], lastEpoch: 9, last: [[0, 0], [0, 0]])
        let chart = GradientHeatmapChart(title: "m", values: [[1, 0.5]], matrices: [m])
        let image = chart.render(width: 1000, height: chart.preferredHeight)
        let red = ColorMap.diverging(1).rgba
        let blue = ColorMap.diverging(0).rgba
        let lower = image.height / 2
        #expect(Self.count(image, red, x: 0..<image.width, y: lower..<image.height) > 400)
        #expect(Self.count(image, blue, x: 0..<image.width, y: lower..<image.height) > 400)
    }

    @Test func matrixIndexLabelsThinOutWhenCellsAreSmall() {
        #expect(MatrixPanels.indexTicks(4) == [1, 2, 3, 4])
        #expect(MatrixPanels.indexTicks(16) == [1, 5, 10, 15])
        // 3 px cells and labels needing 13 px: 1 -> 5 is 12 px, too close; 10 and 15 are not.
        #expect(MatrixPanels.indexTicks(16, cell: 3, minGap: 13) == [1, 10, 15])
        #expect(MatrixPanels.indexTicks(2, cell: 8, minGap: 15) == [1])
    }

    @Test func oneEpochDrawsOneMatrixPanelPerLayerAndTallNetworksGetTallerImages() {
        let m = [[1.0, -1.0], [0.5, -0.5]]
        let pair = GradientHeatmapChart(title: "m", values: [[1, 0.5]],
                                        matrices: [LayerGradientMatrices(layer: 1, firstEpoch: 1, first: m, lastEpoch: 2, last: m)])
        let single = GradientHeatmapChart(title: "m", values: [[1]],
                                          matrices: [LayerGradientMatrices(layer: 1, firstEpoch: 1, first: m, lastEpoch: 1, last: m)])
        let red = ColorMap.diverging(1).rgba
        let redPair = Self.count(pair.render(width: 1000, height: 960), red, x: 0..<1000, y: 480..<960)
        let redSingle = Self.count(single.render(width: 1000, height: 960), red, x: 0..<1000, y: 480..<960)
        #expect(redSingle > 400 && abs(redPair - 2 * redSingle) < redSingle / 10)
        // Nine 16x16 layers need more than the default 960 px to keep their panels readable.
        let deep = (1...9).map { l in LayerGradientMatrices(layer: l, firstEpoch: 1, first: Array(repeating: Array(repeating: 0.1, count: 16), count: 16),
                                                            lastEpoch: 5, last: Array(repeating: Array(repeating: 0.1, count: 16), count: 16)) }
        let tall = GradientHeatmapChart(title: "deep", values: Array(repeating: [1, 2, 3, 4, 5], count: 9), matrices: deep).preferredHeight
        #expect(tall > 1200 && tall <= 2000)
        #expect(pair.preferredHeight == 960)
        #expect(GradientHeatmapChart(title: "none", values: [[1]]).preferredHeight == 640)
    }
}
