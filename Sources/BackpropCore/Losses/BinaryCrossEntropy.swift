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
    static func fromLogit(_ x: Double, _ t: Double) -> Double { max(x, 0) - x * t + _log1p(_exp(-abs(x))) }

    public func evaluateFused(net: Matrix, output: Matrix, target: Matrix, netGradient: inout Matrix) -> Double {
        netGradient.resize(rows: net.rows, columns: net.columns)
        let count = Double(max(net.storage.count, 1))
        let scale = 1 / count
        var total = 0.0
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
        return total / count
    }

    public func valueFused(net: Matrix, output: Matrix, target: Matrix) -> Double {
        var total = 0.0
        for i in net.storage.indices { total += Self.fromLogit(net.storage[i], target.storage[i]) }
        return total / Double(max(net.storage.count, 1))
    }

    static let clamp = 1e-12

    public func evaluate(net: Matrix, output: Matrix, target: Matrix, outGradient: inout Matrix) -> Double {
        outGradient.resize(rows: output.rows, columns: output.columns)
        let count = Double(max(output.storage.count, 1))
        var total = 0.0
        for i in output.storage.indices {
            let p = min(max(output.storage[i], Self.clamp), 1 - Self.clamp)
            let t = target.storage[i]
            total -= t * _log(p) + (1 - t) * _log(1 - p)
            outGradient.storage[i] = (p - t) / (p * (1 - p) * count)
        }
        return total / count
    }

    public func value(net: Matrix, output: Matrix, target: Matrix) -> Double {
        var total = 0.0
        for i in output.storage.indices {
            let p = min(max(output.storage[i], Self.clamp), 1 - Self.clamp)
            let t = target.storage[i]
            total -= t * _log(p) + (1 - t) * _log(1 - p)
        }
        return total / Double(max(output.storage.count, 1))
    }
}
