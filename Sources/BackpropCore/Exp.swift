/// e^x for float64 as inline arithmetic: the exponential every activation and loss of the core
/// uses (`Double.exp`).
///
/// libm's `exp` is a call, so a loop over a layer's units that applies sigmoid runs one
/// element at a time, with the call's register spills: on W3 (eight sigmoid layers of 64 units
/// over 2000 points) the sigmoid pass took a third of the epoch. This one is a handful of
/// additions and multiplications and no branch, so such loops vectorise. It uses plain IEEE
/// operations only (no fused multiply-add, no table), so it gives the same bits on every
/// x86-64, where libm picks an FMA variant by CPU.
///
/// Method (as in fdlibm and Cephes): x = k·ln 2 + r with k = round(x / ln 2) and |r| ≤ ln 2 / 2
/// (Cody and Waite's two-part ln 2, whose high part times k is exact), e^r by its Taylor series
/// to degree 13 (the remainder, r¹⁴/14! ≤ 4.2e-18, is far below half an ulp), then e^x = e^r · 2^k,
/// applied as two powers of two so that results down to the subnormals and up to the overflow
/// threshold come out right. The error is below one ulp (`ExpTests` measures it against a
/// long-double reference); e^x overflows to +∞ above 709.78 and underflows to 0 below −745.13,
/// and NaN stays NaN, as with libm.
@inline(__always)
func coreExp(_ x: Double) -> Double {
    // Outside [−746, 710] the result is 0 or +∞ already; the clamp keeps k within the two
    // powers of two below. Written with comparisons so that NaN passes through unchanged.
    let x = x < -746 ? -746 : (x > 710 ? 710 : x)
    // 1.5·2⁵² added and taken away rounds to an integer, and leaves it in t's low bits.
    let shifter = 6_755_399_441_055_744.0
    let t = x * 1.4426950408889634 + shifter
    let kf = t - shifter
    let r = (x - kf * 6.93147180369123816490e-01) - kf * 1.90821492927058770002e-10
    // e^r = 1 + r + r²·q(r), q = 1/2! + r/3! + ... + r¹¹/13!, in Estrin's order (short chains).
    let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
    let p01 = 0.5 + r * 0.16666666666666666
    let p23 = 0.041666666666666664 + r * 0.008333333333333333
    let p45 = 0.001388888888888889 + r * 0.0001984126984126984
    let p67 = 2.48015873015873e-05 + r * 2.7557319223985893e-06
    let p89 = 2.755731922398589e-07 + r * 2.505210838544172e-08
    let p1011 = 2.08767569878681e-09 + r * 1.6059043836821613e-10
    let q = ((p01 + r2 * p23) + r4 * (p45 + r2 * p67)) + r8 * (p89 + r2 * p1011)
    let er = 1 + (r + r2 * q)
    // k = kf as an integer (−1076 ≤ k ≤ 1024), split as k₁ + k₂ with both halves normal
    // exponents; from non-negative values, so the shifts are logical ones (vector-friendly).
    let k = t.bitPattern &- shifter.bitPattern
    let k1 = ((k &+ 1100) &>> 1) &- 550
    let k2 = k &- k1
    let s1 = Double(bitPattern: (k1 &+ 1023) &<< 52)
    let s2 = Double(bitPattern: (k2 &+ 1023) &<< 52)
    return er * s1 * s2
}
