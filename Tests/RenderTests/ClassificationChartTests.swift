import Foundation
import Testing
@testable import Render

struct ClassificationChartTests {
    @Test func confusionMatrixShadesByRowFractionAndReportsAccuracy() {
        let chart = ConfusionMatrixChart(title: "c", classNames: ["cat", "dog"], counts: [[90, 10], [30, 70]])
        #expect(chart.accuracy == 0.8)
        #expect(chart.accuracyLine == "accuracy 80.0% (160 of 200)")
        let image = chart.render()
        // Row-normalised: 90/100 and 70/100 on the diagonal, 10/100 and 30/100 off it.
        let shades = [0.9, 0.1, 0.3, 0.7].map { ConfusionMatrixChart.shade($0).rgba }
        let counts = shades.map { shade in
            (0..<image.height).reduce(0) { n, y in n + (0..<image.width).filter { image.pixel(x: $0, y: y) == shade }.count }
        }
        #expect(counts.allSatisfy { $0 > 5000 })
        // Rows are true classes: the 0.9 cell (cat -> cat) is above the 0.7 cell (dog -> dog).
        let rowOf = { (shade: RGBA) -> Int in (0..<image.height).first { y in (0..<image.width).contains { image.pixel(x: $0, y: y) == shade } } ?? -1 }
        #expect(rowOf(shades[0]) < rowOf(shades[3]))
        #expect(ConfusionMatrixChart(title: "e", classNames: [], counts: []).accuracy == nil)
    }

    @Test func decisionBoundarySamplesTheOutputAtCellCentres() {
        var seen: [(Double, Double)] = []
        let chart = DecisionBoundaryChart(title: "d", xRange: 0...2, yRange: 0...4, resolution: 2, classNames: ["a", "b"],
                                          training: []) { (x: Double, y: Double) -> Double in
            seen.append((x, y))
            return x > 1 ? 1 : 0
        }
        #expect(seen.map(\.0) == [0.5, 1.5, 0.5, 1.5])
        #expect(seen.map(\.1) == [1, 1, 3, 3])
        #expect(chart.grid == [[0, 1], [0, 1]])
        #expect(chart.classAt(1.9, 3.9) == 1)
        #expect(chart.classAt(0.1, 0.1) == 0)
        #expect(chart.classAt(5, 5) == nil)
    }

    @Test func decisionBoundaryDrawsClassRegionsAndPoints() {
        // Left half class 0, right half class 1; one training point of each class.
        let chart = DecisionBoundaryChart(title: "d", xRange: -1...1, yRange: -1...1, resolution: 50, classNames: ["left", "right"],
                                          training: [LabeledPoint(x: -0.5, y: 0, value: 0), LabeledPoint(x: 0.5, y: 0, value: 1)],
                                          validation: [LabeledPoint(x: 0.5, y: 0.5, value: 1)]) { (x: Double, _: Double) -> Double in
            x < 0 ? 0 : 1
        }
        let image = chart.render()
        let region0 = DecisionBoundaryChart.classColor(0).mixed(with: .white, amount: DecisionBoundaryChart.regionWhite(certainty: 1)).rgba
        let region1 = DecisionBoundaryChart.classColor(1).mixed(with: .white, amount: DecisionBoundaryChart.regionWhite(certainty: 1)).rgba
        let xs0 = (0..<image.width).filter { image.pixel(x: $0, y: 200) == region0 }
        let xs1 = (0..<image.width).filter { image.pixel(x: $0, y: 200) == region1 }
        #expect(xs0.count > 200 && xs1.count > 200)
        #expect((xs0.max() ?? Int.max) < (xs1.min() ?? 0))
        let point1 = DecisionBoundaryChart.classColor(1).rgba
        #expect((0..<image.width).contains { x in (0..<image.height).contains { image.pixel(x: x, y: $0) == point1 } })
        #expect(chart.summary == "2 training points  ·  1 validation  ·  2 classes  ·  100.0% of training points inside their class region")
    }

    @Test func decisionBoundaryLineFollowsTheInterpolatedFieldNotTheGridSteps() {
        // One output p = 0.5 + 0.3(x - y - 0.33), linear, so certainty |2p - 1| = 0.6|x - y - 0.33|
        // and the boundary is the line y = x - 0.33. A 20x20 grid steps by 0.05; the contour
        // must still lie on the line, not on the cell edges.
        let n = 20
        let centre = { (k: Int) -> Double in (Double(k) + 0.5) / Double(n) }
        let p = { (x: Double, y: Double) -> Double in 0.5 + 0.3 * (x - y - 0.33) }
        let grid = (0..<n).map { i in (0..<n).map { j in p(centre(j), centre(i)) > 0.5 ? 1.0 : 0.0 } }
        let confidence = (0..<n).map { i in (0..<n).map { j in abs(2 * p(centre(j), centre(i)) - 1) } }
        let chart = DecisionBoundaryChart(title: "d", xRange: 0...1, yRange: 0...1, grid: grid, confidence: confidence,
                                          classNames: ["a", "b"], training: [])
        let points = chart.boundarySegments(in: Rect(x: 0, y: 0, width: 200, height: 200)).filter { $0.x.isFinite }
        #expect(points.count >= 2 * n)
        // Pixel (px, py) is data (px / 200, 1 - py / 200). Inside the outer half cell (5 px)
        // the cuts are exact; there the padding (edge cells repeated) continues the line straight.
        let inner = points.filter { $0.x >= 5 && $0.x <= 195 && $0.y >= 5 && $0.y <= 195 }
        #expect(inner.count >= n)
        let worst = inner.map { abs(($0.x / 200 - 0.33) - (1 - $0.y / 200)) }.max() ?? 1
        #expect(worst < 1e-9)
        // The line runs out to the frame: in at the bottom (x = 0.33), out at the right (y = 0.67).
        #expect(points.map(\.y).max() ?? 0 >= 200 && points.map(\.x).max() ?? 0 >= 200)
    }

    @Test func decisionBoundaryWithoutConfidenceCutsHalfWayAndOutlinesEveryClass() {
        // Three vertical bands of 10 columns each: boundaries at x = 1/3 and 2/3, nowhere else.
        let grid = (0..<30).map { _ in (0..<30).map { j in Double(j / 10) } }
        let chart = DecisionBoundaryChart(title: "d", xRange: 0...1, yRange: 0...1, grid: grid,
                                          classNames: ["a", "b", "c"], training: [])
        let xs = Set(chart.boundarySegments(in: Rect(x: 0, y: 0, width: 300, height: 300)).filter { $0.x.isFinite }.map { ($0.x * 1e6).rounded() / 1e6 })
        #expect(xs == [100, 200])
        let uniform = DecisionBoundaryChart(title: "d", xRange: 0...1, yRange: 0...1, grid: [[1, 1], [1, 1]], classNames: ["a", "b"], training: [])
        #expect(uniform.boundarySegments(in: Rect(x: 0, y: 0, width: 10, height: 10)).isEmpty)
    }

    @Test func confusionMatrixWritesLightTextOnDarkCellsAndDarkTextOnLightOnes() {
        // Row fractions: 1.0 and 0.7 and 0.6 (dark and mid blues) take white text; 0.3 and 0 dark text.
        let chart = ConfusionMatrixChart(title: "c", classNames: ["a", "b", "c"], counts: [[100, 0, 0], [30, 70, 0], [0, 40, 60]])
        let image = chart.render()
        // The cell's own pixels (those with the same colour 20 px to one side, which the 16 px
        // colour bar has not), their bounding box, and the text in it.
        func cellText(_ fraction: Double) -> (light: Int, dark: Int, side: Int) {
            let shade = ConfusionMatrixChart.shade(fraction).rgba
            var minX = Int.max, maxX = 0, minY = Int.max, maxY = 0
            for y in 0..<image.height {
                for x in 0..<image.width where image.pixel(x: x, y: y) == shade
                    && (image.pixel(x: x + 20, y: y) == shade || image.pixel(x: x - 20, y: y) == shade) {
                    minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                }
            }
            var light = 0, dark = 0
            for y in minY...maxY {
                for x in minX...maxX {
                    guard let p = image.pixel(x: x, y: y) else { continue }
                    if p.r > 225 && p.g > 225 && p.b > 225 { light += 1 }
                    if p.r < 70 && p.g < 70 && p.b < 70 { dark += 1 }
                }
            }
            return (light, dark, maxX - minX)
        }
        for fraction in [1.0, 0.7, 0.6] {
            let t = cellText(fraction)
            #expect(t.side > 150 && t.light > 150 && t.dark == 0, "fraction \(fraction): \(t)")
        }
        let light = cellText(0.3)
        #expect(light.side > 150 && light.dark > 150, "fraction 0.3: \(light)")
        #expect(ConfusionMatrixChart.shade(0.6).textColor == .white)
        #expect(ConfusionMatrixChart.shade(0.4).textColor == Theme.text)
        #expect(abs(Color(hex: 0x4292C6).luminance - 0.258) < 0.001)
    }
}
