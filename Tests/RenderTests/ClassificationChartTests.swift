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
        let region0 = DecisionBoundaryChart.classColor(0).mixed(with: .white, amount: 0.48).rgba
        let region1 = DecisionBoundaryChart.classColor(1).mixed(with: .white, amount: 0.48).rgba
        let xs0 = (0..<image.width).filter { image.pixel(x: $0, y: 200) == region0 }
        let xs1 = (0..<image.width).filter { image.pixel(x: $0, y: 200) == region1 }
        #expect(xs0.count > 200 && xs1.count > 200)
        #expect((xs0.max() ?? Int.max) < (xs1.min() ?? 0))
        let point1 = DecisionBoundaryChart.classColor(1).rgba
        #expect((0..<image.width).contains { x in (0..<image.height).contains { image.pixel(x: x, y: $0) == point1 } })
        #expect(chart.summary == "2 training points  ·  1 validation  ·  2 classes  ·  100.0% of training points inside their class region")
    }
}
