/// N(mean, std²) (PyTorch's `normal_`, default N(0, 1)). The scaled normals (xavier_normal,
/// he_normal, lecun_normal) are this with a standard deviation computed from the fans.
public struct NormalInitializer: Initializer {
    public let mean: Double
    public let standardDeviation: Double
    public let name: String
    public init(mean: Double = 0, standardDeviation: Double = 1, name: String = "normal") {
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.name = name
    }
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double] {
        (0..<(fanIn * fanOut)).map { _ in generator.normal(mean: mean, standardDeviation: standardDeviation) }
    }
}
