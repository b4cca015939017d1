#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rule that ends a run whose loss explodes while every number is still finite, and what
/// it compares against: the untrained network.
///
/// With L₀ the loss of the network before its first update, on the whole training set (penalty
/// included), and Lₑ epoch e's loss (history's `loss`, the mean of its batch losses), checked
/// after every complete epoch:
///
///     diverged  ⇔  L₀ > 0  and  Lₑ > factor · L₀,   factor = 10⁴
///
/// - Relative to L₀, so it holds for any loss and any units: a regression loss that starts at
///   1e4 trips only at 1e8, a cross-entropy that starts at ln 10 ≈ 2.3 at 2.3e4.
/// - L₀ and not the best epoch's loss: healthy runs reach tiny losses (the seed goes from 0.298
///   to 3.5e-5), and a later rise to 0.1 would be 3000 times the best but is a third of L₀. A
///   loss 10⁴ times the untrained network's is far worse than not training at all.
/// - L₀ and not epoch 1's loss: with mini-batches an overly large rate can blow the loss up
///   within epoch 1 (iris with SGD at rate 1e6: 3.2e5 in epoch 1, from L₀ ≈ 1.1), after which
///   it stays at that level; measured against epoch 1 it would never trip.
/// - Healthy runs stay far below: in every example pipeline no epoch's loss exceeds L₀, and
///   mini-batch noise or Adam's first steps are a few times L₀ at most. An exploding loss
///   grows by orders of magnitude per epoch, so it crosses 10⁴·L₀ within an epoch or two and
///   hundreds of decades before a Double overflows (1.8e308).
///
/// The layer named is the one whose weights grew the most, ‖W‖ now / ‖W‖ before training
/// (Frobenius norms): where the explosion is worst.
///
/// Saved in `TrainingState`, so a resumed run applies the rule exactly as the uninterrupted one.
public struct DivergenceBaseline: Sendable, Codable, Equatable {
    /// An epoch whose loss exceeds `factor` times the untrained network's has diverged.
    public static let factor = 1e4

    /// L₀: the untrained network's loss on the whole training set.
    public var loss: Double
    /// ‖W_l‖ of each layer before training (index 0 = layer 1).
    public var weightNorms: [Double]

    public init(loss: Double, weightNorms: [Double]) {
        self.loss = loss
        self.weightNorms = weightNorms
    }

    /// The baseline of `network` as it is now, whose loss on the training set is `loss`.
    public init<Scalar: TrainingScalar>(network: NetworkOf<Scalar>, loss: Double) {
        self.init(loss: loss, weightNorms: Self.weightNorms(network))
    }

    /// The divergence `record` shows, if its loss exceeds `factor`·L₀: the layer whose weights
    /// grew the most (nil when no layer had non-zero weights before training) and the failure
    /// text for metrics.json.
    public func explosion<Scalar: TrainingScalar>(in record: EpochRecord, network: NetworkOf<Scalar>) -> (layer: Int?, failure: String)? {
        explosion(epoch: record.epoch, loss: record.loss, network: network)
    }

    /// The same for epoch `epoch`, whose loss was `epochLoss`.
    public func explosion<Scalar: TrainingScalar>(epoch: Int, loss epochLoss: Double, network: NetworkOf<Scalar>) -> (layer: Int?, failure: String)? {
        guard epochLoss > limit else { return nil }
        var layer: Int?
        var largest = 0.0
        for (l, (before, now)) in zip(weightNorms, Self.weightNorms(network)).enumerated()
        where before > 0 && now / before > largest {
            largest = now / before
            layer = l + 1
        }
        var failure = "the loss grew from \(Self.short(loss)) before training to \(Self.short(epochLoss)) in epoch \(epoch)"
            + " (more than \(Int(Self.factor)) times)"
        if let layer { failure += "; the weights of layer \(layer) grew the most, \(Self.short(largest)) times" }
        failure += ": the learning rate is probably too large"
        return (layer, failure)
    }

    /// The epoch loss above which the rule trips: `factor`·L₀, or ∞ when L₀ is not a positive
    /// finite number (the rule then never trips).
    public var limit: Double { loss.isFinite && loss > 0 ? Self.factor * loss : .infinity }

    static func weightNorms<Scalar: TrainingScalar>(_ network: NetworkOf<Scalar>) -> [Double] {
        network.layers.map { layer in
            layer.weights.value.storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
    }

    /// Four significant digits, so the message reads the same on every CPU (the last bits of an
    /// exploding loss differ between BLAS kernels): 0.2984, 12350, 3.612e+126, inf.
    static func short(_ x: Double) -> String {
        guard x.isFinite else { return "\(x)" }
        guard x != 0 else { return "0" }
        func trimmed(_ v: Double) -> String {
            let text = "\(v)"
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        let exponent = Int(log10(abs(x)).rounded(.down))
        if exponent >= -3 && exponent < 6 {
            // Divide or multiply by an exact power of ten so the result prints without noise digits.
            let power = pow(10, Double(abs(3 - exponent)))
            return trimmed(exponent <= 3 ? (x * power).rounded() / power : (x / power).rounded() * power)
        }
        var mantissa = (x / pow(10, Double(exponent)) * 1000).rounded() / 1000
        var power = exponent
        if abs(mantissa) >= 10 {
            mantissa /= 10
            power += 1
        }
        return trimmed(mantissa) + (power < 0 ? "e-" : "e+") + "\(abs(power))"
    }
}
