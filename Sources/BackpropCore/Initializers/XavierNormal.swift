/// Glorot & Bengio (2010), as PyTorch's `xavier_normal_`: N(0, σ²), σ = gain · √(2 / (fanIn + fanOut)).
public struct XavierNormal: Initializer {
    public let gain: Double
    public init(gain: Double = 1) { self.gain = gain }
    public var name: String { "xavier_normal" }
    public func standardDeviation(fanIn: Int, fanOut: Int) -> Double {
        gain * (2 / Double(fanIn + fanOut)).squareRoot()
    }
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double] {
        NormalInitializer(standardDeviation: standardDeviation(fanIn: fanIn, fanOut: fanOut))
            .weights(fanIn: fanIn, fanOut: fanOut, using: &generator)
    }
}
