/// Updates parameters from their accumulated gradients: one gradient step.
///
/// Optimizers are classes because they carry state between steps (momentum buffers, Adam's
/// moments), kept per parameter in the order `Network.parameters` gives.
public protocol Optimizer: AnyObject {
    /// The spec name, e.g. `sgd`.
    var name: String { get }
    /// One update of every trainable parameter with learning rate `learningRate`.
    func step(_ parameters: [Parameter], learningRate: Double)
    /// The state to save in a checkpoint: named buffers, each a flat array (empty when stateless).
    func saveState() -> [String: [Double]]
    /// Restores what `saveState` returned; throws when it does not fit these parameters.
    func restoreState(_ state: [String: [Double]], parameters: [Parameter]) throws
}

extension Optimizer {
    public func saveState() -> [String: [Double]] { [:] }
    public func restoreState(_ state: [String: [Double]], parameters: [Parameter]) throws {}
}

/// A checkpoint or state that does not match what it is restored into.
public struct StateMismatch: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
