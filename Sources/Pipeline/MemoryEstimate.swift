import BackpropCore
import PipelineSpec

/// The bytes a run needs, estimated from shapes before anything large is allocated, so a
/// network or dataset too large for the machine is refused with a number instead of being
/// killed by the kernel halfway through.
///
/// All values are float64 (8 bytes). Per parameter the run keeps 7 numbers: the value, its
/// gradient, two optimizer slots (Adam's m and v; SGD uses fewer) and the trainer's three
/// per-epoch gradient copies (running sum, first epoch, last epoch). Per layer and per row in
/// flight, a dense layer caches input, net and output and computes ∂E/∂net and ∂E/∂input:
/// 2·in + 3·units numbers. Rows in flight are the batch, or an evaluation chunk when that is
/// larger (4096 samples; 1024 for byte inputs, `DatasetOf.evaluationChunk`). The data costs
/// (features + targets) numbers per sample, plus one gathered batch; inputs kept as bytes
/// (IDX images, decoded a batch at a time) cost one byte per feature instead of eight. The
/// history keeps a row per epoch: epoch, loss, rate, a norm and a mean |∂E/∂W| per layer, and
/// room for the four optional columns (validation loss, accuracies, penalty), 7 + 2·layers
/// numbers, so a spec asking for a billion epochs is refused before it fills the memory.
public struct MemoryEstimate: Sendable, Equatable {
    /// The default `--max-memory`: 8 GiB.
    public static let defaultLimit = 8 << 30
    static let numbersPerParameter = 7

    public var parameters: Int
    public var networkBytes: Int
    public var dataBytes: Int
    public var bufferBytes: Int
    public var historyBytes = 0

    public var total: Int { Self.add(Self.add(Self.add(networkBytes, dataBytes), bufferBytes), historyBytes) }

    /// The estimate for `network` over `samples` rows of `features` inputs and `targets` outputs
    /// in batches of `batchSize` (nil = all samples), each input stored in `inputBytes` bytes
    /// (8 for float64, 1 for byte inputs), trained for `epochs`. Saturates instead of overflowing.
    public static func estimate(_ network: NetworkDefinition, samples: Int, features: Int, targets: Int,
                                batchSize: Int?, inputBytes: Int = 8, epochs: Int = 0) -> MemoryEstimate {
        var parameters = 0
        var perRow = 0
        var fanIn = network.inputs
        for layer in network.layers {
            parameters = add(parameters, add(multiply(fanIn, layer.units), layer.units))
            perRow = add(perRow, add(multiply(2, fanIn), multiply(3, layer.units)))
            fanIn = layer.units
        }
        let batchRows = min(batchSize ?? samples, samples)
        let chunk = inputBytes == 1 ? Dataset.byteEvaluationChunk : Dataset.denseEvaluationChunk
        let rowsInFlight = max(batchRows, min(samples, chunk))
        let sampleWidth = add(features, targets)
        return MemoryEstimate(
            parameters: parameters,
            networkBytes: multiply(multiply(parameters, numbersPerParameter), 8),
            dataBytes: multiply(samples, add(multiply(features, inputBytes), multiply(targets, 8))),
            bufferBytes: add(multiply(multiply(rowsInFlight, perRow), 8), multiply(multiply(batchRows, sampleWidth), 8)),
            historyBytes: multiply(multiply(max(epochs, 0), add(7, multiply(2, network.layers.count))), 8))
    }

    /// Throws when the estimate exceeds `limit`, pointing at the widest layer's `units` when the
    /// network is the largest part, else at the spec's `data:`.
    func check(limit: Int, definition: PipelineDefinition) throws {
        guard total > limit else { return }
        var message: String
        if dataBytes == 0 && bufferBytes == 0 && networkBytes > limit {
            message = "the network needs about \(Self.format(networkBytes)) of memory for \(parameters) parameters "
                + "(\(Self.numbersPerParameter) float64 numbers each), more than the \(Self.format(limit)) allowed"
        } else {
            message = "the run needs about \(Self.format(total)) of memory (network \(Self.format(networkBytes)) for "
                + "\(parameters) parameters, data \(Self.format(dataBytes)), batch buffers \(Self.format(bufferBytes))"
                + (historyBytes > 0 ? ", history \(Self.format(historyBytes))" : "") + "), "
                + "more than the \(Self.format(limit)) allowed"
        }
        if historyBytes > max(networkBytes, dataBytes, bufferBytes), let epochs = definition.root["training"]?["epochs"] {
            message = "the run needs about \(Self.format(total)) of memory, \(Self.format(historyBytes)) of it for the history of "
                + "\(definition.training.epochs) epochs (up to \(7 + 2 * definition.network.layers.count) numbers an epoch), "
                + "more than the \(Self.format(limit)) allowed"
            let hint = "train fewer epochs, or raise the limit: --max-memory \(Self.roundedUp(total))"
            throw PipelineError(SpecError(message, at: epochs.location, hint: hint))
        }
        let hint = "shrink the network, the batch or the data, or raise the limit: --max-memory \(Self.roundedUp(total))"
        if networkBytes >= dataBytes && networkBytes >= bufferBytes,
           let widest = definition.network.layers.max(by: { $0.units < $1.units }) {
            throw PipelineError(SpecError(message, at: widest.unitsNode.location, hint: hint))
        }
        if let data = definition.root["data"] {
            throw PipelineError(SpecError(message, at: data.location, hint: hint))
        }
        message += "; \(hint)"
        throw PipelineError(.usage, "\(definition.specPath): error: \(message)")
    }

    /// "512 B", "1.5 KiB", "12.0 GiB".
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1024 && index < units.count - 1 {
            value /= 1024
            index += 1
        }
        if index == 0 { return "\(bytes) B" }
        return "\((value * 10).rounded() / 10) \(units[index])"
    }

    /// The smallest whole number of MiB, GiB or TiB at least `bytes`, as `--max-memory` reads it.
    static func roundedUp(_ bytes: Int) -> String {
        for (unit, shift) in [("M", 20), ("G", 30)] where bytes <= 1023 << shift {
            return "\((bytes + (1 << shift) - 1) >> shift)\(unit)"
        }
        return "\(bytes / (1 << 40) + (bytes % (1 << 40) == 0 ? 0 : 1))T"
    }

    /// Reads a `--max-memory` value: bytes, or a number with K, M, G or T (powers of 1024,
    /// optionally followed by "iB" or "B"): `512M`, `4G`, `1.5GiB`. Nil when unreadable or not positive.
    public static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces()
        var digits = Substring(trimmed)
        var unit = ""
        while let last = digits.last, last.isLetter {
            unit = String(last) + unit
            digits = digits.dropLast()
        }
        let multipliers: [String: Double] = ["": 1, "B": 1, "K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var key = unit.uppercased()
        if key.hasSuffix("IB") { key = String(key.dropLast(2)) } else if key.count == 2 && key.hasSuffix("B") { key = String(key.dropLast()) }
        guard let multiplier = multipliers[key], let number = Double(digits), number.isFinite, number > 0 else { return nil }
        let bytes = number * multiplier
        guard bytes >= 1, bytes < 9e18 else { return nil }
        return Int(bytes)
    }

    static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    static func multiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : product
    }
}

/// A data stage that can tell its shape before loading (from a file header or the spec), so a
/// dataset too large for `--max-memory` is refused before it is read. Stages that do not adopt
/// it are checked right after loading, before the network is built.
public protocol DataShapeEstimating {
    /// (samples, input features, target columns) over all parts, or nil when unknown.
    func estimatedShape() throws -> (samples: Int, features: Int, targets: Int)?
    /// Bytes each stored input takes once loaded: 8 (float64), or 1 for inputs kept as bytes.
    var inputBytes: Int { get }
}

extension DataShapeEstimating {
    public var inputBytes: Int { 8 }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars = scalars.dropFirst() }
        while scalars.last == " " { scalars = scalars.dropLast() }
        return String(scalars)
    }
}

/// IDX headers give the sample count and image size in their first bytes, so a file that
/// declares more than `--max-memory` (a few kilobytes of gzip can declare 10^10 pixels) is
/// refused before its pixels are allocated. Classes are counted as 'classes' names them, else
/// as 256 (a label byte's range): an upper bound, small next to the pixels.
extension IDXData: DataShapeEstimating {
    /// The images stay bytes in memory (`ByteInputs`), decoded a batch at a time.
    public var inputBytes: Int { 1 }

    public func estimatedShape() throws -> (samples: Int, features: Int, targets: Int)? {
        func part(_ images: String, limit: Int?) throws -> (samples: Int, features: Int) {
            let dims = try IDXReader.header(try DataFile(path: images), expectedDimensions: nil)
            let width = dims.dropFirst().reduce(1) { MemoryEstimate.multiply($0, $1) }
            return (min(dims[0], limit ?? Int.max), width)
        }
        let training = try part(images, limit: limit)
        var samples = training.samples
        if let test { samples = MemoryEstimate.add(samples, try part(test.images, limit: test.limit).samples) }
        return (samples, training.features, classNames?.count ?? 256)
    }
}

/// synthetic's `samples` and `test` counts give the data's shape, so `samples: 10000000000` is
/// refused by the estimate before a point is drawn.
extension SyntheticData: DataShapeEstimating {
    public func estimatedShape() throws -> (samples: Int, features: Int, targets: Int)? {
        (MemoryEstimate.add(samples, testSamples ?? 0), shape == .sine ? 1 : 2, oneHot ? 2 : 1)
    }
}
