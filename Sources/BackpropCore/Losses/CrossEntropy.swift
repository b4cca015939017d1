/// Categorical cross-entropy: E = (1/batch) · Σ_samples −Σₖ tₖ·ln(outₖ), targets one-hot or
/// probabilities, as PyTorch's CrossEntropyLoss (mean over samples, summed over classes).
///
/// With a softmax output layer the two are fused (PyTorch's log-softmax form), computed from net:
///   −Σₖ tₖ·ln softmax(net)ₖ = (Σₖ tₖ)·logsumexp(net) − Σₖ tₖ·netₖ,  logsumexp(net) = m + ln Σ e^(netₖ − m)
///   ∂E/∂netₖ = ((Σⱼ tⱼ)·softmaxₖ − tₖ) / batch  (= (softmaxₖ − tₖ)/batch when the targets sum to 1).
/// Behind any other output activation the outputs are taken as probabilities:
/// ∂E/∂outₖ = −tₖ / (outₖ·batch), with out clamped to at least 1e-300 so ln and the division stay finite.
public struct CrossEntropy: FusedOutputLoss {
    public init() {}
    public var name: String { "cross_entropy" }

    public func fuses(with activation: any Activation) -> Bool { activation is Softmax }

    public func evaluateFused<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>, netGradient: inout MatrixOf<S>) -> Double {
        netGradient.resize(rows: net.rows, columns: net.columns)
        let width = net.columns
        let scale = 1 / S(max(net.rows, 1))
        var total: S = 0
        net.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeBufferPointer { p in
                target.storage.withUnsafeBufferPointer { t in
                    netGradient.storage.withUnsafeMutableBufferPointer { d in
                        for r in 0..<net.rows {
                            let base = r * width
                            let (lse, targetSum, dot) = Self.rowTerms(x, t, base: base, width: width)
                            total += targetSum * lse - dot
                            for k in 0..<width { d[base + k] = (targetSum * p[base + k] - t[base + k]) * scale }
                        }
                    }
                }
            }
        }
        return Double(total * scale)
    }

    public func valueFused<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>) -> Double {
        let width = net.columns
        var total: S = 0
        net.storage.withUnsafeBufferPointer { x in
            target.storage.withUnsafeBufferPointer { t in
                for r in 0..<net.rows {
                    let (lse, targetSum, dot) = Self.rowTerms(x, t, base: r * width, width: width)
                    total += targetSum * lse - dot
                }
            }
        }
        return Double(total / S(max(net.rows, 1)))
    }

    /// logsumexp of the row's nets, Σ t and Σ t·net.
    @inline(__always)
    static func rowTerms<S: TrainingScalar>(_ x: UnsafeBufferPointer<S>, _ t: UnsafeBufferPointer<S>,
                                            base: Int, width: Int) -> (S, S, S) {
        var m = -S.infinity
        for k in 0..<width { m = max(m, x[base + k]) }
        var sum: S = 0, targetSum: S = 0, dot: S = 0
        for k in 0..<width {
            sum += S.exp(x[base + k] - m)
            targetSum += t[base + k]
            dot += t[base + k] * x[base + k]
        }
        return (m + S.log(sum), targetSum, dot)
    }

    /// 1e-300 in float64; float32's smallest normal (1.2e-38) in float32, where 1e-300 is 0.
    static let smallest = 1e-300

    public func evaluate<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>, outGradient: inout MatrixOf<S>) -> Double {
        outGradient.resize(rows: output.rows, columns: output.columns)
        let scale = 1 / S(max(output.rows, 1))
        let smallest = max(S(Self.smallest), S.leastNormalMagnitude)
        var total: S = 0
        output.storage.withUnsafeBufferPointer { o in
            target.storage.withUnsafeBufferPointer { t in
                outGradient.storage.withUnsafeMutableBufferPointer { g in
                    for i in o.indices {
                        let p = max(o[i], smallest)
                        if t[i] != 0 { total -= t[i] * S.log(p) }
                        g[i] = -t[i] / p * scale
                    }
                }
            }
        }
        return Double(total * scale)
    }

    public func value<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>) -> Double {
        let smallest = max(S(Self.smallest), S.leastNormalMagnitude)
        var total: S = 0
        for i in output.storage.indices where target.storage[i] != 0 {
            total -= target.storage[i] * S.log(max(output.storage[i], smallest))
        }
        return Double(total / S(max(output.rows, 1)))
    }
}
