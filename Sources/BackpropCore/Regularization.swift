/// L1 and L2 penalties on the trainable weights (not the biases), added to every batch's loss
/// as Keras's `l1_l2` kernel regularizer does:
///
///     penalty = l1·Σ|w| + l2·Σw²        ∂penalty/∂w = l1·sign(w) + 2·l2·w   (sign(0) = 0)
///
/// (PyTorch's `weight_decay` λ is the gradient λ·w, i.e. l2 = λ/2 here.)
public struct Regularization: Sendable, Equatable {
    public var l1: Double
    public var l2: Double

    public init(l1: Double = 0, l2: Double = 0) {
        self.l1 = l1
        self.l2 = l2
    }

    public var isActive: Bool { l1 != 0 || l2 != 0 }

    /// The penalty of the network's current trainable weights.
    public func penalty<S: TrainingScalar>(_ network: NetworkOf<S>) -> Double {
        var absolute: S = 0, squares: S = 0
        for layer in network.layers where layer.weights.isTrainable {
            layer.weights.value.storage.withUnsafeBufferPointer { w in
                for v in w {
                    absolute += abs(v)
                    squares += v * v
                }
            }
        }
        return l1 * Double(absolute) + l2 * Double(squares)
    }

    /// Adds ∂penalty/∂w to every trainable weight's gradient.
    public func addGradient<S: TrainingScalar>(_ network: NetworkOf<S>) {
        let l1 = S(l1), twoL2 = S(2 * l2)
        for layer in network.layers where layer.weights.isTrainable {
            let weights = layer.weights
            weights.value.storage.withUnsafeBufferPointer { w in
                weights.gradient.storage.withUnsafeMutableBufferPointer { g in
                    for i in w.indices {
                        let sign: S = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0)
                        g[i] += l1 * sign + twoL2 * w[i]
                    }
                }
            }
        }
    }
}
