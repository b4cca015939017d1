/// The training step of a small network as plain loops over one block of memory: forward,
/// loss, backward, the gradient statistics, the SGD update and the finiteness check, with no
/// call through a protocol, no reference counting and no allocation per step.
///
/// For networks where every product is below `BLAS.directLimit` (the seed's 1×2×2), the layer
/// path's cost is its overhead, not its arithmetic: a step of the seed's network took about 7,000
/// instructions there, most of them retains and releases of matrix buffers and layer objects
/// and dynamic calls, against some 300 for the plain C loop of the benchmark. This does the
/// same arithmetic in the same order (the direct products of `BLAS.direct`, each activation's own
/// `value` and `derivative`, the squared-error sums of the losses, SGD's `w −= η·g`, the
/// statistics of `measureGradients`), so its results are bit-identical to the layer path's;
/// a test trains both and compares every number.
///
/// It handles what the seed-sized experiments use: elementwise activations, the squared-error
/// losses (`half_squared_error`, `mse`), plain SGD (no momentum, no weight decay), no
/// regularization, no clipping, one process. Anything else takes the layer path.
///
/// The block holds the parameters while training runs; `TrainerOf` copies them back into the
/// network (`store`) before anything else reads them. A struct of pointers, so passing it
/// around retains nothing (as a class it cost four atomic reference-count operations a step,
/// a fifth of the seed's step time); `deallocate()` frees it.
struct DirectStep<Scalar: TrainingScalar> {
    /// The activations the step applies without a dynamic call; `.other` calls the activation's
    /// own `value` and `derivative` through its protocol (the same numbers, more slowly).
    enum Kind { case sigmoid, tanh, relu, linear, other }

    enum LossKind { case halfSquared, mean }

    /// One layer's places in the block (element offsets), shapes (batch, in) -> (batch, units).
    struct Layer {
        var inputs: Int, units: Int
        var kind: Kind, other: Int
        var trainWeights: Bool, trainBias: Bool
        /// (in, units), (units): parameters and their gradients.
        var weights: Int, bias: Int, weightGradient: Int, biasGradient: Int
        /// (in, units) × 2: this epoch's and the last epoch's Σ ∂E/∂W.
        var sums: Int
        /// (batch, units) each: net input, output, ∂E/∂net; ∂E/∂x is (batch, in).
        var net: Int, out: Int, netGradient: Int, inputGradient: Int
    }

    let layerCount: Int
    private let layers: UnsafeMutablePointer<Layer>
    private let others: UnsafeMutablePointer<any ElementwiseActivation>
    private let otherCount: Int
    private let loss: LossKind
    private let inputCount: Int, outputCount: Int
    private let batchLimit: Int
    /// (batch, inputs) and (batch, outputs): a mini-batch's gathered rows.
    private let batchInputs: Int, batchTargets: Int
    /// Which of the two sums areas is this epoch's (0 or 1).
    private let current: UnsafeMutablePointer<Int>
    private let memory: UnsafeMutablePointer<Scalar>
    /// Per layer: this epoch's Σ ‖∂E/∂W‖₂ and Σ mean |∂E/∂W| over its batches.
    let norms: UnsafeMutablePointer<Double>
    let meanAbs: UnsafeMutablePointer<Double>

    /// nil when `network` and the configuration need the layer path (see the type's comment).
    init?(network: NetworkOf<Scalar>, loss: any Loss, optimizer: any Optimizer, options: TrainingOptions, batchSize: Int) {
        guard let sgd = optimizer as? SGD, sgd.momentum == 0, sgd.weightDecay == 0,
              !options.regularization.isActive, options.clipGradientNorm == nil else { return nil }
        switch loss {
        case is HalfSquaredError: self.loss = .halfSquared
        case is MeanSquaredError: self.loss = .mean
        default: return nil
        }
        var others: [any ElementwiseActivation] = []
        var descriptions: [Layer] = []
        var offset = 0
        func take(_ n: Int) -> Int {
            defer { offset += n }
            return offset
        }
        for layer in network.layers {
            // The layer path's products are direct below this size; above it they are BLAS's.
            guard batchSize * layer.inputCount * layer.unitCount <= BLAS.directLimit,
                  let elementwise = layer.activation as? any ElementwiseActivation else { return nil }
            let kind: Kind
            switch elementwise {
            case is Sigmoid: kind = .sigmoid
            case is Tanh: kind = .tanh
            case is ReLU: kind = .relu
            case is Linear: kind = .linear
            default:
                kind = .other
                others.append(elementwise)
            }
            let weights = layer.inputCount * layer.unitCount, cells = batchSize * layer.unitCount
            descriptions.append(Layer(inputs: layer.inputCount, units: layer.unitCount, kind: kind, other: others.count - 1,
                                      trainWeights: layer.weights.isTrainable, trainBias: layer.bias.isTrainable,
                                      weights: take(weights), bias: take(layer.unitCount), weightGradient: take(weights),
                                      biasGradient: take(layer.unitCount), sums: take(2 * weights),
                                      net: take(cells), out: take(cells), netGradient: take(cells),
                                      inputGradient: take(batchSize * layer.inputCount)))
        }
        inputCount = network.inputCount
        outputCount = network.outputCount
        batchLimit = batchSize
        batchInputs = take(batchSize * inputCount)
        batchTargets = take(batchSize * outputCount)
        otherCount = others.count
        self.others = .allocate(capacity: max(others.count, 1))
        self.others.initialize(from: others, count: others.count)
        current = .allocate(capacity: 1)
        current.initialize(to: 0)
        layerCount = descriptions.count
        memory = .allocate(capacity: max(offset, 1))
        memory.initialize(repeating: 0, count: max(offset, 1))
        layers = .allocate(capacity: layerCount)
        layers.initialize(from: descriptions, count: layerCount)
        norms = .allocate(capacity: layerCount)
        norms.initialize(repeating: 0, count: layerCount)
        meanAbs = .allocate(capacity: layerCount)
        meanAbs.initialize(repeating: 0, count: layerCount)
        load(network)
    }

    func deallocate() {
        others.deinitialize(count: otherCount)
        others.deallocate()
        current.deallocate()
        memory.deallocate()
        layers.deinitialize(count: layerCount)
        layers.deallocate()
        norms.deallocate()
        meanAbs.deallocate()
    }

    /// Copies the network's parameters into the block.
    func load(_ network: NetworkOf<Scalar>) {
        for (l, layer) in network.layers.enumerated() {
            copy(layer.weights.value.storage, to: layers[l].weights)
            copy(layer.bias.value.storage, to: layers[l].bias)
        }
    }

    /// Copies the parameters back into the network, and the last finished epoch's Σ ∂E/∂W into
    /// `lastSums` (one (in, units) matrix per layer).
    func store(_ network: NetworkOf<Scalar>, lastSums: inout [MatrixOf<Scalar>]) {
        for (l, layer) in network.layers.enumerated() {
            let d = layers[l]
            let weights = d.inputs * d.units
            layer.weights.value.storage.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: memory + d.weights, count: weights) }
            layer.bias.value.storage.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: memory + d.bias, count: d.units) }
            lastSums[l].storage.withUnsafeMutableBufferPointer {
                $0.baseAddress!.update(from: memory + d.sums + (1 - current.pointee) * weights, count: weights)
            }
        }
    }

    private func copy(_ values: [Scalar], to place: Int) {
        values.withUnsafeBufferPointer { (memory + place).update(from: $0.baseAddress!, count: $0.count) }
    }

    /// Zeroes this epoch's sums and statistics.
    func beginEpoch() {
        for l in 0..<layerCount {
            let d = layers[l]
            directDispatch(d.inputs, d.units, Zero(values: memory + d.sums + current.pointee * d.inputs * d.units))
            norms[l] = 0
            meanAbs[l] = 0
        }
    }

    /// in × units zeros (a few stores for the widths compiled in, not a call to memset).
    struct Zero: DirectKernel {
        let values: UnsafeMutablePointer<Scalar>

        @inline(__always)
        func run<I: DirectExtent, U: DirectExtent>(_ i: I, _ u: U) {
            for e in 0..<(i.count &* u.count) { values[e] = 0 }
        }
    }

    /// Makes this epoch's sums the last epoch's.
    func endEpoch() { current.pointee = 1 - current.pointee }

    /// Copies the rows `rows` of `inputs` and `targets` (row-major, `inputCount` and
    /// `outputCount` wide) into the block as the batch `gradient` works on: once for full-batch
    /// training, every step for mini-batches.
    func gather(_ rows: some Collection<Int>, inputs: UnsafePointer<Scalar>, targets: UnsafePointer<Scalar>) {
        precondition(rows.count <= batchLimit, "direct step: a batch of \(rows.count) rows in a workspace of \(batchLimit)")
        let xs = memory + batchInputs, ts = memory + batchTargets
        for (r, index) in rows.enumerated() {
            (xs + r * inputCount).update(from: inputs + index * inputCount, count: inputCount)
            (ts + r * outputCount).update(from: targets + index * outputCount, count: outputCount)
        }
    }

    /// Forward, loss and backward for the first `count` rows `gather` put in the block: the
    /// gradients are written; returns the batch's mean loss and, with `countCorrect`, the rows
    /// whose predicted class is the target's.
    func gradient(count: Int, countCorrect: Bool) -> (loss: Double, correct: Int) {
        let x = UnsafePointer(memory + batchInputs), t = UnsafePointer(memory + batchTargets)
        // Forward: net = x·W + b, out = f(net), layer by layer. The products are `BLAS.direct`'s
        // sums (from 0, in order of the inner index), written out with wrapping index arithmetic:
        // overflow checks on every index cost more than the arithmetic at this size.
        var below = x
        for l in 0..<layerCount {
            let d = layers[l]
            let net = memory + d.net, out = memory + d.out
            let w = UnsafePointer(memory + d.weights), bias = UnsafePointer(memory + d.bias)
            // The activation applied in the product's pass (the sigmoid of the seed's layers),
            // or after it for one called through its protocol.
            switch d.kind {
            case .sigmoid: directDispatch(d.inputs, d.units, Forward(f: Sigmoid(), rows: count, x: below, w: w, bias: bias, net: net, out: out))
            case .tanh: directDispatch(d.inputs, d.units, Forward(f: Tanh(), rows: count, x: below, w: w, bias: bias, net: net, out: out))
            case .relu: directDispatch(d.inputs, d.units, Forward(f: ReLU(), rows: count, x: below, w: w, bias: bias, net: net, out: out))
            case .linear: directDispatch(d.inputs, d.units, Forward(f: Linear(), rows: count, x: below, w: w, bias: bias, net: net, out: out))
            case .other:
                directDispatch(d.inputs, d.units, Forward(f: Linear(), rows: count, x: below, w: w, bias: bias, net: net, out: out))
                Self.apply(others[d.other], net, out, count &* d.units)
            }
            below = UnsafePointer(out)
        }
        // The loss and ∂E/∂out (the squared-error losses' shared arithmetic), into the top
        // layer's ∂E/∂net, which the activation's factor then turns into ∂E/∂net in place.
        let top = layers[layerCount - 1]
        let out = memory + top.out, outGradient = memory + top.netGradient
        let elements = count * top.units
        let scale: Scalar, divisor: Scalar
        switch loss {
        case .halfSquared: (divisor, scale) = (Scalar(max(count, 1)), 1 / Scalar(max(count, 1)))
        case .mean: (divisor, scale) = (Scalar(max(elements, 1)), 2 / Scalar(max(elements, 1)))
        }
        var total: Scalar = 0
        for i in 0..<elements {
            let difference = out[i] - t[i]
            total += difference * difference
            outGradient[i] = scale * difference
        }
        let value = loss == .halfSquared ? Double(0.5 * total / divisor) : Double(total / divisor)
        var correct = 0
        if countCorrect {
            let o = UnsafeBufferPointer(start: UnsafePointer(out), count: elements)
            let targetRows = UnsafeBufferPointer(start: t, count: elements)
            for r in 0..<count where NetworkOf.predictedClass(o, row: r, width: top.units)
                == NetworkOf.predictedClass(targetRows, row: r, width: top.units) {
                correct += 1
            }
        }
        // Backward, top layer first: ∂E/∂net = ∂E/∂out · f'(net), then ∂E/∂W, ∂E/∂b and the
        // layer below's ∂E/∂out (none for layer 1).
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let d = layers[l]
            let dNet = memory + d.netGradient
            // ∂E/∂out: the loss's, already in place for the top layer, else the layer above's ∂E/∂x.
            let outGradient = l < layerCount - 1 ? UnsafePointer(memory + layers[l + 1].inputGradient) : UnsafePointer(dNet)
            derive(d, memory + d.net, memory + d.out, outGradient, dNet, count * d.units)
            let input = l > 0 ? UnsafePointer(memory + layers[l - 1].out) : x
            directDispatch(d.inputs, d.units, Backward(
                rows: count, input: input, netGradient: UnsafePointer(dNet), w: UnsafePointer(memory + d.weights),
                weightGradient: memory + d.weightGradient, biasGradient: d.trainBias ? memory + d.biasGradient : nil,
                inputGradient: l > 0 ? memory + d.inputGradient : nil))
        }
        return (value, correct)
    }

    /// After `gradient`: each layer's ‖∂E/∂W‖₂ and mean |∂E/∂W| into the epoch's statistics and
    /// ∂E/∂W into its sums, then w −= η·g on every trainable parameter; returns the 1-based layer
    /// of the first weight or bias that is no longer finite, if any.
    /// `first`: the epoch's first batch, whose statistics and sums start from 0 here, in place of
    /// `beginEpoch` (the same numbers: 0 + x, as after zeroing).
    func update(learningRate: Double, first: Bool = false) -> Int? {
        let rate = Scalar(learningRate)
        var bad: Int?
        for l in 0..<layerCount {
            let d = layers[l]
            let n = d.inputs * d.units
            let update = Update(rate: rate, gradient: UnsafePointer(memory + d.weightGradient),
                                sums: memory + d.sums + current.pointee * n, first: first, weights: memory + d.weights,
                                biasGradient: UnsafePointer(memory + d.biasGradient), bias: memory + d.bias,
                                trainWeights: d.trainWeights, trainBias: d.trainBias)
            let (squares, magnitudes, finite) = directDispatch(d.inputs, d.units, update)
            norms[l] = (first ? 0 : norms[l]) + Double(squares.squareRoot())
            meanAbs[l] = (first ? 0 : meanAbs[l]) + Double(magnitudes / Scalar(max(n, 1)))
            if !finite && bad == nil { bad = l + 1 }
        }
        return bad
    }

    /// One layer's part of `update`: Σg² and Σ|g| over ∂E/∂W (added to the epoch's sums on the
    /// way), w −= η·g for the weights and the bias when they train, and whether every weight
    /// and bias is finite afterwards.
    struct Update: DirectKernel {
        let rate: Scalar
        let gradient: UnsafePointer<Scalar>, sums: UnsafeMutablePointer<Scalar>, first: Bool
        let weights: UnsafeMutablePointer<Scalar>
        let biasGradient: UnsafePointer<Scalar>, bias: UnsafeMutablePointer<Scalar>
        let trainWeights: Bool, trainBias: Bool

        @inline(never)
        func run<I: DirectExtent, U: DirectExtent>(_ i: I, _ u: U) -> (Scalar, Scalar, Bool) {
            let n = i.count &* u.count, units = u.count
            let g = gradient, w = weights
            var squares: Scalar = 0, magnitudes: Scalar = 0
            // `squaresAndMagnitudes` (what the layer path measures with) sums fewer elements than
            // its accumulators in one chain from 0, which this loop does with them unrolled.
            if n < (Scalar.self == Float.self ? 16 : 8) {
                for e in 0..<n {
                    let v = g[e]
                    squares += v * v
                    magnitudes += v.magnitude
                    sums[e] = (first ? 0 : sums[e]) + v
                }
            } else {
                if first { sums.update(repeating: 0, count: n) }
                (squares, magnitudes) = Scalar.squaresAndMagnitudes(UnsafeBufferPointer(start: g, count: n),
                                                                    addingTo: UnsafeMutableBufferPointer(start: sums, count: n))
            }
            var check: Scalar = 0
            Self.step(w, g, count: n, rate: rate, trains: trainWeights, check: &check)
            Self.step(bias, biasGradient, count: units, rate: rate, trains: trainBias, check: &check)
            return (squares, magnitudes, check == 0)
        }

        /// v −= η·g over `count` values when they train, adding v − v to `check` (0 for a finite
        /// v, NaN otherwise: the finiteness check in the same pass).
        @inline(__always)
        static func step(_ v: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, count: Int, rate: Scalar, trains: Bool,
                         check: inout Scalar) {
            if trains {
                for e in 0..<count {
                    let updated = v[e] - rate * g[e]
                    v[e] = updated
                    check += updated - updated
                }
            } else {
                for e in 0..<count { check += v[e] - v[e] }
            }
        }
    }

    /// The 1-based layer whose net input or output of the last forward pass of `count` rows
    /// holds a NaN or infinity first, if any.
    func firstNonFiniteActivation(count: Int) -> Int? {
        for l in 0..<layerCount {
            let d = layers[l]
            let cells = count * d.units
            if !Scalar.allFinite(UnsafeBufferPointer(start: memory + d.net, count: cells))
                || !Scalar.allFinite(UnsafeBufferPointer(start: memory + d.out, count: cells)) {
                return l + 1
            }
        }
        return nil
    }

    /// net = x·W + b: (batch, in) x (in, units) -> (batch, units), each sum from 0 in order of
    /// the inner index (`BLAS.direct`'s), then + b and out = f(net) (the layer path's bias and
    /// activation pass).
    struct Forward<F: ElementwiseActivation>: DirectKernel {
        let f: F
        let rows: Int
        let x: UnsafePointer<Scalar>, w: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>
        let net: UnsafeMutablePointer<Scalar>, out: UnsafeMutablePointer<Scalar>

        @inline(never)
        func run<I: DirectExtent, U: DirectExtent>(_ i: I, _ u: U) {
            let inputs = i.count, units = u.count
            for r in 0..<rows {
                let xr = x + r &* inputs, n = net + r &* units, o = out + r &* units
                for k in 0..<units {
                    var sum: Scalar = 0
                    for p in 0..<inputs { sum += xr[p] * w[p &* units &+ k] }
                    let v = sum + bias[k]
                    n[k] = v
                    o[k] = f.value(v)
                }
            }
        }
    }

    /// ∂E/∂W = xᵀ·∂E/∂net, (in, batch) x (batch, units) -> (in, units); ∂E/∂b = Σ_batch ∂E/∂net
    /// (when given a place); ∂E/∂x = ∂E/∂net·Wᵀ, (batch, units) x (units, in) -> (batch, in) (when
    /// given one). Each ∂E/∂W and ∂E/∂b element is 0 plus the rows' terms in row order, as in
    /// `BLAS.direct` and the layer path's bias loop, accumulated row by row in place.
    struct Backward: DirectKernel {
        let rows: Int
        let input: UnsafePointer<Scalar>, netGradient: UnsafePointer<Scalar>, w: UnsafePointer<Scalar>
        let weightGradient: UnsafeMutablePointer<Scalar>
        let biasGradient: UnsafeMutablePointer<Scalar>?
        let inputGradient: UnsafeMutablePointer<Scalar>?

        @inline(never)
        func run<I: DirectExtent, U: DirectExtent>(_ i: I, _ u: U) {
            let inputs = i.count, units = u.count
            let dW = weightGradient
            for e in 0..<(inputs &* units) { dW[e] = 0 }
            for r in 0..<rows {
                let xr = input + r &* inputs, d = netGradient + r &* units
                for p in 0..<inputs {
                    let xp = xr[p]
                    for k in 0..<units { dW[p &* units &+ k] += xp * d[k] }
                }
            }
            if let g = biasGradient {
                for k in 0..<units { g[k] = 0 }
                for r in 0..<rows {
                    let d = netGradient + r &* units
                    for k in 0..<units { g[k] += d[k] }
                }
            }
            if let dX = inputGradient {
                for r in 0..<rows {
                    let d = netGradient + r &* units
                    for j in 0..<inputs {
                        var sum: Scalar = 0
                        for k in 0..<units { sum += d[k] * w[j &* units &+ k] }
                        dX[r &* inputs &+ j] = sum
                    }
                }
            }
        }
    }

    /// ∂E/∂net = ∂E/∂out · f'(net) over `n` elements (`outGradient` may be `gradient` itself).
    @inline(__always)
    private func derive(_ d: Layer, _ net: UnsafeMutablePointer<Scalar>, _ out: UnsafeMutablePointer<Scalar>,
                        _ outGradient: UnsafePointer<Scalar>, _ gradient: UnsafeMutablePointer<Scalar>, _ n: Int) {
        switch d.kind {
        case .sigmoid: Self.derive(Sigmoid(), net, out, outGradient, gradient, n)
        case .tanh: Self.derive(Tanh(), net, out, outGradient, gradient, n)
        case .relu: Self.derive(ReLU(), net, out, outGradient, gradient, n)
        case .linear: Self.derive(Linear(), net, out, outGradient, gradient, n)
        case .other: Self.derive(others[d.other], net, out, outGradient, gradient, n)
        }
    }


    @inline(__always)
    private static func derive<A: ElementwiseActivation>(_ f: A, _ net: UnsafeMutablePointer<Scalar>, _ out: UnsafeMutablePointer<Scalar>,
                                                         _ outGradient: UnsafePointer<Scalar>, _ gradient: UnsafeMutablePointer<Scalar>,
                                                         _ n: Int) {
        for i in 0..<n { gradient[i] = outGradient[i] * f.derivative(x: net[i], y: out[i]) }
    }

    private static func apply(_ f: any ElementwiseActivation, _ net: UnsafeMutablePointer<Scalar>,
                              _ out: UnsafeMutablePointer<Scalar>, _ n: Int) {
        for i in 0..<n { out[i] = f.value(net[i]) }
    }

    private static func derive(_ f: any ElementwiseActivation, _ net: UnsafeMutablePointer<Scalar>, _ out: UnsafeMutablePointer<Scalar>,
                               _ outGradient: UnsafePointer<Scalar>, _ gradient: UnsafeMutablePointer<Scalar>, _ n: Int) {
        for i in 0..<n { gradient[i] = outGradient[i] * f.derivative(x: net[i], y: out[i]) }
    }
}

/// A layer's width in a kernel: `FixedExtent` when the step was compiled for it (1 to 4), so the
/// loops over it unroll, `MeasuredExtent` otherwise. For the seed's 2-wide layers the loops' set-up
/// (range checks, the unrolled and remainder paths of a loop of unknown length) was most of
/// the step's instructions; the arithmetic and its order are the same either way.
protocol DirectExtent { var count: Int { get } }
struct FixedExtent<let n: Int>: DirectExtent { @inline(__always) var count: Int { n } }
struct MeasuredExtent: DirectExtent { let count: Int }

/// A layer's loop nest, run with each width as a `DirectExtent`.
protocol DirectKernel {
    associatedtype Result = Void
    func run<I: DirectExtent, U: DirectExtent>(_ inputs: I, _ units: U) -> Result
}

@inline(__always)
func directDispatch<K: DirectKernel>(_ inputs: Int, _ units: Int, _ kernel: K) -> K.Result {
    switch inputs {
    case 1: directDispatch(FixedExtent<1>(), units, kernel)
    case 2: directDispatch(FixedExtent<2>(), units, kernel)
    case 3: directDispatch(FixedExtent<3>(), units, kernel)
    case 4: directDispatch(FixedExtent<4>(), units, kernel)
    default: directDispatch(MeasuredExtent(count: inputs), units, kernel)
    }
}

@inline(__always)
func directDispatch<I: DirectExtent, K: DirectKernel>(_ inputs: I, _ units: Int, _ kernel: K) -> K.Result {
    switch units {
    case 1: kernel.run(inputs, FixedExtent<1>())
    case 2: kernel.run(inputs, FixedExtent<2>())
    case 3: kernel.run(inputs, FixedExtent<3>())
    case 4: kernel.run(inputs, FixedExtent<4>())
    default: kernel.run(inputs, MeasuredExtent(count: units))
    }
}
