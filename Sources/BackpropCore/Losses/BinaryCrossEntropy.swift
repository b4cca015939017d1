/// Binary cross-entropy, as PyTorch's BCELoss / BCEWithLogitsLoss: the mean over every output of
/// every sample of −[t·ln(out) + (1 − t)·ln(1 − out)].
///
/// With a sigmoid output layer it is computed from net x, never from the rounded σ(x):
///   −[t·ln σ(x) + (1 − t)·ln(1 − σ(x))] = max(x, 0) − x·t + ln(1 + e^(−|x|))
/// which neither overflows nor loses ln(1 − σ(x)) to rounding when σ(x) rounds to 1;
///   ∂E/∂x = (σ(x) − t) / (batch·outputs).
/// Behind any other output activation the outputs are probabilities, clamped to
/// [1e-12, 1 − 1e-12]: ∂E/∂out = (out − t) / (out·(1 − out)·batch·outputs).
public struct BinaryCrossEntropy: FusedOutputLoss {
    public init() {}
    public var name: String { "binary_cross_entropy" }

    public func fuses(with activation: any Activation) -> Bool { activation is Sigmoid }

    @inline(__always)
    static func fromLogit<S: TrainingScalar>(_ x: S, _ t: S) -> S { max(x, 0) - x * t + S.log1p(S.exp(-abs(x))) }

    public func evaluateFused<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>, netGradient: inout MatrixOf<S>) -> Double {
        netGradient.resize(rows: net.rows, columns: net.columns)
        let count = S(max(net.storage.count, 1))
        let scale = 1 / count
        var total: S = 0
        net.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeBufferPointer { s in
                target.storage.withUnsafeBufferPointer { t in
                    netGradient.storage.withUnsafeMutableBufferPointer { d in
                        for i in x.indices {
                            total += Self.fromLogit(x[i], t[i])
                            d[i] = (s[i] - t[i]) * scale
                        }
                    }
                }
            }
        }
        return Double(total / count)
    }

    public func valueFused<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>) -> Double {
        var total: S = 0
        for i in net.storage.indices { total += Self.fromLogit(net.storage[i], target.storage[i]) }
        return Double(total / S(max(net.storage.count, 1)))
    }

    /// 1e-12, which float32 holds too (its smallest normal is 1.2e-38; 1 − 1e-12 rounds to 1 there,
    /// so float32 clamps the top with its largest value below 1).
    static let clamp = 1e-12

    public func evaluate<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>, outGradient: inout MatrixOf<S>) -> Double {
        outGradient.resize(rows: output.rows, columns: output.columns)
        let count = S(max(output.storage.count, 1))
        let low = S(Self.clamp), high = min(1 - S(Self.clamp), S(1).nextDown)
        var total: S = 0
        for i in output.storage.indices {
            let p = min(max(output.storage[i], low), high)
            let t = target.storage[i]
            total -= t * S.log(p) + (1 - t) * S.log(1 - p)
            outGradient.storage[i] = (p - t) / (p * (1 - p) * count)
        }
        return Double(total / count)
    }

    public func value<S: TrainingScalar>(net: MatrixOf<S>, output: MatrixOf<S>, target: MatrixOf<S>) -> Double {
        let low = S(Self.clamp), high = min(1 - S(Self.clamp), S(1).nextDown)
        var total: S = 0
        for i in output.storage.indices {
            let p = min(max(output.storage[i], low), high)
            let t = target.storage[i]
            total -= t * S.log(p) + (1 - t) * S.log(1 - p)
        }
        return Double(total / S(max(output.storage.count, 1)))
    }
}
