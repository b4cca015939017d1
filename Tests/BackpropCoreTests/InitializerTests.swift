import XCTest
@testable import BackpropCore

/// Initialisers: bounds and sample statistics against PyTorch's formulas, with a fixed seed.
final class InitializerTests: XCTestCase {
    func draw(_ initializer: any Initializer, _ fanIn: Int, _ fanOut: Int, seed: UInt64 = 42) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return initializer.weights(fanIn: fanIn, fanOut: fanOut, using: &generator)
    }

    func statistics(_ x: [Double]) -> (mean: Double, std: Double) {
        let mean = x.reduce(0, +) / Double(x.count)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
        return (mean, variance.squareRoot())
    }

    func testUniformBounds() {
        // (fanIn, fanOut) = (300, 100): xavier a = √(6/400); he b = √(6/300) (fan_in) or √(6/100) (fan_out).
        let cases: [(any Initializer, Double)] = [
            (XavierUniform(), (6.0 / 400).squareRoot()),
            (XavierUniform(gain: 2), 2 * (6.0 / 400).squareRoot()),
            (HeUniform(), (6.0 / 300).squareRoot()),
            (HeUniform(mode: .fanOut), (6.0 / 100).squareRoot()),
        ]
        for (initializer, bound) in cases {
            let w = draw(initializer, 300, 100)
            XCTAssertEqual(w.count, 30000)
            XCTAssertLessThanOrEqual(w.map(abs).max() ?? 0, bound, initializer.name)
            XCTAssertGreaterThan(w.map(abs).max() ?? 0, 0.999 * bound, initializer.name)
            // U(−a, a) has standard deviation a/√3.
            XCTAssertEqual(statistics(w).std, bound / 3.0.squareRoot(), accuracy: 0.02 * bound, initializer.name)
        }
        let u = draw(UniformInitializer(low: -0.5, high: 1.5), 100, 100)
        XCTAssertGreaterThanOrEqual(u.min() ?? -1, -0.5)
        XCTAssertLessThan(u.max() ?? 2, 1.5)
        XCTAssertEqual(statistics(u).mean, 0.5, accuracy: 0.02)
    }

    func testNormalStandardDeviations() {
        let cases: [(any Initializer, Double)] = [
            (XavierNormal(), (2.0 / 400).squareRoot()),
            (HeNormal(), (2.0 / 300).squareRoot()),
            (HeNormal(mode: .fanOut), (2.0 / 100).squareRoot()),
            (LeCunNormal(), (1.0 / 300).squareRoot()),
            (NormalInitializer(mean: 1, standardDeviation: 0.1), 0.1),
        ]
        for (initializer, std) in cases {
            let s = statistics(draw(initializer, 300, 100))
            XCTAssertEqual(s.std, std, accuracy: 0.02 * std, initializer.name)
        }
        XCTAssertEqual(statistics(draw(NormalInitializer(mean: 1, standardDeviation: 0.1), 300, 100)).mean, 1, accuracy: 0.002)
    }

    func testConstantsAndSeeds() {
        XCTAssertEqual(draw(ConstantInitializer(0, name: "zeros"), 2, 3), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(draw(ConstantInitializer(0.25), 1, 2), [0.25, 0.25])
        XCTAssertEqual(draw(XavierUniform(), 4, 4, seed: 7), draw(XavierUniform(), 4, 4, seed: 7))
        XCTAssertNotEqual(draw(XavierUniform(), 4, 4, seed: 7), draw(XavierUniform(), 4, 4, seed: 8))
    }
}
