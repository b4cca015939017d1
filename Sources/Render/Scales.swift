import Foundation

/// Linear or logarithmic mapping of an axis; `auto` lets a chart decide from its data.
public enum AxisScale: String, Sendable, CaseIterable {
    case linear, log, auto
}

/// "Nice" linear ticks: steps of 1, 2 or 5 times a power of ten.
public enum NiceScale {
    /// The smallest 1-2-5 step that splits `span` into at most `maxCount` intervals.
    public static func step(span: Double, maxCount: Int) -> Double {
        let count = Double(max(1, maxCount))
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / count
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for multiple in [1.0, 2.0, 5.0, 10.0] where multiple * magnitude >= raw * (1 - 1e-9) {
            return multiple * magnitude
        }
        return 10 * magnitude
    }

    /// Multiples of a 1-2-5 step inside `[min, max]` (ends included within rounding), at most
    /// `maxCount + 1` of them. With `integer`, the step is at least 1 (epochs, layer numbers).
    /// A degenerate range gives the one value.
    public static func ticks(min lo: Double, max hi: Double, maxCount: Int = 8, integer: Bool = false) -> [Double] {
        guard lo.isFinite, hi.isFinite else { return [] }
        if hi <= lo { return [lo] }
        var step = self.step(span: hi - lo, maxCount: maxCount)
        if integer { step = Swift.max(1, step) }
        let first = (lo / step - 1e-9).rounded(.up)
        let last = (hi / step + 1e-9).rounded(.down)
        guard last >= first else { return [] }
        var values: [Double] = []
        var i = first
        while i <= last && values.count < 1000 {
            // i * step, snapped so that 0.1 * 3 prints as 0.3.
            let v = i * step
            values.append(v == 0 ? 0 : Double(String(format: "%.12g", v)) ?? v)
            i += 1
        }
        return values
    }

    /// The range widened outwards to the enclosing multiples of its tick step.
    public static func bounds(min lo: Double, max hi: Double, maxCount: Int = 8) -> (min: Double, max: Double) {
        guard lo.isFinite, hi.isFinite, hi > lo else { return (lo, hi) }
        let step = self.step(span: hi - lo, maxCount: maxCount)
        return ((lo / step + 1e-9).rounded(.down) * step, (hi / step - 1e-9).rounded(.up) * step)
    }
}

/// Ticks for a logarithmic axis.
public enum LogScale {
    /// Labelled (`major`) and unlabelled (`minor`) ticks inside `[min, max]` (both > 0).
    ///
    /// Decades (10^k) are the major ticks, thinned to every n-th decade when there are more than
    /// `maxCount`; 2..9 x 10^k are minor ticks. When the range covers at most about two
    /// decades, 2 x 10^k and 5 x 10^k are labelled too, and when it is narrower than one step
    /// between decades, plain 1-2-5 linear ticks are used.
    public static func ticks(min lo: Double, max hi: Double, maxCount: Int = 8) -> (major: [Double], minor: [Double]) {
        guard lo.isFinite, hi.isFinite, lo > 0, hi >= lo else { return ([], []) }
        if hi == lo { return ([lo], []) }
        let a = log10(lo)
        let b = log10(hi)
        let kLo = Int((a - 1e-9).rounded(.up))
        let kHi = Int((b + 1e-9).rounded(.down))
        let inside = { (v: Double) -> Bool in v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) }
        let decades = kHi >= kLo ? Array(kLo...kHi) : []
        if decades.count > max(1, maxCount) {
            let stride = Int((Double(decades.count) / Double(max(1, maxCount))).rounded(.up))
            let major = decades.filter { $0 % stride == 0 }.map { pow(10, Double($0)) }
            let minor = decades.filter { $0 % stride != 0 }.map { pow(10, Double($0)) }
            return (major, minor)
        }
        var major: [Double] = []
        var minor: [Double] = []
        let fewDecades = b - a <= 2.3
        for k in (Int(a.rounded(.down)) - 1)...(Int(b.rounded(.up)) + 1) {
            let decade = pow(10, Double(k))
            for m in 1...9 {
                let v = snap(Double(m) * decade)
                guard inside(v) else { continue }
                if m == 1 || (fewDecades && (m == 2 || m == 5)) {
                    major.append(v)
                } else {
                    minor.append(v)
                }
            }
        }
        if major.count < 2 {
            // Narrower than the gap between labels: linear 1-2-5 ticks read best.
            return (NiceScale.ticks(min: lo, max: hi, maxCount: max(2, min(maxCount, 5))).filter { $0 > 0 }, [])
        }
        return (major, minor)
    }

    private static func snap(_ v: Double) -> Double {
        Double(String(format: "%.12g", v)) ?? v
    }
}

/// Readable number formatting for tick labels, colour bars and annotations.
public enum NumberFormat {
    /// Labels for a set of tick values, formatted alike: fixed notation with the fewest
    /// decimals that tell them apart exactly ("0", "0.5", "2.5", "10000") while every value is
    /// 0 or between 0.001 and 999999; otherwise scientific ("1e-6", "2.5e-5", "1e6").
    public static func labels(_ values: [Double]) -> [String] {
        let finite = values.filter { $0.isFinite && $0 != 0 }
        let fixed = finite.allSatisfy { abs($0) >= 1e-3 && abs($0) < 1e6 }
        if fixed {
            let decimals = (0...6).first { d in values.allSatisfy { isExact($0, decimals: d) } } ?? 6
            return values.map { fixedString($0, decimals: decimals) }
        }
        let digits = (0...6).first { d in
            values.allSatisfy { v in
                guard v.isFinite, v != 0 else { return true }
                let s = String(format: "%.\(d)e", v)
                return abs((Double(s) ?? 0) - v) <= 1e-9 * abs(v)
            }
        } ?? 6
        return values.map { scientific($0, digits: digits) }
    }

    /// One value on a log axis: fixed for 0.001 ... 10000, scientific beyond ("1e-5", "2e5").
    public static func logLabel(_ v: Double) -> String {
        if v >= 1e-3 && v <= 1e4 { return labels([v])[0] }
        return scientific(v, digits: (0...3).first { d in
            let s = String(format: "%.\(d)e", v)
            return abs((Double(s) ?? 0) - v) <= 1e-9 * abs(v)
        } ?? 3)
    }

    /// About `significant` significant digits, trailing zeros dropped: 0.693147 -> "0.6931",
    /// 0.0000123456 -> "1.235e-5", 1234567 -> "1.235e6", 42 -> "42".
    public static func short(_ v: Double, significant: Int = 4) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == 0 { return "0" }
        let magnitude = abs(v)
        if magnitude >= 1e-3 && magnitude < 1e6 {
            let decimals = max(0, significant - 1 - Int(log10(magnitude).rounded(.down)))
            return trimZeros(String(format: "%.\(decimals)f", v))
        }
        return scientific(v, digits: max(0, significant - 1), trim: true)
    }

    /// An integer count with no separators ("1234567"); NaN and infinities spelled out.
    public static func count(_ v: Double) -> String {
        guard v.isFinite else { return short(v) }
        if abs(v) < 1e15 { return String(Int64(v.rounded())) }
        return short(v)
    }

    /// True when `v` has at most `decimals` decimals (within rounding noise).
    static func isExact(_ v: Double, decimals: Int) -> Bool {
        guard v.isFinite else { return true }
        let scaled: Double = v * pow(10, Double(decimals))
        let error: Double = abs(scaled.rounded() - scaled)
        return error < 1e-6 * max(1, abs(scaled))
    }

    static func fixedString(_ v: Double, decimals: Int) -> String {
        if v == 0 || abs(v) < 0.5 * pow(10, -Double(decimals)) { return "0" }
        return String(format: "%.\(decimals)f", v)
    }

    static func scientific(_ v: Double, digits: Int, trim: Bool = false) -> String {
        if v == 0 { return "0" }
        let s = String(format: "%.\(digits)e", v)
        guard let e = s.firstIndex(of: "e") else { return s }
        var mantissa = String(s[..<e])
        if trim { mantissa = trimZeros(mantissa) }
        let exponent = Int(s[s.index(after: e)...]) ?? 0
        return mantissa + "e" + String(exponent)
    }

    static func trimZeros(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t == "-0" ? "0" : t
    }
}
