/// Draws a layer's initial weights, (fanIn, fanOut) in the seed's orientation.
public protocol Initializer: Sendable {
    var name: String { get }
    /// fanIn·fanOut values, row-major (in, out).
    func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> [Double]
}
