/// Which fan the He (Kaiming) initialisers scale by: fan_in keeps the forward pass's variance,
/// fan_out the backward pass's. For a weight matrix (in, out), fan_in = in and fan_out = out.
public enum FanMode: String, Sendable, CaseIterable {
    case fanIn = "fan_in"
    case fanOut = "fan_out"

    public func fan(in fanIn: Int, out fanOut: Int) -> Int { self == .fanIn ? fanIn : fanOut }
}

/// He et al. (2015), as PyTorch's `kaiming_uniform_(nonlinearity='relu')`:
/// U(−b, b), b = gain · √(3 / fan), gain = √2, so b = √(6 / fan).
public struct HeUniform: Initializer {
    public let mode: FanMode
    public init(mode: FanMode = .fanIn) { self.mode = mode }
    public var name: String { "he_uniform" }
    public func bound(fanIn: Int, fanOut: Int) -> Double {
        2.0.squareRoot() * (3 / Double(mode.fan(in: fanIn, out: fanOut))).squareRoot()
    }
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double] {
        let b = bound(fanIn: fanIn, fanOut: fanOut)
        return (0..<(fanIn * fanOut)).map { _ in generator.uniform(-b, b) }
    }
}

/// He et al. (2015), as PyTorch's `kaiming_normal_(nonlinearity='relu')`: N(0, σ²), σ = √2 / √fan.
public struct HeNormal: Initializer {
    public let mode: FanMode
    public init(mode: FanMode = .fanIn) { self.mode = mode }
    public var name: String { "he_normal" }
    public func standardDeviation(fanIn: Int, fanOut: Int) -> Double {
        2.0.squareRoot() / Double(mode.fan(in: fanIn, out: fanOut)).squareRoot()
    }
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double] {
        NormalInitializer(standardDeviation: standardDeviation(fanIn: fanIn, fanOut: fanOut))
            .weights(fanIn: fanIn, fanOut: fanOut, using: &generator)
    }
}

/// LeCun (1998), the initialiser SELU networks assume: N(0, σ²), σ = 1 / √fan_in (PyTorch:
/// `kaiming_normal_(nonlinearity='linear')`; plain, not truncated, normal).
public struct LeCunNormal: Initializer {
    public init() {}
    public var name: String { "lecun_normal" }
    public func standardDeviation(fanIn: Int) -> Double { 1 / Double(fanIn).squareRoot() }
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double] {
        NormalInitializer(standardDeviation: standardDeviation(fanIn: fanIn))
            .weights(fanIn: fanIn, fanOut: fanOut, using: &generator)
    }
}
