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
