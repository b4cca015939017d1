/// One row of history.csv.
public struct EpochRecord: Sendable, Equatable, Codable {
    public var epoch: Int
    /// Mean of the batch losses of the epoch, each measured before that batch's update
    /// (including the regularization penalty, when there is one).
    public var loss: Double
    /// The learning rate used during the epoch.
    public var learningRate: Double
    /// Per layer (index 0 = layer 1): the L2 norm of ∂E/∂W, averaged over the epoch's batches.
    public var gradientNorms: [Double]
    /// Per layer: mean |∂E/∂W| over the weights, averaged over the epoch's batches.
    public var gradientMeanAbs: [Double]
    public var validationLoss: Double?
    public var trainAccuracy: Double?
    public var validationAccuracy: Double?
    /// The regularization penalty's part of `loss`, averaged over the batches (nil without one).
    public var regularization: Double?

    public init(epoch: Int, loss: Double, learningRate: Double, gradientNorms: [Double], gradientMeanAbs: [Double],
                validationLoss: Double? = nil, trainAccuracy: Double? = nil, validationAccuracy: Double? = nil,
                regularization: Double? = nil) {
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.gradientNorms = gradientNorms
        self.gradientMeanAbs = gradientMeanAbs
        self.validationLoss = validationLoss
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
        self.regularization = regularization
    }
}

/// Every epoch's record: what `TrainerOf.history` holds and history.csv writes.
///
/// A collection of `EpochRecord`s to its readers, stored as one row of numbers an epoch
/// (epoch, loss, rate, then each layer's ‖∂E/∂W‖ and mean |∂E/∂W|), so appending one is one
/// array append and no allocation: a record holds two arrays, and a million of them took two
/// million allocations and 256 MB for the seed's network trained a million epochs (56 MB here).
/// Each optional field (validation loss, accuracies, penalty) takes a column of its own once
/// some epoch has a value in it. Encoded as an array of records, so checkpoints read the same.
public struct EpochHistory: RandomAccessCollection, Sendable, Equatable, Codable, ExpressibleByArrayLiteral {
    /// ∂E/∂W figures per record (the network's layer count); fixed by the first record.
    public private(set) var layerCount: Int
    /// `width` numbers per record: epoch, loss, learning rate, norms, mean magnitudes; the
    /// first `count` rows are records, any after them room for the next ones (zeros).
    private var rows: [Double] = []
    private var width: Int { 3 + 2 * layerCount }
    /// validationLoss, trainAccuracy, validationAccuracy, regularization: each empty until a
    /// record has the value, then one value per record, with `present`'s bit saying which count.
    private var validationLosses: [Double] = []
    private var trainAccuracies: [Double] = []
    private var validationAccuracies: [Double] = []
    private var penalties: [Double] = []
    private var present: [UInt8] = []

    /// An empty history of records with `layers` layers' gradient figures each (the first
    /// record appended sets it when the history is empty).
    public init(layers: Int = 0) { layerCount = layers }

    public init(_ records: some Sequence<EpochRecord>) {
        self.init()
        for record in records { append(record) }
    }

    public init(arrayLiteral records: EpochRecord...) { self.init(records) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { present.count }

    public subscript(position: Int) -> EpochRecord {
        var record = summary(position)
        record.gradientNorms = Array(gradientNorms(position))
        record.gradientMeanAbs = Array(gradientMeanAbs(position))
        return record
    }

    /// Record `position` without its gradient figures (which `gradientNorms(_:)` and
    /// `gradientMeanAbs(_:)` give without copying): what a long history's readers use.
    public func summary(_ position: Int) -> EpochRecord {
        func value(_ column: [Double], _ bit: UInt8) -> Double? { present[position] & bit != 0 ? column[position] : nil }
        let row = position * width
        return EpochRecord(epoch: Int(rows[row]), loss: rows[row + 1], learningRate: rows[row + 2],
                           gradientNorms: [], gradientMeanAbs: [],
                           validationLoss: value(validationLosses, 1), trainAccuracy: value(trainAccuracies, 2),
                           validationAccuracy: value(validationAccuracies, 4), regularization: value(penalties, 8))
    }

    /// One field of every record, e.g. `column(\.loss)` (the gradient figures are empty there).
    public func column<Value>(_ field: KeyPath<EpochRecord, Value>) -> [Value] {
        if let stored = storedColumn(field) as? [Value] { return stored }
        return indices.map { summary($0)[keyPath: field] }
    }

    /// The columns the charts read, straight from the rows: reading them through a key path on
    /// a record per epoch was a fifth of the seed pipeline's whole process (10,000 epochs).
    private func storedColumn(_ field: AnyKeyPath) -> Any? {
        func row(_ offset: Int) -> [Double] {
            let width = width
            return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                rows.withUnsafeBufferPointer { r in
                    for i in 0..<count { buffer[i] = r[i * width + offset] }
                }
                initialized = count
            }
        }
        func optional(_ column: [Double], _ bit: UInt8) -> [Double?] {
            present.indices.map { present[$0] & bit != 0 ? column[$0] : nil }
        }
        switch field {
        case \EpochRecord.epoch: return row(0).map { Int($0) }
        case \EpochRecord.loss: return row(1)
        case \EpochRecord.learningRate: return row(2)
        case \EpochRecord.validationLoss: return optional(validationLosses, 1)
        case \EpochRecord.trainAccuracy: return optional(trainAccuracies, 2)
        case \EpochRecord.validationAccuracy: return optional(validationAccuracies, 4)
        case \EpochRecord.regularization: return optional(penalties, 8)
        default: return nil
        }
    }

    /// Whether some record has a validation loss, train accuracy, validation accuracy, penalty.
    public var hasValidationLoss: Bool { !validationLosses.isEmpty }
    public var hasTrainAccuracy: Bool { !trainAccuracies.isEmpty }
    public var hasValidationAccuracy: Bool { !validationAccuracies.isEmpty }
    public var hasRegularization: Bool { !penalties.isEmpty }

    public func gradientNorms(_ position: Int) -> ArraySlice<Double> {
        let start = position * width + 3
        return rows[start..<(start + layerCount)]
    }

    public func gradientMeanAbs(_ position: Int) -> ArraySlice<Double> {
        let start = position * width + 3 + layerCount
        return rows[start..<(start + layerCount)]
    }

    /// Record `position`'s mean |∂E/∂W| of layer `layer` + 1.
    public func gradientMeanAbs(_ position: Int, layer: Int) -> Double { rows[position * width + 3 + layerCount + layer] }

    public mutating func append(_ record: EpochRecord) {
        precondition(record.gradientMeanAbs.count == record.gradientNorms.count, "an epoch record's gradient figures differ in length")
        record.gradientNorms.withUnsafeBufferPointer { n in
            record.gradientMeanAbs.withUnsafeBufferPointer { m in
                append(epoch: record.epoch, loss: record.loss, learningRate: record.learningRate, gradientNorms: n,
                       gradientMeanAbs: m, divisor: 1, validationLoss: record.validationLoss,
                       trainAccuracy: record.trainAccuracy, validationAccuracy: record.validationAccuracy,
                       regularization: record.regularization)
            }
        }
    }

    /// Appends a record whose gradient figures are `gradientNorms[l] / divisor` and
    /// `gradientMeanAbs[l] / divisor` (the trainer's epoch sums over its batches).
    public mutating func append(epoch: Int, loss: Double, learningRate: Double, gradientNorms: UnsafeBufferPointer<Double>,
                                gradientMeanAbs: UnsafeBufferPointer<Double>, divisor: Double,
                                validationLoss: Double? = nil, trainAccuracy: Double? = nil,
                                validationAccuracy: Double? = nil, regularization: Double? = nil) {
        if present.isEmpty { layerCount = gradientNorms.count }
        let layers = layerCount
        precondition(gradientNorms.count == layers && gradientMeanAbs.count == layers,
                     "an epoch record has \(gradientNorms.count) layers' gradient figures, the history \(layers)")
        // The row is written in place, into room made ahead (up to 4096 rows at a time, within
        // the capacity reserved): one uniqueness check for the array and no copy. Appending it
        // from a buffer on the stack stalled the copy, whose wide loads cannot be served from
        // the buffer's narrow stores still in flight.
        let width = 3 + 2 * layers, start = present.count * width
        if start + width > rows.count {
            let room = rows.capacity - rows.count
            rows.append(contentsOf: repeatElement(0, count: room >= width ? Swift.min(room, 4096 * width) - Swift.min(room, 4096 * width) % width
                                                                    : 4096 * width))
        }
        rows.withUnsafeMutableBufferPointer { all in
            let row = all.baseAddress! + start
            row[0] = Double(epoch)
            row[1] = loss
            row[2] = learningRate
            for l in 0..<layers {
                row[3 + l] = gradientNorms[l] / divisor
                row[3 + layers + l] = gradientMeanAbs[l] / divisor
            }
        }
        let count = present.count + 1
        var bits: UInt8 = 0
        if validationLoss != nil || !validationLosses.isEmpty { Self.put(validationLoss, into: &validationLosses, bit: 1, &bits, rows: count) }
        if trainAccuracy != nil || !trainAccuracies.isEmpty { Self.put(trainAccuracy, into: &trainAccuracies, bit: 2, &bits, rows: count) }
        if validationAccuracy != nil || !validationAccuracies.isEmpty {
            Self.put(validationAccuracy, into: &validationAccuracies, bit: 4, &bits, rows: count)
        }
        if regularization != nil || !penalties.isEmpty { Self.put(regularization, into: &penalties, bit: 8, &bits, rows: count) }
        present.append(bits)
    }

    /// Appends `value` to an optional column (made, zero-filled, at its first value), which
    /// then has `rows` entries.
    private static func put(_ value: Double?, into column: inout [Double], bit: UInt8, _ bits: inout UInt8, rows: Int) {
        if column.isEmpty { column = Array(repeating: 0, count: rows - 1) }
        column.append(value ?? 0)
        if value != nil { bits |= bit }
    }

    /// Room for `count` more records without reallocating (virtual memory until written).
    public mutating func reserveCapacity(_ count: Int) {
        let total = present.count + Swift.max(count, 0)
        rows.reserveCapacity(total * width)
        present.reserveCapacity(total)
    }

    /// The first `count` records.
    public func prefix(_ count: Int) -> EpochHistory {
        EpochHistory(self[..<Swift.min(Swift.max(count, 0), self.count)])
    }

    public static func == (a: EpochHistory, b: EpochHistory) -> Bool { a.elementsEqual(b) }

    public init(from decoder: any Decoder) throws {
        self.init(try [EpochRecord](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try Array(self).encode(to: encoder)
    }
}
