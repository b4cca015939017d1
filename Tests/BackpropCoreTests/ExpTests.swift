import XCTest
@testable import BackpropCore
#if canImport(Glibc)
import Glibc
#endif

/// The core's own e^x (`coreExp`, behind `Double.exp`) against a long-double reference.
final class ExpTests: XCTestCase {
    /// |coreExp(x) − e^x| in units of the last place of the double nearest e^x, with e^x from
    /// `expl` in 80-bit long double (64-bit significand: its own error is ~2⁻¹¹ of a double ulp).
    static func ulpError(_ x: Double) -> Double {
        let reference = expl(Float80(x))
        let nearest = Double(reference)
        guard nearest.isFinite, nearest != 0 else { return coreExp(x) == nearest ? 0 : .infinity }
        return Double(abs(Float80(coreExp(x)) - reference) / Float80(nearest.ulp))
    }

    /// Below one ulp everywhere: over a million points across the whole finite range, densely
    /// where activations live (|x| < 40), at the reduction's switching points k·ln 2 / 2 and
    /// in the subnormal range.
    func testErrorIsBelowOneUlp() {
        var g = SeededGenerator(seed: 8)
        var worst = (error: 0.0, x: 0.0)
        func probe(_ x: Double) {
            let e = Self.ulpError(x)
            if e > worst.error { worst = (e, x) }
        }
        for _ in 0..<400_000 { probe(g.uniform(-40, 40)) }
        for _ in 0..<200_000 { probe(g.uniform(-745, 709.7)) }
        for _ in 0..<100_000 { probe(g.uniform(-1e-3, 1e-3)) }
        for k in -1500...1500 {
            let x = Double(k) * 0.34657359027997264
            probe(x.nextDown); probe(x); probe(x.nextUp)
        }
        XCTAssertLessThan(worst.error, 1, "worst \(worst.error) ulp at x = \(worst.x)")
    }

    /// The edges libm has: e^0 = 1 exactly, overflow to +∞, underflow through the subnormals
    /// to 0, ±∞ and NaN.
    func testSpecialValues() {
        XCTAssertEqual(coreExp(0), 1)
        XCTAssertEqual(coreExp(-0.0), 1)
        XCTAssertEqual(coreExp(1), M_E, accuracy: M_E.ulp)
        // Against the long-double reference, not libm's exp, whose last bit depends on the CPU.
        XCTAssertLessThan(Self.ulpError(709.78), 1)
        XCTAssertEqual(coreExp(709.79), .infinity)
        XCTAssertEqual(coreExp(1e300), .infinity)
        XCTAssertEqual(coreExp(.infinity), .infinity)
        XCTAssertLessThan(Self.ulpError(-740), 1)
        XCTAssertTrue(coreExp(-740) > 0 && coreExp(-740) < Double.leastNormalMagnitude)
        XCTAssertEqual(coreExp(-745.2), 0)
        XCTAssertEqual(coreExp(-1e300), 0)
        XCTAssertEqual(coreExp(-.infinity), 0)
        XCTAssertTrue(coreExp(.nan).isNaN)
        XCTAssertEqual(Double.exp(0.5), coreExp(0.5))
    }
}
