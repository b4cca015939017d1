/// Stochastic gradient descent: w ← w − η·g.
public final class SGD: Optimizer {
    public init() {}
    public var name: String { "sgd" }

    public func step(_ parameters: [Parameter], learningRate: Double) {
        for parameter in parameters where parameter.isTrainable {
            parameter.gradient.storage.withUnsafeBufferPointer { g in
                parameter.value.storage.withUnsafeMutableBufferPointer { w in
                    for i in w.indices { w[i] -= learningRate * g[i] }
                }
            }
        }
    }
}
