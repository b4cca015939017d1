import BackpropCore
import PipelineSpec

/// Generated 2-D sets as the TensorFlow Playground draws them (`circle`, `xor`, `gauss`,
/// `spiral`), scikit-learn's two `moons`, and a 1-D regression `sine`.
///
/// The geometry follows the Playground's dataset.ts (and sklearn's make_moons); the numbers come
/// from bp-pipeline's own seeded generator, so the same seed gives the same points on every
/// machine, but not the Playground's points. Classes: 0 `negative` (the Playground's orange, −1)
/// and 1 `positive` (blue, +1).
public struct SyntheticData: DataStage, StagePlugin {
    public static let description = StageDescription(
        name: "synthetic",
        summary: "TensorFlow Playground sets (circle, xor, gauss, spiral), moons, and a regression sine",
        parameters: [dataset, samples, noise, seed, targets] + DataOptions.parameters(test: test),
        example: """
        data:
          type: synthetic
          dataset: spiral
          samples: 500
          noise: 0.1
        """)

    public enum Shape: String, Sendable, CaseIterable, ParameterChoice {
        case circle, xor, gauss, spiral, moons, sine
    }

    static let dataset = Parameter<Shape>.required("dataset", "classification with 2 inputs, or sine (regression, 1 input)")
    static let samples = Parameter("samples", default: 500, range: .atLeast(2), "how many points")
    static let noise = Parameter("noise", default: 0.0, range: .nonNegative,
                                 "the Playground's noise as a fraction (its slider 0–50 is 0–0.5); for moons and sine the σ of Gaussian noise")
    static let seed = Parameter<Int?>.optional("seed", shown: "the spec's seed", range: .nonNegative, "seeds the points")
    static let targets = Parameter("targets", default: "single", choices: ["single", "one_hot"],
                                   "single: one 0/1 output, as the Playground's one output unit; one_hot: two outputs")
    static let test = DataOptions.test("integer")

    let shape: Shape
    let samples: Int
    let noise: Double
    let seed: UInt64
    let oneHot: Bool
    let testSamples: Int?
    let options: DataOptions

    /// The test part's points come from a stream of their own, so they are new points.
    static let testSeedMix: UInt64 = 0x7E57_0000_0000_0001

    public init(_ arguments: PluginArguments) throws {
        shape = try arguments.read(Self.dataset)
        samples = try arguments.read(Self.samples)
        noise = try arguments.read(Self.noise)
        seed = try arguments.read(Self.seed).map { UInt64($0) } ?? arguments.context.seed
        oneHot = try arguments.read(Self.targets) == "one_hot"
        if shape == .sine, let node = arguments.optional("targets") {
            throw SpecError("'targets' applies to the classification sets; sine is regression", at: node.location)
        }
        options = try DataOptions(arguments, test: Self.test)
        testSamples = try options.testNode.map { node in
            let count = try node.int("test")
            guard count >= 1 else { throw SpecError("'test' of synthetic is a number of samples, at least 1, found \(count)", at: node.location) }
            return count
        }
    }

    public func load(_ request: DataRequest) throws -> LoadedData {
        var generator = SeededGenerator(seed: seed)
        let training = Self.generate(shape, samples: samples, noise: noise, oneHot: oneHot, using: &generator)
        let test = testSamples.map { count in
            var testGenerator = SeededGenerator(seed: seed ^ Self.testSeedMix)
            return Self.generate(shape, samples: count, noise: noise, oneHot: oneHot, using: &testGenerator)
        }
        let task: LearningTask = shape == .sine ? .regression : .classification(classes: ["negative", "positive"])
        var loaded = try options.assemble(request, training: training, test: test, task: task,
                                          featureNames: shape == .sine ? ["x"] : ["x1", "x2"],
                                          source: "synthetic \(shape.rawValue)")
        if shape == .sine { loaded.targetNames = ["y"] }
        return loaded
    }

    /// `samples` points of `shape`: inputs (samples, 2) — (samples, 1) for sine — and targets.
    public static func generate(_ shape: Shape, samples: Int, noise: Double, oneHot: Bool,
                                using g: inout SeededGenerator) -> Dataset {
        var points: [(x: Double, y: Double, label: Int)] = []
        points.reserveCapacity(samples)
        let half = samples / 2, rest = samples - samples / 2
        switch shape {
        case .circle:
            // Inside r < 2.5 is positive, the ring 3.5 ≤ r < 5 negative; noise moves the point used
            // for the label only, as in the Playground.
            let radius = 5.0
            for (count, low, high) in [(half, 0.0, radius * 0.5), (rest, radius * 0.7, radius)] {
                for _ in 0..<count {
                    let r = g.uniform(low, high)
                    let angle = g.uniform(0, 2 * .pi)
                    let x = r * _sin(angle), y = r * _cos(angle)
                    let noiseX = g.uniform(-radius, radius) * noise, noiseY = g.uniform(-radius, radius) * noise
                    let distance = ((x + noiseX) * (x + noiseX) + (y + noiseY) * (y + noiseY)).squareRoot()
                    points.append((x, y, distance < radius * 0.5 ? 1 : 0))
                }
            }
        case .xor:
            // Uniform in [−5, 5]², pushed 0.3 away from the axes; positive when x·y ≥ 0.
            for _ in 0..<samples {
                var x = g.uniform(-5, 5)
                x += x > 0 ? 0.3 : -0.3
                var y = g.uniform(-5, 5)
                y += y > 0 ? 0.3 : -0.3
                let noiseX = g.uniform(-5, 5) * noise, noiseY = g.uniform(-5, 5) * noise
                points.append((x, y, (x + noiseX) * (y + noiseY) >= 0 ? 1 : 0))
            }
        case .gauss:
            // Two Gaussians at (2, 2) positive and (−2, −2) negative; variance 0.5 + 7·noise (the
            // Playground maps noise 0…0.5 linearly to variance 0.5…4).
            let sigma = (0.5 + 7 * noise).squareRoot()
            for (count, centre, label) in [(half, 2.0, 1), (rest, -2.0, 0)] {
                for _ in 0..<count {
                    let x = g.normal(mean: centre, standardDeviation: sigma)
                    let y = g.normal(mean: centre, standardDeviation: sigma)
                    points.append((x, y, label))
                }
            }
        case .spiral:
            // Two arms of 1.75 turns out to radius 5, the second rotated by π; noise is uniform in ±noise.
            for (count, delta, label) in [(half, 0.0, 1), (rest, Double.pi, 0)] {
                for i in 0..<count {
                    let r = Double(i) / Double(count) * 5
                    let t = 1.75 * Double(i) / Double(count) * 2 * .pi + delta
                    let x = r * _sin(t) + g.uniform(-1, 1) * noise
                    let y = r * _cos(t) + g.uniform(-1, 1) * noise
                    points.append((x, y, label))
                }
            }
        case .moons:
            // sklearn's make_moons: the upper half circle (negative) and the lower one shifted to
            // (1, 0.5) (positive), evenly spaced, plus Gaussian noise of σ = noise.
            for (count, label) in [(rest, 0), (half, 1)] {
                for i in 0..<count {
                    let t = count > 1 ? Double.pi * Double(i) / Double(count - 1) : 0
                    var x = label == 0 ? _cos(t) : 1 - _cos(t)
                    var y = label == 0 ? _sin(t) : 0.5 - _sin(t)
                    x += g.normal(standardDeviation: noise)
                    y += g.normal(standardDeviation: noise)
                    points.append((x, y, label))
                }
            }
        case .sine:
            // y = sin(x) + N(0, noise²), x uniform in [−π, π).
            var inputs = Matrix(rows: samples, columns: 1), targets = Matrix(rows: samples, columns: 1)
            for i in 0..<samples {
                let x = g.uniform(-.pi, .pi)
                inputs[i, 0] = x
                targets[i, 0] = _sin(x) + g.normal(standardDeviation: noise)
            }
            return Dataset(inputs: inputs, targets: targets)
        }
        var inputs = Matrix(rows: points.count, columns: 2)
        var targets = Matrix(rows: points.count, columns: oneHot ? 2 : 1)
        for (i, point) in points.enumerated() {
            inputs[i, 0] = point.x
            inputs[i, 1] = point.y
            if oneHot { targets[i, point.label] = 1 } else { targets[i, 0] = Double(point.label) }
        }
        return Dataset(inputs: inputs, targets: targets)
    }
}
