import Foundation
import Testing
@testable import Render

/// Every chart in the situations users meet (normal runs and degenerate input) renders at the
/// requested size, round-trips through PNG, and, when RENDER_SAMPLES_DIR is set, is written
/// there so a person can look at it.
struct GalleryTests {
    static func samples() -> [(name: String, image: RasterImage)] {
        var out: [(String, RasterImage)] = []
        // Seed-like run: smooth decay over 10000 epochs, more than two decades -> log.
        let n = 10000
        let decay: [Double] = (1...n).map { (e: Int) -> Double in 0.3 * exp(-Double(e) / 900) + 3e-5 }
        out.append(("loss-seed", LossCurveChart(title: "worked-example", trainLoss: decay).render()))
        // Classification run with validation, accuracy, schedule, best epoch and early stop.
        let m = 180
        let t: [Double] = (1...m).map { Double($0) }
        let train: [Double] = t.map { (e: Double) -> Double in 1.2 * exp(-e / 40) + 0.05 + 0.01 * sin(e) }
        let val: [Double] = t.map { (e: Double) -> Double in 1.25 * exp(-e / 40) + 0.09 + 0.0004 * max(0, e - 120) }
        let trainAcc: [Double] = t.map { (e: Double) -> Double in 1 - 0.5 * exp(-e / 30) }
        let valAcc: [Double] = t.map { (e: Double) -> Double in 0.93 - 0.45 * exp(-e / 30) }
        let lr: [Double] = t.map { (e: Double) -> Double in e <= 60 ? 0.1 : (e <= 120 ? 0.01 : 0.001) }
        out.append(("loss-classification", LossCurveChart(
            title: "spirals · 2-16-16-3 tanh", trainLoss: train, validationLoss: val, bestEpoch: 131, earlyStopEpoch: 180,
            trainAccuracy: trainAcc, validationAccuracy: valAcc, learningRate: lr).render()))
        out.append(("loss-empty", LossCurveChart(title: "empty", trainLoss: []).render()))
        out.append(("loss-single", LossCurveChart(title: "one epoch", trainLoss: [0.25]).render()))
        out.append(("loss-constant", LossCurveChart(title: "constant", trainLoss: Array(repeating: 0.5, count: 50)).render()))
        out.append(("loss-nan", LossCurveChart(title: "diverged", trainLoss: [1, 2, 4, 16, 256, .infinity, .nan, .nan]).render()))
        out.append(("loss-small", LossCurveChart(title: "small", trainLoss: decay).render(width: 480, height: 320)))
        // Seed: 2 layers, 10000 epochs, gradients shrinking as the loss falls, 2x2 matrices.
        let seedValues: [[Double]] = [0.02, 0.08].map { (scale: Double) -> [Double] in
            (1...n).map { (e: Int) -> Double in scale * exp(-Double(e) / 1500) + scale * 1e-4 }
        }
        let seedMatrices = [
            LayerGradientMatrices(layer: 1, firstEpoch: 1, first: [[0.000438, 0.000498], [0.000877, 0.000995]],
                                  lastEpoch: n, last: [[-1.2e-6, 3.1e-6], [-2.4e-6, 6.2e-6]]),
            LayerGradientMatrices(layer: 2, firstEpoch: 1, first: [[0.0822, -0.0226], [0.0827, -0.0227]],
                                  lastEpoch: n, last: [[2.1e-5, -1.9e-5], [2.2e-5, -2.0e-5]]),
        ]
        let seedHeat = GradientHeatmapChart(title: "worked-example", values: seedValues, matrices: seedMatrices)
        out.append(("heat-seed", seedHeat.render(width: 1000, height: seedHeat.preferredHeight)))
        out.append(("heat-seed-640", seedHeat.render()))
        // Deep sigmoid: 8 layers, each layer below gets ~4x smaller gradients (vanishing).
        let deep: [[Double]] = (0..<8).map { (l: Int) -> [Double] in
            (1...300).map { (e: Int) -> Double in 0.05 * pow(4, Double(l - 7)) * (1 + 0.3 * sin(Double(e) / 20)) * exp(-Double(e) / 400) }
        }
        let deepMatrices: [LayerGradientMatrices] = (1...8).map { (l: Int) -> LayerGradientMatrices in
            let rows = l == 1 ? 2 : 16
            let cols = l == 8 ? 1 : 16
            let m: [[Double]] = (0..<rows).map { (j: Int) -> [Double] in
                (0..<cols).map { (k: Int) -> Double in sin(Double(j * 7 + k * 3 + l)) * pow(4, Double(l - 8)) }
            }
            return LayerGradientMatrices(layer: l, firstEpoch: 1, first: m, lastEpoch: 300, last: m.map { $0.map { $0 * 0.3 } })
        }
        let deepHeat = GradientHeatmapChart(title: "deep-sigmoid · 2-16x7-1", values: deep, matrices: deepMatrices)
        out.append(("heat-deep", deepHeat.render(width: 1000, height: deepHeat.preferredHeight)))
        out.append(("heat-deep-nomatrix", GradientHeatmapChart(title: "deep-sigmoid", values: deep).render()))
        out.append(("heat-one", GradientHeatmapChart(title: "one epoch, one layer", values: [[0.5]],
            matrices: [LayerGradientMatrices(layer: 1, firstEpoch: 1, first: [[0.1]], lastEpoch: 1, last: [[0.1]])]).render()))
        out.append(("heat-bad", GradientHeatmapChart(title: "zeros and NaN", values: [[0, 1e-3, .nan, 1e-2], [.infinity, 0.1, 0.2, 0]],
            matrices: [LayerGradientMatrices(layer: 1, firstEpoch: 1, first: [[0, .nan]], lastEpoch: 4, last: [[0, 0]])]).render()))
        out.append(("heat-empty", GradientHeatmapChart(title: "empty", values: []).render()))
        out += decisionSamples()
        out += confusionSamples()
        return out
    }

    /// Three interleaved spirals, a deterministic point set.
    static func spirals(count: Int, offset: Double) -> [LabeledPoint] {
        (0..<count).map { (i: Int) -> LabeledPoint in
            let c = i % 3
            let r = Double(i / 3) / Double(count / 3) * 5 + 0.2
            let a = 1.75 * Double(i / 3) / Double(count / 3) * 2 * Double.pi + Double(c) * 2 * Double.pi / 3 + offset
            return LabeledPoint(x: r * cos(a) + 0.15 * sin(Double(i) * 12.9898), y: r * sin(a) + 0.15 * cos(Double(i) * 78.233), value: Double(c))
        }
    }

    static func decisionSamples() -> [(String, RasterImage)] {
        var out: [(String, RasterImage)] = []
        let train = spirals(count: 300, offset: 0)
        let validation = spirals(count: 60, offset: 0.05)
        // A stand-in "network": nearest training point's class.
        let chart = DecisionBoundaryChart(title: "spirals · 2-16-16-3 tanh", resolution: 160, classNames: ["class 0", "class 1", "class 2"],
                                          training: train, validation: validation) { (x: Double, y: Double) -> Double in
            var best = 0.0
            var bestD = Double.infinity
            for p in train {
                let d = (p.x - x) * (p.x - x) + (p.y - y) * (p.y - y)
                if d < bestD { bestD = d; best = p.value }
            }
            return best
        }
        out.append(("decision-spirals", chart.render()))
        let xorPoints = [LabeledPoint(x: 0, y: 0, value: 0), LabeledPoint(x: 1, y: 1, value: 0),
                         LabeledPoint(x: 0, y: 1, value: 1), LabeledPoint(x: 1, y: 0, value: 1)]
        let n = 100
        let xr = -0.5...1.5
        let prob: [[Double]] = (0..<n).map { (i: Int) -> [Double] in
            (0..<n).map { (j: Int) -> Double in
                let x = -0.5 + (Double(j) + 0.5) / Double(n) * 2
                let y = -0.5 + (Double(i) + 0.5) / Double(n) * 2
                return 1 / (1 + exp(-12 * (x - 0.5) * (0.5 - y)))
            }
        }
        out.append(("decision-xor", DecisionBoundaryChart(
            title: "xor", xRange: xr, yRange: xr, grid: prob.map { $0.map { $0 > 0.5 ? 1 : 0 } },
            confidence: prob.map { $0.map { abs($0 - 0.5) * 2 } }, classNames: ["false", "true"], training: xorPoints).render()))
        let wave = (0..<200).map { (i: Int) -> LabeledPoint in
            let x = Double(i % 20) / 19 * 4 - 2
            let y = Double(i / 20) / 9 * 4 - 2
            return LabeledPoint(x: x, y: y, value: sin(x) * cos(y))
        }
        out.append(("decision-regression", DecisionBoundaryChart(
            title: "sin(x)·cos(y) regression", resolution: 120, classNames: nil, training: Array(wave.prefix(180)),
            validation: Array(wave.suffix(20)), xLabel: "x", yLabel: "y", valueLabel: "network output") { (x: Double, y: Double) -> Double in
                sin(x) * cos(y) * 0.95
            }.render()))
        out.append(("decision-empty", DecisionBoundaryChart(title: "empty", xRange: 0...0, yRange: 0...1, grid: [],
                                                            classNames: ["a"], training: []).render()))
        return out
    }

    static func confusionSamples() -> [(String, RasterImage)] {
        var out: [(String, RasterImage)] = []
        out.append(("confusion-3", ConfusionMatrixChart(title: "spirals", classNames: ["class 0", "class 1", "class 2"],
                                                        counts: [[95, 3, 2], [4, 90, 6], [0, 7, 93]]).render()))
        let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        let counts: [[Int]] = (0..<10).map { (t: Int) -> [Int] in
            (0..<10).map { (p: Int) -> Int in t == p ? 800 + 17 * t : (t * 7 + p * 3) % 23 }
        }
        out.append(("confusion-10", ConfusionMatrixChart(title: "cifar-ish", classNames: names, counts: counts).render()))
        out.append(("confusion-huge", ConfusionMatrixChart(title: "huge counts", classNames: ["negative", "positive"],
                                                           counts: [[123_456_789, 2_345_678], [0, 0]]).render()))
        let many: [[Int]] = (0..<40).map { (t: Int) -> [Int] in (0..<40).map { (p: Int) -> Int in t == p ? 50 : (t + p) % 5 } }
        out.append(("confusion-40", ConfusionMatrixChart(title: "40 classes", classNames: (0..<40).map { "digit-\($0)" }, counts: many).render()))
        out.append(("confusion-empty", ConfusionMatrixChart(title: "empty", classNames: [], counts: []).render()))
        return out
    }

    @Test func everySampleRendersAtItsSizeAndRoundTrips() throws {
        let dir = ProcessInfo.processInfo.environment["RENDER_SAMPLES_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("render-gallery-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, image) in Self.samples() {
            let path = dir + "/" + name + ".png"
            try PNG.write(image, to: path, text: [("Software", "bp-pipeline test")])
            let back = try PNG.read(path: path)
            #expect(back == image, "\(name) did not round-trip")
            #expect(image.width >= 480 && image.height >= 320)
        }
    }
}
