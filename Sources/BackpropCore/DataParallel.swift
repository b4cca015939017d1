/// The processes that train one model together, data-parallel (the pipeline implements it with
/// MPI; the core knows only this). Every process holds the same parameters and the same sample
/// order; each computes the gradients of its share of every batch, and one exchange per step
/// gives every process the same whole-batch gradients, so every process takes the same step.
public protocol ProcessGroup: AnyObject {
    /// This process's 0-based index.
    var rank: Int { get }
    /// Nanoseconds this process has spent in the exchanges so far (transfers and waiting for
    /// the others); the trainer reports the part spent inside its epoch loop.
    var exchangeNanoseconds: UInt64 { get }
    /// The number of processes, at least 1.
    var size: Int { get }
    /// Collective (every process calls it, with the same byte count, the same number of times):
    /// afterwards `all` holds process r's `mine` at byte offset r × `mine.count` (MPI_Allgather).
    func allGather(_ mine: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer)
    /// Collective (MPI_Alltoallv, in bytes): process s receives `send[sendOffsets[s] ..<
    /// sendOffsets[s] + sendCounts[s]]` from this process into its `receive` at its
    /// `receiveOffsets[this rank]`, with its `receiveCounts[this rank]` equal to that count.
    func allToAll(_ send: UnsafeRawBufferPointer, counts sendCounts: [Int], offsets sendOffsets: [Int],
                  into receive: UnsafeMutableRawBufferPointer, counts receiveCounts: [Int], offsets receiveOffsets: [Int])
    /// Collective (MPI_Allgatherv in place, in bytes): process r's part is `all[offsets[r] ..<
    /// offsets[r] + counts[r]]`; this process's is filled in, afterwards every part is.
    func allGatherInPlace(_ all: UnsafeMutableRawBufferPointer, counts: [Int], offsets: [Int])
}

extension ProcessGroup {
    /// Not measured unless the group measures it.
    public var exchangeNanoseconds: UInt64 { 0 }

    /// `allToAll` through `allGather` (every process must pass a `send` of the same length):
    /// every process's whole buffer travels, so only for groups without a collective of their own.
    public func allToAll(_ send: UnsafeRawBufferPointer, counts sendCounts: [Int], offsets sendOffsets: [Int],
                         into receive: UnsafeMutableRawBufferPointer, counts receiveCounts: [Int], offsets receiveOffsets: [Int]) {
        let all = UnsafeMutableRawBufferPointer.allocate(byteCount: send.count * size, alignment: 16)
        defer { all.deallocate() }
        allGather(send, into: all)
        // Process r sent its piece for this process at its own sendOffsets[rank], which every
        // process computes alike (the same layout function of the rank).
        for r in 0..<size where receiveCounts[r] > 0 {
            let source = UnsafeRawBufferPointer(rebasing: all[(r * send.count + sendOffsets[rank])...].prefix(receiveCounts[r]))
            UnsafeMutableRawBufferPointer(rebasing: receive[receiveOffsets[r]...].prefix(receiveCounts[r])).copyMemory(from: source)
        }
    }

    /// `allGatherInPlace` through `allGather`, each part padded to the longest.
    public func allGatherInPlace(_ all: UnsafeMutableRawBufferPointer, counts: [Int], offsets: [Int]) {
        let longest = counts.max() ?? 0
        let mine = UnsafeMutableRawBufferPointer.allocate(byteCount: max(longest, 1), alignment: 16)
        let gathered = UnsafeMutableRawBufferPointer.allocate(byteCount: max(longest * size, 1), alignment: 16)
        defer {
            mine.deallocate()
            gathered.deallocate()
        }
        if counts[rank] > 0 {
            mine.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offsets[rank]...].prefix(counts[rank])))
        }
        allGather(UnsafeRawBufferPointer(rebasing: mine[0..<longest]), into: UnsafeMutableRawBufferPointer(rebasing: gathered[0..<(longest * size)]))
        for r in 0..<size where r != rank && counts[r] > 0 {
            UnsafeMutableRawBufferPointer(rebasing: all[offsets[r]...].prefix(counts[r]))
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: gathered[(r * longest)...].prefix(counts[r])))
        }
    }

    /// This process's contiguous part of the positions `batch`: [lo + n·r/N, lo + n·(r+1)/N) for
    /// n = batch.count, so the parts cover the batch in rank order and differ in size by at most
    /// one (a part is empty when the batch has fewer samples than there are processes).
    public func share(of batch: Range<Int>) -> Range<Int> {
        let n = batch.count
        return batch.lowerBound + n * rank / size ..< batch.lowerBound + n * (rank + 1) / size
    }
}

/// The whole batch's step figures after an exchange.
struct StepTotals {
    /// The batch's mean loss: Σ_r loss_r · n_r / B.
    var loss: Double
    var correct: Int
    /// Whether any process was asked to stop (so all stop after the same step).
    var stop: Bool
    /// The first layer (1-based) whose activations stopped being finite on some process, or nil.
    var nonFiniteLayer: Int?
}

/// One step's exchange buffer, allocated once per `train` call.
///
/// Layout of one process's part, `bytes` long: 4 Doubles (its loss × n_r/B, correct count, stop
/// flag, first non-finite layer or 0), then every parameter's gradient, W1, b1, W2, ... row-major,
/// each the mean over the process's n_r samples × n_r/B. The Doubles come first so both regions
/// are aligned for either precision. The sum over processes is taken here, in rank order
/// ((g₀ + g₁) + g₂) + ..., not by the transport (MPI_Allreduce's order depends on the algorithm it
/// picks): two runs with the same N agree to the bit, and with N = 1 the step is exactly a plain
/// run's (the weight n/B is 1 and the sum has one term); the trainer uses it for two or more
/// processes with gradient clipping (`ShardedStep` otherwise), and one process trains as a plain run.
final class StepExchange<Scalar: TrainingScalar> {
    let group: any ProcessGroup
    private let gradientCount: Int
    private let bytes: Int
    private let mine: UnsafeMutableRawBufferPointer
    private let all: UnsafeMutableRawBufferPointer
    private static var scalarCount: Int { 4 }

    init(group: any ProcessGroup, parameters: [ParameterOf<Scalar>]) {
        self.group = group
        gradientCount = parameters.reduce(0) { $0 + $1.gradient.storage.count }
        bytes = Self.scalarCount * MemoryLayout<Double>.stride + gradientCount * MemoryLayout<Scalar>.stride
        mine = .allocate(byteCount: bytes, alignment: 16)
        all = .allocate(byteCount: bytes * group.size, alignment: 16)
    }

    deinit {
        mine.deallocate()
        all.deallocate()
    }

    /// Packs this process's share-weighted gradients and figures, exchanges them, and writes the
    /// rank-order sums back into the parameters' gradients. `share` samples of the batch's
    /// `batch` were this process's (0: its gradients are taken as zero, whatever they hold).
    func reduce(_ parameters: [ParameterOf<Scalar>], share: Int, of batch: Int, loss: Double, correct: Int,
                stop: Bool, nonFiniteLayer: Int?) -> StepTotals {
        let weight = Double(share) / Double(batch)
        let scalars = mine.baseAddress!.assumingMemoryBound(to: Double.self)
        scalars[0] = share > 0 ? loss * weight : 0
        scalars[1] = Double(correct)
        scalars[2] = stop ? 1 : 0
        scalars[3] = Double(nonFiniteLayer ?? 0)
        let packed = (mine.baseAddress! + Self.scalarCount * MemoryLayout<Double>.stride).assumingMemoryBound(to: Scalar.self)
        var offset = 0
        let factor = Scalar(weight)
        for parameter in parameters {
            parameter.gradient.storage.withUnsafeBufferPointer { g in
                if share == 0 {
                    for i in g.indices { packed[offset + i] = 0 }
                } else if factor == 1 {
                    for i in g.indices { packed[offset + i] = g[i] }
                } else {
                    for i in g.indices { packed[offset + i] = g[i] * factor }
                }
                offset += g.count
            }
        }

        group.allGather(UnsafeRawBufferPointer(mine), into: all)

        var totals = StepTotals(loss: 0, correct: 0, stop: false, nonFiniteLayer: nil)
        for r in 0..<group.size {
            let part = all.baseAddress! + r * bytes
            let figures = part.assumingMemoryBound(to: Double.self)
            totals.loss += figures[0]
            totals.correct += Int(figures[1])
            totals.stop = totals.stop || figures[2] != 0
            let layer = Int(figures[3])
            if layer > 0 { totals.nonFiniteLayer = min(totals.nonFiniteLayer ?? layer, layer) }
            let values = (part + Self.scalarCount * MemoryLayout<Double>.stride).assumingMemoryBound(to: Scalar.self)
            var offset = 0
            for parameter in parameters {
                parameter.gradient.storage.withUnsafeMutableBufferPointer { g in
                    if r == 0 {
                        for i in g.indices { g[i] = values[offset + i] }
                    } else {
                        for i in g.indices { g[i] += values[offset + i] }
                    }
                    offset += g.count
                }
            }
        }
        return totals
    }
}
