/// Compares backprop's gradient of the training objective (loss + regularization penalty) with
/// finite differences, parameter by parameter, at the network's current parameters on one batch.
///
/// Method, and why:
/// - Fourth-order central differences with step h = 1e-3:
///   ∂E/∂w ≈ (E(w − 2h) − 8·E(w − h) + 8·E(w + h) − E(w + 2h)) / (12h).
///   Truncation error is O(h⁴) ≈ 1e-13 and rounding about 1e-16·|E|/h ≈ 1e-13·|E|, so the
///   estimate is good to ~1e-12 absolute, where the plain two-point form with its best h
///   (~1e-5) only reaches ~1e-10.
/// - The relative error is |a − n| / max(|a|, |n|, floor) with floor = 1e-5·max(1, |E|): a
///   component far below the objective's scale (a saturated sigmoid's 1e-9) is compared
///   absolutely against the floor, so arithmetic noise of 1e-12 cannot be mistaken for a wrong
///   gradient, while a wrong gradient of any size above ~1e-11 still shows.
/// - Kinks: relu, leaky_relu, elu and selu are not smooth at net = 0 (nor is the L1 penalty at
///   w = 0). A perturbation that moves any unit's net (or the L1 weight) across a kink makes the
///   difference quotient meaningless, so such a component is skipped and counted, never
///   reported as an error. With h = 1e-3 that happens only for nets within ~2e-3·|x| of a kink.
/// - Large networks: every component when the network has at most `exhaustiveLimit` parameters,
///   else `samplesPerParameter` components of each tensor drawn without replacement from the
///   given generator (so the sample is seeded).
public struct GradientCheck: Sendable {
    public var step: Double
    public var floorScale: Double
    public var exhaustiveLimit: Int
    public var samplesPerParameter: Int

    public init(step: Double = 1e-3, floorScale: Double = 1e-5, exhaustiveLimit: Int = 5000, samplesPerParameter: Int = 100) {
        self.step = step
        self.floorScale = floorScale
        self.exhaustiveLimit = exhaustiveLimit
        self.samplesPerParameter = samplesPerParameter
    }

    /// The settings for a float32 network. Its losses carry a relative rounding error of a few
    /// ε = 2⁻²³ ≈ 1.2e-7 (times the terms summed), so the difference quotient's error is about
    /// (1 + 8 + 8 + 1)/12 · ε·|E| / h: h = 2⁻⁵ (near ε^(1/5), where that error and the O(h⁴)
    /// truncation balance) makes it ~6e-6·|E| per ε of error in E, and the floor 1e-3·max(1, |E|)
    /// keeps components far below the objective's scale from counting as relative errors.
    public static let float32 = GradientCheck(step: 0x1p-5, floorScale: 1e-3)

    /// The settings for `precision`: `float32`, or the float64 defaults.
    public static func forScalar<S: TrainingScalar>(_ type: S.Type) -> GradientCheck {
        S.self == Float.self ? .float32 : GradientCheck()
    }

    /// The check of one parameter tensor (a layer's weights or bias).
    public struct Result: Sendable, Equatable {
        /// "W1", "b1", ...
        public var name: String
        /// 1-based layer number.
        public var layer: Int
        public var count: Int
        public var checked = 0
        /// Components skipped because a perturbation crossed a kink.
        public var skipped = 0
        public var worstError = 0.0
        /// Row-major index of the worst component, with its two gradients.
        public var worstIndex: Int?
        public var worstAnalytic = 0.0
        public var worstNumeric = 0.0
    }

    /// Checks `network` on the batch (inputs, targets). Leaves the parameters as they were and
    /// the gradients holding backprop's gradient of that batch.
    public func run<S: TrainingScalar>(network: NetworkOf<S>, loss: any Loss, regularization: Regularization = Regularization(),
                                       inputs: MatrixOf<S>, targets: MatrixOf<S>,
                                       generator: inout SeededGenerator) -> [Result] {
        network.zeroGradients()
        var center = network.lossAndGradient(inputs, target: targets, loss: loss)
        if regularization.isActive {
            center += regularization.penalty(network)
            regularization.addGradient(network)
        }
        let floor = floorScale * max(1, abs(center))
        let centerSides = kinkSides(network)
        let sampleAll = network.parameterCount <= exhaustiveLimit
        let offsets: [Double] = [-2, -1, 1, 2]
        let weights: [Double] = [1, -8, 8, -1]

        var results: [Result] = []
        for (l, layer) in network.layers.enumerated() {
            for parameter in [layer.weights, layer.bias] {
                var result = Result(name: parameter.name, layer: l + 1, count: parameter.value.storage.count)
                let analytic = parameter.gradient.storage.map { Double($0) }
                let l1Kink = regularization.l1 != 0 && parameter === layer.weights && parameter.isTrainable
                for index in indices(count: analytic.count, all: sampleAll, generator: &generator) {
                    let original = Double(parameter.value.storage[index])
                    var sum = 0.0
                    var crossed = false
                    for (offset, weight) in zip(offsets, weights) {
                        // In float32 the shifted weight rounds by up to ε·|w|/2, part of the
                        // float32 check's tolerance (see `GradientCheck.float32`).
                        let shifted = original + offset * step
                        parameter.value.storage[index] = S(shifted)
                        var value = network.loss(inputs, target: targets, loss: loss)
                        if regularization.isActive { value += regularization.penalty(network) }
                        sum += weight * value
                        if kinkSides(network) != centerSides { crossed = true }
                        if l1Kink && (shifted > 0) != (original > 0) { crossed = true }
                    }
                    parameter.value.storage[index] = S(original)
                    if crossed {
                        result.skipped += 1
                        continue
                    }
                    let numeric = sum / (12 * step)
                    let a = analytic[index]
                    let error = abs(a - numeric) / max(abs(a), abs(numeric), floor)
                    result.checked += 1
                    if error > result.worstError || result.worstIndex == nil {
                        result.worstError = error
                        result.worstIndex = index
                        result.worstAnalytic = a
                        result.worstNumeric = numeric
                    }
                }
                results.append(result)
            }
        }
        // Leave the caches and gradients as backprop left them at the unperturbed parameters.
        network.zeroGradients()
        _ = network.lossAndGradient(inputs, target: targets, loss: loss)
        if regularization.isActive { regularization.addGradient(network) }
        return results
    }

    /// Every index, or a seeded sample of `samplesPerParameter` distinct ones in increasing order.
    func indices(count: Int, all: Bool, generator: inout SeededGenerator) -> [Int] {
        if all || count <= samplesPerParameter { return Array(0..<count) }
        // Partial Fisher–Yates: the first k positions of a seeded permutation.
        var pool = Array(0..<count)
        for i in 0..<samplesPerParameter {
            let j = i + generator.index(below: count - i)
            pool.swapAt(i, j)
        }
        return pool[0..<samplesPerParameter].sorted()
    }

    /// For every layer whose activation has kinks, which side of each kink every net lies on.
    func kinkSides<S: TrainingScalar>(_ network: NetworkOf<S>) -> [[UInt8]] {
        network.layers.map { layer in
            let kinks = layer.activation.kinks
            guard !kinks.isEmpty else { return [] }
            return layer.net.storage.map { v in UInt8(kinks.filter { Double(v) > $0 }.count) }
        }
    }
}
