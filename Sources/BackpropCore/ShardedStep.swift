/// Data-parallel steps with the update split across the processes (N ≥ 2).
///
/// Every parameter element has a place in the concatenation of the parameters (W1, b1, W2, ...,
/// row-major); process r owns the contiguous range `ranges[r]` of those places (N near-equal
/// parts). One step:
///
/// 1. each process computes the gradients of its share of the batch, as with `StepExchange`;
/// 2. `reduce`: one MPI_Alltoallv sends process s the part of the share-weighted gradients in
///    `ranges[s]`, with this process's loss, correct count, stop flag and non-finite layer; each
///    process adds what it received in rank order, ((g₀ + g₁) + g₂) + ..., so its range holds the
///    whole batch's gradients exactly as `StepExchange` sums them;
/// 3. the trainer measures, updates and checks only its own range (every update rule is
///    elementwise), so the optimizer's work, the gradient statistics and the finiteness check
///    are split N ways instead of repeated by every process;
/// 4. `shareWeights`: one MPI_Allgatherv gives every process every range of the updated weights,
///    with each process's partial gradient statistics and its first non-finite layer.
///
/// The sums are those of `StepExchange` and the update is the same arithmetic on the same
/// numbers, so the weights are bit-identical to it; only the gradient statistics (history's
/// norms) add their partial sums in another grouping, a difference in the last bits. The
/// communication is the same volume as the gradient allgather's for N = 2 and less for more
/// processes (each receives (N − 1)/N of a gradient and of the weights, not N − 1 gradients).
///
/// Between epochs `shareSums` and `shareOptimizerState` give every process the whole epoch's
/// gradient sums and optimizer buffers (each process updated only its range of them), so the
/// state a checkpoint saves is complete on every process.
final class ShardedStep<Scalar: TrainingScalar> {
    let group: any ProcessGroup
    /// `ranges[r]`: the places process r updates.
    let ranges: [Range<Int>]
    var ownRange: Range<Int> { ranges[group.rank] }
    private let layerCount: Int

    // The reduce's send and receive buffers: per destination (send) or per source (receive),
    // 4 Doubles of figures, then the gradients of the destination's (receiver's) range. The
    // piece a process sends itself is its figures alone: its own gradients are read where they
    // are when the pieces are summed (packing them, copying them to itself and reading them back
    // moved three times this process's range through memory every step). The offsets are those
    // of whole pieces, the same on every process.
    private static var figureBytes: Int { 4 * MemoryLayout<Double>.stride }
    private let sendCounts: [Int], sendOffsets: [Int]
    private let receiveCounts: [Int], receiveOffsets: [Int]
    private let send: UnsafeMutableRawBufferPointer
    private let receive: UnsafeMutableRawBufferPointer

    // The weights' exchange: per process, its statistics (squares and magnitudes per layer, then
    // its first non-finite layer or 0, as Doubles), then the weights of its range.
    private var statisticsBytes: Int { (2 * layerCount + 1) * MemoryLayout<Double>.stride }
    private let weightCounts: [Int], weightOffsets: [Int]
    private let weights: UnsafeMutableRawBufferPointer

    init(group: any ProcessGroup, parameters: [ParameterOf<Scalar>]) {
        self.group = group
        let total = parameters.reduce(0) { $0 + $1.value.storage.count }
        let size = group.size
        ranges = (0..<size).map { r in total * r / size ..< total * (r + 1) / size }
        layerCount = parameters.count / 2
        let stride = MemoryLayout<Scalar>.stride
        let own = ranges[group.rank].count
        let pieces = ranges.map { Self.figureBytes + $0.count * stride }
        sendOffsets = Self.offsets(pieces)
        sendCounts = pieces.indices.map { $0 == group.rank ? Self.figureBytes : pieces[$0] }
        let received = Array(repeating: Self.figureBytes + own * stride, count: size)
        receiveOffsets = Self.offsets(received)
        receiveCounts = received.indices.map { $0 == group.rank ? Self.figureBytes : received[$0] }
        send = .allocate(byteCount: sendOffsets[size - 1] + pieces[size - 1], alignment: 16)
        receive = .allocate(byteCount: receiveOffsets[size - 1] + received[size - 1], alignment: 16)
        let statistics = (2 * layerCount + 1) * MemoryLayout<Double>.stride
        weightCounts = ranges.map { statistics + $0.count * stride }
        weightOffsets = Self.offsets(weightCounts)
        weights = .allocate(byteCount: weightOffsets[size - 1] + weightCounts[size - 1], alignment: 16)
    }

    deinit {
        send.deallocate()
        receive.deallocate()
        weights.deallocate()
    }

    /// Each part's byte offset: the parts one after another, each rounded up to 16 bytes.
    private static func offsets(_ counts: [Int]) -> [Int] {
        var offsets: [Int] = [], next = 0
        for count in counts {
            offsets.append(next)
            next += (count + 15) & ~15
        }
        return offsets
    }

    /// Step 2: afterwards the parameters' gradients hold the whole batch's sums in `ownRange`
    /// (elsewhere they are this process's own, unused); the figures are the whole batch's on
    /// every process. `share` samples of the batch's `batch` were this process's.
    func reduce(_ parameters: [ParameterOf<Scalar>], share: Int, of batch: Int, loss: Double, correct: Int,
                stop: Bool, nonFiniteLayer: Int?) -> StepTotals {
        let weight = Double(share) / Double(batch)
        let factor = Scalar(weight)
        for s in 0..<group.size {
            let piece = send.baseAddress! + sendOffsets[s]
            let figures = piece.assumingMemoryBound(to: Double.self)
            figures[0] = share > 0 ? loss * weight : 0
            figures[1] = Double(correct)
            figures[2] = stop ? 1 : 0
            figures[3] = Double(nonFiniteLayer ?? 0)
            guard s != group.rank else { continue }
            let values = (piece + Self.figureBytes).assumingMemoryBound(to: Scalar.self)
            var offset = 0
            for (_, parameter, part) in ParameterParts(parameters, ranges[s]) where !part.isEmpty {
                parameter.gradient.storage.withUnsafeBufferPointer { g in
                    let target = values + offset - part.lowerBound
                    if share == 0 {
                        for i in part { target[i] = 0 }
                    } else if factor == 1 {
                        for i in part { target[i] = g[i] }
                    } else {
                        for i in part { target[i] = g[i] * factor }
                    }
                }
                offset += part.count
            }
        }

        group.allToAll(UnsafeRawBufferPointer(send), counts: sendCounts, offsets: sendOffsets,
                       into: receive, counts: receiveCounts, offsets: receiveOffsets)

        var totals = StepTotals(loss: 0, correct: 0, stop: false, nonFiniteLayer: nil)
        for r in 0..<group.size {
            let figures = (receive.baseAddress! + receiveOffsets[r]).assumingMemoryBound(to: Double.self)
            totals.loss += figures[0]
            totals.correct += Int(figures[1])
            totals.stop = totals.stop || figures[2] != 0
            let layer = Int(figures[3])
            if layer > 0 { totals.nonFiniteLayer = min(totals.nonFiniteLayer ?? layer, layer) }
        }
        var offset = 0
        let size = group.size, rank = group.rank
        for (_, parameter, part) in ParameterParts(parameters, ownRange) where !part.isEmpty {
            parameter.gradient.storage.withUnsafeMutableBufferPointer { g in
                func source(_ r: Int) -> UnsafePointer<Scalar> {
                    UnsafePointer((receive.baseAddress! + receiveOffsets[r] + Self.figureBytes).assumingMemoryBound(to: Scalar.self))
                        + offset - part.lowerBound
                }
                // This process's own term, as it would have sent it: 0 without a share, else the
                // share-weighted gradient.
                @inline(__always) func own(_ i: Int) -> Scalar { share == 0 ? 0 : factor == 1 ? g[i] : g[i] * factor }
                // In rank order, in one pass for two processes.
                if size == 2 {
                    let other = source(1 - rank)
                    if rank == 0 {
                        for i in part { g[i] = own(i) + other[i] }
                    } else {
                        for i in part { g[i] = other[i] + own(i) }
                    }
                } else {
                    // ((t₀ + t₁) + t₂) + ..., this process's term read from its gradients.
                    for i in part {
                        var sum = rank == 0 ? own(i) : source(0)[i]
                        for r in 1..<size { sum += r == rank ? own(i) : source(r)[i] }
                        g[i] = sum
                    }
                }
            }
            offset += part.count
        }
        return totals
    }

    /// Step 4: every process's updated weights in its range, and the whole batch's statistics.
    /// `squares`/`magnitudes` are this process's per-layer Σg² and Σ|g| over its range; returns
    /// the rank-order sums of both and the first non-finite layer of any process.
    func shareWeights(_ parameters: [ParameterOf<Scalar>], squares: inout [Double], magnitudes: inout [Double],
                      nonFiniteLayer: Int?) -> Int? {
        let mine = weights.baseAddress! + weightOffsets[group.rank]
        let statistics = mine.assumingMemoryBound(to: Double.self)
        for l in 0..<layerCount {
            statistics[l] = squares[l]
            statistics[layerCount + l] = magnitudes[l]
        }
        statistics[2 * layerCount] = Double(nonFiniteLayer ?? 0)
        copy(parameters, rank: group.rank, toExchange: true)
        group.allGatherInPlace(weights, counts: weightCounts, offsets: weightOffsets)
        var bad: Int?
        for l in 0..<layerCount {
            squares[l] = 0
            magnitudes[l] = 0
        }
        for r in 0..<group.size {
            let theirs = (weights.baseAddress! + weightOffsets[r]).assumingMemoryBound(to: Double.self)
            for l in 0..<layerCount {
                squares[l] += theirs[l]
                magnitudes[l] += theirs[layerCount + l]
            }
            let layer = Int(theirs[2 * layerCount])
            if layer > 0 { bad = min(bad ?? layer, layer) }
            if r != group.rank { copy(parameters, rank: r, toExchange: false) }
        }
        return bad
    }

    /// Copies rank `rank`'s range of the parameters' values into (`toExchange`) or out of that
    /// rank's part of the weights buffer, after its statistics.
    private func copy(_ parameters: [ParameterOf<Scalar>], rank: Int, toExchange: Bool) {
        let values = (weights.baseAddress! + weightOffsets[rank] + statisticsBytes).assumingMemoryBound(to: Scalar.self)
        var offset = 0
        for (_, parameter, part) in ParameterParts(parameters, ranges[rank]) where !part.isEmpty {
            let place = values + offset - part.lowerBound
            if toExchange {
                parameter.value.storage.withUnsafeBufferPointer { w in
                    for i in part { place[i] = w[i] }
                }
            } else {
                parameter.value.storage.withUnsafeMutableBufferPointer { w in
                    for i in part { w[i] = place[i] }
                }
            }
            offset += part.count
        }
    }

    /// Between epochs: every process's range of the epoch's gradient sums (`sums[l]` has layer
    /// l's weights' shape; the biases' places are not summed), so every process has all of them.
    func shareSums(_ parameters: [ParameterOf<Scalar>], _ sums: inout [MatrixOf<Scalar>]) {
        let stride = MemoryLayout<Scalar>.stride
        let counts = ranges.map { $0.count * stride }
        let offsets = Self.offsets(counts)
        let all = UnsafeMutableRawBufferPointer.allocate(byteCount: max(offsets[group.size - 1] + counts[group.size - 1], 1), alignment: 16)
        defer { all.deallocate() }
        func each(_ rank: Int, _ body: (UnsafeMutablePointer<Scalar>, Int, Range<Int>) -> Void) {
            let values = (all.baseAddress! + offsets[rank]).assumingMemoryBound(to: Scalar.self)
            var offset = 0
            for (index, _, part) in ParameterParts(parameters, ranges[rank]) {
                if index % 2 == 0 && !part.isEmpty { body(values + offset - part.lowerBound, index / 2, part) }
                offset += part.count
            }
        }
        each(group.rank) { place, layer, part in
            sums[layer].storage.withUnsafeBufferPointer { s in for i in part { place[i] = s[i] } }
        }
        group.allGatherInPlace(all, counts: counts, offsets: offsets)
        for r in 0..<group.size where r != group.rank {
            each(r) { place, layer, part in
                sums[layer].storage.withUnsafeMutableBufferPointer { s in for i in part { s[i] = place[i] } }
            }
        }
    }

    /// Between epochs: every process's range of the optimizer's per-parameter buffers (saved
    /// as "<kind>/<parameter name>", `OptimizerBuffer`), put back into the optimizer, so each
    /// process holds the state a single process would. Scalars such as Adam's step count are
    /// the same everywhere and stay.
    func shareOptimizerState(_ optimizer: any Optimizer, _ parameters: [ParameterOf<Scalar>]) {
        var state = optimizer.saveState()
        // Sorted: every process lays the buffers out in the same order.
        let keys = state.keys.filter { $0.contains("/") }.sorted()
        guard !keys.isEmpty else { return }
        var start: [String: (offset: Int, count: Int)] = [:]
        var offset = 0
        for parameter in parameters {
            start[parameter.name] = (offset, parameter.value.storage.count)
            offset += parameter.value.storage.count
        }
        // The part of `key`'s buffer in `range`, as positions within the buffer.
        func part(_ key: String, _ range: Range<Int>) -> Range<Int> {
            guard let name = key.split(separator: "/").last, let (begin, count) = start[String(name)],
                  state[key]?.count == count else { return 0..<0 }
            let lower = max(range.lowerBound - begin, 0), upper = min(range.upperBound - begin, count)
            return lower < upper ? lower..<upper : 0..<0
        }
        let stride = MemoryLayout<Double>.stride
        let counts = ranges.map { range in keys.reduce(0) { $0 + part($1, range).count } * stride }
        let offsets = Self.offsets(counts)
        let all = UnsafeMutableRawBufferPointer.allocate(byteCount: max(offsets[group.size - 1] + counts[group.size - 1], 1), alignment: 16)
        defer { all.deallocate() }
        func values(_ rank: Int) -> UnsafeMutablePointer<Double> {
            (all.baseAddress! + offsets[rank]).assumingMemoryBound(to: Double.self)
        }
        var next = values(group.rank)
        for key in keys {
            let range = part(key, ownRange)
            guard !range.isEmpty, let buffer = state[key] else { continue }
            for i in range {
                next.pointee = buffer[i]
                next += 1
            }
        }
        group.allGatherInPlace(all, counts: counts, offsets: offsets)
        for r in 0..<group.size where r != group.rank {
            var next = values(r)
            for key in keys {
                let range = part(key, ranges[r])
                guard !range.isEmpty else { continue }
                state[key]!.withUnsafeMutableBufferPointer { buffer in
                    for i in range {
                        buffer[i] = next.pointee
                        next += 1
                    }
                }
            }
        }
        // The state came from this optimizer with these parameters, so it fits.
        try? optimizer.restoreState(state, parameters: parameters)
    }
}
