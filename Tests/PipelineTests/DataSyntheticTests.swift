import BackpropCore
import Foundation
import Testing
@testable import Pipeline

/// `synthetic`: the Playground's geometry, exactly, and seeding.
@Suite struct DataSyntheticTests {
    func points(_ shape: SyntheticData.Shape, samples: Int = 200, noise: Double = 0, seed: UInt64 = 1,
                oneHot: Bool = false) -> Dataset {
        var generator = SeededGenerator(seed: seed)
        return SyntheticData.generate(shape, samples: samples, noise: noise, oneHot: oneHot, using: &generator)
    }

    @Test(arguments: SyntheticData.Shape.allCases)
    func sameSeedSamePointsOtherSeedOtherPoints(_ shape: SyntheticData.Shape) {
        let a = points(shape, noise: 0.2, seed: 9), b = points(shape, noise: 0.2, seed: 9), c = points(shape, noise: 0.2, seed: 10)
        #expect(a.inputs == b.inputs && a.targets == b.targets)
        #expect(a.inputs != c.inputs)
        #expect(a.count == 200)
        #expect(a.featureCount == (shape == .sine ? 1 : 2))
    }

    /// Without noise: inside r < 2.5 positive, the ring 3.5 ≤ r < 5 negative, half each.
    @Test func circle() {
        let data = points(.circle, samples: 301)
        #expect(data.count == 301)
        for i in 0..<data.count {
            let r = (data.inputs[i, 0] * data.inputs[i, 0] + data.inputs[i, 1] * data.inputs[i, 1]).squareRoot()
            if i < 150 {
                #expect(r < 2.5 && data.targets[i, 0] == 1)
            } else {
                #expect(r >= 3.5 && r < 5 && data.targets[i, 0] == 0)
            }
        }
    }

    @Test func xor() {
        let data = points(.xor)
        #expect(data.count == 200)
        for i in 0..<data.count {
            let (x, y) = (data.inputs[i, 0], data.inputs[i, 1])
            #expect(abs(x) >= 0.3 && abs(x) <= 5.3 && abs(y) >= 0.3 && abs(y) <= 5.3)
            #expect(data.targets[i, 0] == (x * y >= 0 ? 1 : 0))
        }
    }

    /// Two arms: point i of n lies at radius 5i/n and angle 1.75·2π·i/n (+π for the second arm).
    @Test func spiral() {
        let data = points(.spiral, samples: 100)
        for i in 0..<50 {
            let r = Double(i) / 50 * 5, t = 1.75 * Double(i) / 50 * 2 * .pi
            #expect(data.inputs[i, 0] == r * _sin(t) && data.inputs[i, 1] == r * _cos(t))
            #expect(data.inputs[50 + i, 0] == r * _sin(t + .pi) && data.targets[50 + i, 0] == 0)
        }
    }

    @Test func gaussCentres() {
        let data = points(.gauss, samples: 4000)
        let meanX = (0..<2000).map { data.inputs[$0, 0] }.reduce(0, +) / 2000
        let meanY = (2000..<4000).map { data.inputs[$0, 1] }.reduce(0, +) / 2000
        #expect(abs(meanX - 2) < 0.05 && abs(meanY + 2) < 0.05)
        #expect((0..<2000).allSatisfy { data.targets[$0, 0] == 1 })
    }

    /// make_moons: the upper arc from (1, 0) to (−1, 0), the lower from (0, 0.5) to (2, 0.5).
    @Test func moons() {
        let data = points(.moons, samples: 10)
        #expect(data.inputs.row(0) == [1, 0])
        #expect(abs(data.inputs[4, 0] + 1) < 1e-15 && abs(data.inputs[4, 1]) < 1e-15)
        #expect(data.inputs.row(5) == [0, 0.5])
        #expect(abs(data.inputs[9, 0] - 2) < 1e-15 && abs(data.inputs[9, 1] - 0.5) < 1e-15)
        #expect(data.targets.storage == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    }

    @Test func sine() {
        let data = points(.sine)
        #expect(data.count == 200)
        for i in 0..<data.count {
            #expect(data.targets[i, 0] == _sin(data.inputs[i, 0]))
            #expect(data.inputs[i, 0] >= -.pi && data.inputs[i, 0] < .pi)
        }
    }

    @Test func oneHotTargets() {
        let data = points(.xor, samples: 4, oneHot: true)
        #expect(data.targetCount == 2)
        #expect((0..<4).allSatisfy { data.targets[$0, 0] + data.targets[$0, 1] == 1 })
    }

    /// The seed defaults to the spec's; `test` draws new points from a stream of their own.
    @Test func pluginSeedsAndTestPart() throws {
        let scratch = try DataScratch()
        let data = try scratch.load("type: synthetic\ndataset: spiral\nsamples: 60\nnoise: 0.1\ntest: 20\nvalidation: 0.25")
        var whole = points(.spiral, samples: 60, noise: 0.1, seed: 5)
        #expect(data.training.count == 44 && data.validation?.count == 16)
        let test = try #require(data.test)
        #expect(test.count == 20)
        #expect(test.inputs.row(1) != whole.inputs.row(1))
        #expect(data.task == .classification(classes: ["negative", "positive"]))
        let seeded = try scratch.load("type: synthetic\ndataset: spiral\nsamples: 60\nnoise: 0.1\nseed: 5")
        #expect(seeded.training.inputs == whole.inputs)
        whole = points(.spiral, samples: 60, noise: 0.1, seed: 6)
        #expect(seeded.training.inputs != whole.inputs)
    }

    @Test func unknownDatasetSuggests() throws {
        let scratch = try DataScratch()
        let (code, message) = try scratch.failure("type: synthetic\ndataset: spirals")
        #expect(code == .usage)
        #expect(message.hasPrefix("{dir}/spec.yaml:4:12: error: 'dataset' of synthetic must be one of 'circle', 'xor', 'gauss', 'spiral', 'moons', 'sine', found 'spirals'; did you mean 'spiral'?"))
    }
}
