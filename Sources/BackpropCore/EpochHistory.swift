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

/// Every epoch's record, stored by column: what `TrainerOf.history` holds and history.csv writes.
///
/// A collection of `EpochRecord`s to its readers, but appending one costs a few stores and no
/// allocation (a record holds two arrays; a million of them took 2 million allocations and
/// 256 MB for the seed's network trained a million epochs, which this stores in 56 MB). Each
/// optional column (validation loss, accuracies, penalty) takes memory only once some epoch has
/// a value in it. Encoded as an array of records, so checkpoints read the same either way.
public struct EpochHistory: RandomAccessCollection, Sendable, Equatable, Codable, ExpressibleByArrayLiteral {
    /// ∂E/∂W figures per record (the network's layer count); fixed by the first record.
    public private(set) var layerCount: Int
    private var epochs: [Int] = []
    private var losses: [Double] = []
    private var rates: [Double] = []
    /// `layerCount` values per record, row after row.
    private var norms: [Double] = []
    private var meanAbs: [Double] = []
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
    public var endIndex: Int { epochs.count }

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
        return EpochRecord(epoch: epochs[position], loss: losses[position], learningRate: rates[position],
                           gradientNorms: [], gradientMeanAbs: [],
                           validationLoss: value(validationLosses, 1), trainAccuracy: value(trainAccuracies, 2),
                           validationAccuracy: value(validationAccuracies, 4), regularization: value(penalties, 8))
    }

    /// One field of every record, e.g. `column(\.loss)` (the gradient figures are empty there).
    public func column<Value>(_ field: KeyPath<EpochRecord, Value>) -> [Value] {
        indices.map { summary($0)[keyPath: field] }
    }

    /// Whether some record has a validation loss, train accuracy, validation accuracy, penalty.
    public var hasValidationLoss: Bool { !validationLosses.isEmpty }
    public var hasTrainAccuracy: Bool { !trainAccuracies.isEmpty }
    public var hasValidationAccuracy: Bool { !validationAccuracies.isEmpty }
    public var hasRegularization: Bool { !penalties.isEmpty }

    public func gradientNorms(_ position: Int) -> ArraySlice<Double> {
        norms[(position * layerCount)..<((position + 1) * layerCount)]
    }

    public func gradientMeanAbs(_ position: Int) -> ArraySlice<Double> {
        meanAbs[(position * layerCount)..<((position + 1) * layerCount)]
    }

    /// Record `position`'s mean |∂E/∂W| of layer `layer` + 1.
    public func gradientMeanAbs(_ position: Int, layer: Int) -> Double { meanAbs[position * layerCount + layer] }

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
        if epochs.isEmpty { layerCount = gradientNorms.count }
        precondition(gradientNorms.count == layerCount && gradientMeanAbs.count == layerCount,
                     "an epoch record has \(gradientNorms.count) layers' gradient figures, the history \(layerCount)")
        epochs.append(epoch)
        losses.append(loss)
        rates.append(learningRate)
        for l in 0..<layerCount {
            norms.append(gradientNorms[l] / divisor)
            meanAbs.append(gradientMeanAbs[l] / divisor)
        }
        var bits: UInt8 = 0
        Self.put(validationLoss, into: &validationLosses, bit: 1, &bits, rows: epochs.count)
        Self.put(trainAccuracy, into: &trainAccuracies, bit: 2, &bits, rows: epochs.count)
        Self.put(validationAccuracy, into: &validationAccuracies, bit: 4, &bits, rows: epochs.count)
        Self.put(regularization, into: &penalties, bit: 8, &bits, rows: epochs.count)
        present.append(bits)
    }

    /// Appends `value` to an optional column (made, zero-filled, at its first value), which
    /// then has `rows` entries.
    private static func put(_ value: Double?, into column: inout [Double], bit: UInt8, _ bits: inout UInt8, rows: Int) {
        guard value != nil || !column.isEmpty else { return }
        if column.isEmpty { column = Array(repeating: 0, count: rows - 1) }
        column.append(value ?? 0)
        if value != nil { bits |= bit }
    }

    /// Room for `count` more records without reallocating (virtual memory until written).
    public mutating func reserveCapacity(_ count: Int) {
        let total = epochs.count + Swift.max(count, 0)
        epochs.reserveCapacity(total)
        losses.reserveCapacity(total)
        rates.reserveCapacity(total)
        norms.reserveCapacity(total * layerCount)
        meanAbs.reserveCapacity(total * layerCount)
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
