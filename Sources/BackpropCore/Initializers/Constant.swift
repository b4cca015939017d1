/// Every weight the same value c (PyTorch's `constant_`); `zeros` is c = 0.
public struct ConstantInitializer: Initializer {
    public let value: Double
    public let name: String
    public init(_ value: Double, name: String = "constant") {
        self.value = value
        self.name = name
    }
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double] {
        Array(repeating: value, count: fanIn * fanOut)
    }
}
