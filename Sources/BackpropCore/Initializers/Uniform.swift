/// U(low, high) (PyTorch's `uniform_`, default U(0, 1)).
public struct UniformInitializer: Initializer {
    public let low: Double
    public let high: Double
    public init(low: Double = 0, high: Double = 1) {
        self.low = low
        self.high = high
    }
    public var name: String { "uniform" }
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double] {
        (0..<(fanIn * fanOut)).map { _ in generator.uniform(low, high) }
    }
}
