import Testing
@testable import Render

struct ScaleTests {
    @Test(arguments: [
        (0.0, 1.0, 5, false, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0.0, 0.3, 5, false, [0, 0.1, 0.2, 0.3]),
        (1.0, 10000.0, 10, false, [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]),
        (-3.0, 7.0, 5, false, [-2, 0, 2, 4, 6]),
        (1.0, 3.0, 10, true, [1, 2, 3]),
        (0.5, 1.5, 4, true, [1]),
        (2.0, 2.0, 5, false, [2]),
    ])
    func niceTicks(min: Double, max: Double, count: Int, integer: Bool, expected: [Double]) {
        #expect(NiceScale.ticks(min: min, max: max, maxCount: count, integer: integer) == expected)
    }

    @Test func niceStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        #expect(NiceScale.step(span: 1, maxCount: 5) == 0.2)
        #expect(NiceScale.step(span: 7, maxCount: 5) == 2)
        #expect(NiceScale.step(span: 30, maxCount: 5) == 10)
        #expect(NiceScale.step(span: 0.00024, maxCount: 4) == 0.0001)
        #expect(NiceScale.bounds(min: 0.13, max: 0.87, maxCount: 5) == (min: 0, max: 1))
    }

    @Test func logTicksUseDecadesAndLabelTwoAndFiveWhenFewDecades() {
        let wide = LogScale.ticks(min: 1e-5, max: 1, maxCount: 8)
        #expect(wide.major == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1])
        #expect(wide.minor.contains(2e-5) && wide.minor.contains(9e-1))
        let narrow = LogScale.ticks(min: 0.01, max: 0.6, maxCount: 8)
        #expect(narrow.major == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5])
        let thinned = LogScale.ticks(min: 1e-12, max: 1, maxCount: 4)
        #expect(thinned.major == [1e-12, 1e-8, 1e-4, 1])
        let tiny = LogScale.ticks(min: 0.31, max: 0.39, maxCount: 5)
        #expect(tiny.major == [0.32, 0.34, 0.36, 0.38])
    }

    @Test(arguments: [
        ([0, 0.5, 1, 1.5], ["0", "0.5", "1.0", "1.5"]),
        ([0, 0.2, 0.4], ["0", "0.2", "0.4"]),
        ([0, 2000, 4000, 10000], ["0", "2000", "4000", "10000"]),
        ([0, 2e-5, 4e-5], ["0", "2e-5", "4e-5"]),
        ([1e-6, 1.5e-6, 2e-6], ["1.0e-6", "1.5e-6", "2.0e-6"]),
        ([1e6, 2e6], ["1e6", "2e6"]),
        ([-0.001, 0, 0.001], ["-0.001", "0", "0.001"]),
    ])
    func tickLabels(values: [Double], expected: [String]) {
        #expect(NumberFormat.labels(values) == expected)
    }

    @Test func logLabelsAndShortNumbers() {
        #expect([1e-5, 1e-3, 0.5, 1, 1e4, 1e5, 2e-7].map(NumberFormat.logLabel) == ["1e-5", "0.001", "0.5", "1", "10000", "1e5", "2e-7"])
        #expect(NumberFormat.short(0.693147) == "0.6931")
        #expect(NumberFormat.short(0.0039, significant: 2) == "0.0039")
        #expect(NumberFormat.short(1.23456e-5) == "1.235e-5")
        #expect(NumberFormat.short(1234567) == "1.235e6")
        #expect(NumberFormat.short(42) == "42")
        #expect(NumberFormat.short(.nan) == "NaN")
        #expect(NumberFormat.short(-.infinity) == "-inf")
        #expect(NumberFormat.count(1234567) == "1234567")
    }

    @Test func colourMapsMatchTheirPublishedEnds() {
        #expect(ColorMap.viridis(0).rgba == RGBA(r: 0x44, g: 0x01, b: 0x54))
        #expect(ColorMap.viridis(1).rgba == RGBA(r: 0xFD, g: 0xE7, b: 0x25))
        #expect(ColorMap.viridis(128.0 / 255.0).rgba == RGBA(r: 0x21, g: 0x91, b: 0x8C))
        #expect(ColorMap.viridis(-3) == ColorMap.viridis(0))
        #expect(ColorMap.viridis(.nan) == ColorMap.viridis(0))
        #expect(ColorMap.diverging(0).rgba == RGBA(r: 0x05, g: 0x30, b: 0x61))
        #expect(ColorMap.diverging(0.5).rgba == RGBA(r: 0xF7, g: 0xF7, b: 0xF7))
        #expect(ColorMap.diverging(1).rgba == RGBA(r: 0x67, g: 0x00, b: 0x1F))
        #expect(ColorMap.diverging(value: 0, limit: 3) == ColorMap.diverging(0.5))
        #expect(ColorMap.diverging(value: -3, limit: 3) == ColorMap.diverging(0))
    }
}
