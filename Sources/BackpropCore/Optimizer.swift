/// Updates parameters from their accumulated gradients: one gradient step.
///
/// Optimizers are classes because they carry state between steps (momentum buffers, Adam's
/// moments), kept per parameter in the order `Network.parameters` gives.
public protocol Optimizer: AnyObject {
    /// The spec name, e.g. `sgd`.
    var name: String { get }
    /// One update with learning rate `learningRate` of the trainable parameters' elements whose
    /// positions in the parameters' concatenation (W1, b1, W2, ... row-major) are in `elements`:
    /// all of them, or in data-parallel training this process's share (every update rule here
    /// is elementwise, so the shares together make the whole step). Once per precision; an
    /// implementation writes one generic `step` over `ParameterParts`, which satisfies both.
    func step(_ parameters: [ParameterOf<Double>], learningRate: Double, elements: Range<Int>)
    func step(_ parameters: [ParameterOf<Float>], learningRate: Double, elements: Range<Int>)
    /// The state to save in a checkpoint: named buffers, each a flat array (empty when stateless).
    func saveState() -> [String: [Double]]
    /// Restores what `saveState` returned; throws when it does not fit these parameters.
    func restoreState<S: TrainingScalar>(_ state: [String: [Double]], parameters: [ParameterOf<S>]) throws
}

extension Optimizer {
    /// One update of every element of every trainable parameter.
    public func step(_ parameters: [ParameterOf<Double>], learningRate: Double) {
        step(parameters, learningRate: learningRate, elements: 0..<Int.max)
    }
    public func step(_ parameters: [ParameterOf<Float>], learningRate: Double) {
        step(parameters, learningRate: learningRate, elements: 0..<Int.max)
    }
    public func saveState() -> [String: [Double]] { [:] }
    public func restoreState<S: TrainingScalar>(_ state: [String: [Double]], parameters: [ParameterOf<S>]) throws {}
}

/// Each parameter with the positions of `elements` (positions in the concatenation of the
/// parameters, row-major) that fall inside it, as positions within the parameter (empty when
/// none do); without allocating, since it runs every step.
public struct ParameterParts<S: TrainingScalar>: Sequence, IteratorProtocol {
    private let parameters: [ParameterOf<S>]
    private let elements: Range<Int>
    private var index = 0
    private var offset = 0

    public init(_ parameters: [ParameterOf<S>], _ elements: Range<Int>) {
        self.parameters = parameters
        self.elements = elements
    }

    public mutating func next() -> (index: Int, parameter: ParameterOf<S>, part: Range<Int>)? {
        guard index < parameters.count else { return nil }
        let parameter = parameters[index]
        let count = parameter.value.storage.count
        let lower = Swift.max(elements.lowerBound - offset, 0), upper = Swift.min(elements.upperBound - offset, count)
        defer {
            index += 1
            offset += count
        }
        return (index, parameter, lower < upper ? lower..<upper : 0..<0)
    }
}

/// A checkpoint or state that does not match what it is restored into.
public struct StateMismatch: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One parameter's buffer of one kind, in the parameter's precision.
protocol OptimizerSlot: AnyObject {
    /// The values widened to Double (exact from Float), for checkpoints.
    var doubles: [Double] { get }
}

final class OptimizerSlotOf<S: TrainingScalar>: OptimizerSlot {
    var values: [S]
    init(_ values: [S]) { self.values = values }
    var doubles: [Double] { values.map { Double($0) } }
}

/// One kind of per-parameter buffer of an optimizer (a momentum buffer, Adam's first moment),
/// one flat array per parameter position in `Network.parameters`, in the parameters' precision,
/// created on first use and saved under "<kind>/<parameter name>" (e.g. "exp_avg/W1").
final class OptimizerBuffer {
    let kind: String
    private(set) var slots: [(any OptimizerSlot)?] = []
    private(set) var names: [String] = []

    init(_ kind: String) { self.kind = kind }

    /// Whether parameter `index` has no buffer yet (PyTorch's "state is empty").
    func isEmpty(_ index: Int) -> Bool { index >= slots.count || slots[index] == nil }

    /// Creates the buffer of `parameter` (at `index`) filled with `initial` if it does not exist.
    func ensure<S: TrainingScalar>(_ index: Int, for parameter: ParameterOf<S>, initial: Double = 0) {
        while slots.count <= index {
            slots.append(nil)
            names.append("")
        }
        let count = parameter.value.storage.count
        if let slot = slots[index] as? OptimizerSlotOf<S>, slot.values.count == count { return }
        slots[index] = OptimizerSlotOf<S>(Array(repeating: S(initial), count: count))
        names[index] = parameter.name
    }

    /// Runs `body` on the buffer of parameter `index` (which `ensure` made for this `S`), in place.
    @inline(__always)
    func withBuffer<S: TrainingScalar, R>(_ index: Int, _ type: S.Type,
                                          _ body: (UnsafeMutableBufferPointer<S>) -> R) -> R {
        // `ensure` put an OptimizerSlotOf<S> here just before, so the cast needs no check.
        let slot = unsafeDowncast(slots[index]! as AnyObject, to: OptimizerSlotOf<S>.self)
        return slot.values.withUnsafeMutableBufferPointer { body($0) }
    }

    func save(into state: inout [String: [Double]]) {
        for (index, slot) in slots.enumerated() {
            if let slot { state["\(kind)/\(names[index])"] = slot.doubles }
        }
    }

    /// Takes this kind's buffers from `state`; returns how many it used.
    func restore<S: TrainingScalar>(_ state: [String: [Double]], parameters: [ParameterOf<S>]) throws -> Int {
        var restored: [(any OptimizerSlot)?] = Array(repeating: nil, count: parameters.count)
        var used = 0
        for (index, parameter) in parameters.enumerated() {
            guard let values = state["\(kind)/\(parameter.name)"] else { continue }
            guard values.count == parameter.value.storage.count else {
                throw StateMismatch("optimizer buffer \(kind)/\(parameter.name) has \(values.count) values but the parameter has \(parameter.value.storage.count)")
            }
            restored[index] = OptimizerSlotOf<S>(values.map { S($0) })
            used += 1
        }
        slots = restored
        names = parameters.map(\.name)
        return used
    }
}

extension Optimizer {
    /// Saves `buffers` and `scalars` (e.g. Adam's step count) as one state dictionary.
    func save(_ buffers: [OptimizerBuffer], scalars: [String: Double] = [:]) -> [String: [Double]] {
        var state: [String: [Double]] = [:]
        for buffer in buffers { buffer.save(into: &state) }
        for (key, value) in scalars { state[key] = [value] }
        return state
    }

    /// Restores what `save` wrote; every key must be used.
    func restore<S: TrainingScalar>(_ state: [String: [Double]], _ buffers: [OptimizerBuffer], scalars: [String],
                                    parameters: [ParameterOf<S>]) throws -> [String: Double] {
        var used = 0
        for buffer in buffers { used += try buffer.restore(state, parameters: parameters) }
        var values: [String: Double] = [:]
        for key in scalars {
            if let value = state[key] {
                guard value.count == 1 else { throw StateMismatch("optimizer state '\(key)' must be one number") }
                values[key] = value[0]
                used += 1
            }
        }
        guard used == state.count else {
            let unknown = state.keys.sorted().first { key in
                !scalars.contains(key) && !buffers.contains { key.hasPrefix($0.kind + "/") }
            } ?? "?"
            throw StateMismatch("the \(name) optimizer state has an entry these parameters do not fit: '\(unknown)'")
        }
        return values
    }
}

/// torch.lerp, operation for operation: start + weight·(end − start) for weight < 0.5, else
/// end − (end − start)·(1 − weight). Optimizers that PyTorch writes with lerp use this so their
/// running averages round exactly as PyTorch's do.
@inline(__always)
func lerp<S: TrainingScalar>(_ start: S, _ end: S, _ weight: S) -> S {
    weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}
