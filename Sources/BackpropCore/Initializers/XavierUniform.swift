/// Glorot & Bengio (2010), as PyTorch's `xavier_uniform_`:
/// U(−a, a) with a = gain · √(6 / (fanIn + fanOut)).
public struct XavierUniform: Initializer {
    public let gain: Double
    public init(gain: Double = 1) { self.gain = gain }
    public var name: String { "xavier_uniform" }
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double] {
        let a = gain * (6 / Double(fanIn + fanOut)).squareRoot()
        return (0..<(fanIn * fanOut)).map { _ in generator.uniform(-a, a) }
    }
}
