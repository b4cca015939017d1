import BackpropCore

/// Writes the derivation of ∂E/∂wᴸⱼₖ as the seed does: the chain-rule path (or, below the output
/// layer, the sum over the paths through every unit above), each factor's symbolic form and
/// value on sample 1 of the batch, the product, the batch mean, the check against backprop and
/// the update.
struct ExplainWriter {
    let derivation: Derivation
    let definition: PipelineDefinition
    let batch: Dataset
    let trainingCount: Int
    /// The epoch whose first batch is explained (1 at the initial parameters).
    let epoch: Int
    let afterEpochs: Int
    let trainedNote: String?
    let value: Double
    let perSample: [Double]
    let penalty: Double
    let regularization: Regularization
    let derived: Double
    let backprop: Double
    let rate: Double
    /// (maximum, total norm before clipping, the weight's gradient after clipping).
    let clip: (maximum: Double, norm: Double, gradient: Double)?
    let updated: Double
    let trainable: Bool

    var weight: WeightIndex { derivation.weight }
    var top: Int { derivation.outputLayer }
    var listed: Int { Explain.listed }

    /// outˡ⁻¹ⱼ, or the seed's iⱼ for the inputs.
    func below(_ layer: Int, _ unit: String) -> Formula {
        layer == 0 ? .symbol("i", layer: nil, [unit]) : .out(layer, unit)
    }

    func layer(_ l: Int) -> DenseLayer { derivation.network.layers[l - 1] }

    func document() -> ExplainDocument {
        let (L, j, k) = (weight.layer, weight.from, weight.to)
        let w = Formula.weight(L, j, k)
        let when = afterEpochs == 0 ? "at the initial parameters" : "after epoch \(afterEpochs)"
        var blocks: [Block] = []
        let source = L == 1 ? "input \(j)" : "unit \(j) of layer \(L - 1)"
        let place = "unit \(k) of layer \(L)" + (L == top ? " (the output layer)" : "")
        blocks.append(.paragraph([.math(w), .text(" = "), .math(.number(value)), .text(" connects \(source) to \(place); "),
                                  .math(.symbol("δ", layer: "l", ["m"])), .text(" = "),
                                  .math(.partial(.error, .symbol("net", layer: "l", ["m"]))),
                                  .text(" is the error signal of unit m in layer l.")]))
        if let trainedNote { blocks.append(.paragraph([.text(trainedNote)])) }
        blocks.append(.paragraph(lossDescription() + batchDescription()))

        let trace = derivation.trace(0)
        blocks += forwardPass()
        blocks += chainRule(w)
        if L < top {
            blocks += errorSignals(trace)
            blocks += paths(trace)
        }
        let factors = self.factors(trace, w)
        blocks += factors.blocks
        let sampleOne = perSample.first ?? .nan
        let productLeft: Formula = batch.count == 1 ? .partial(.error, w) : .partial(.symbol("E", layer: nil, ["1"]), w)
        blocks.append(.section("Product" + (batch.count == 1 ? "" : " (sample 1)")))
        blocks.append(.equations([Equation(productLeft, numbers: .product(factors.values.map(Formula.number)), value: sampleOne)]))
        if batch.count > 1 { blocks += batchMean(w) }
        if regularization.isActive && trainable { blocks += penaltyTerm(w) }
        blocks.append(.section("Check"))
        blocks.append(.paragraph([.text("The trainer's backward pass (matrix products over the whole batch) gives "),
                                  .math(.partial(.error, w)), .text(" = "), .math(.number(backprop)),
                                  .text("; the chain rule above differs from it by \(ExplainNumber.short(derived - backprop)).")]))
        blocks += update(w)
        return ExplainDocument(title: [.math(.partial(.error, w)),
                                       .text(" for \(definition.name) (\(definition.specPath)), \(when)")],
                               blocks: blocks)
    }

    // MARK: The loss and the batch

    func lossDescription() -> [Inline] {
        let out = Formula.symbol("out", layer: nil, ["k"]), target = Formula.target("k")
        let outputs = layer(top).unitCount
        let formula: Formula
        var extra = ""
        switch definition.loss {
        case is HalfSquaredError:
            formula = .sum("k", .row([.literal("½", "\\tfrac{1}{2}"), .squared(.group([target, .minus, out]))]))
            extra = ", the seed's E_total"
        case is MeanSquaredError:
            formula = .row([.fraction(.number(1), .symbol("K", layer: nil, [])), .sum("k", .squared(.group([out, .minus, target])))])
            extra = ", K = \(outputs) output\(outputs == 1 ? "" : "s")"
        case is CrossEntropy:
            formula = .row([.literal("−", "-"), .sum("k", .row([target, .literal(" ln ", "\\ln "), out]))])
        case is BinaryCrossEntropy:
            formula = .row([.literal("−", "-"), .fraction(.number(1), .symbol("K", layer: nil, [])),
                            .sum("k", .group([target, .literal(" ln ", "\\ln "), out, .plus,
                                              .group([.number(1), .minus, target]), .literal(" ln", "\\ln"),
                                              .group([.number(1), .minus, out])]))])
            extra = ", K = \(outputs) output\(outputs == 1 ? "" : "s")"
        default:
            return [.text("E is the \(definition.loss.name) loss of a sample")]
        }
        return [.text("The loss of one sample is "), .math(.row([.error, .literal(" = ", " = "), formula])),
                .text(" (\(definition.loss.name)\(extra))")]
    }

    func batchDescription() -> [Inline] {
        let count = batch.count
        guard count > 1 else { return [.text("; the batch is one sample, so E is that sample's loss.")] }
        let which = count == trainingCount ? "the whole training set" : "the first batch of epoch \(epoch), of \(trainingCount) training samples"
        return [.text("; the batch has \(count) samples (\(which)) and E is their mean, "),
                .math(.row([.error, .literal(" = ", " = "), .fraction(.number(1), .symbol("B", layer: nil, [])),
                            .sum("s", .symbol("E", layer: nil, ["s"]))])),
                .text(".")]
    }

    // MARK: Forward pass

    func forwardPass() -> [Block] {
        let (L, k) = (weight.layer, weight.to)
        let sample = 0
        let net = derivation.net(L, sample)[k - 1]
        let out = derivation.out(L, sample)[k - 1]
        var equations = [
            Equation(.net(L, k), .row([.sum("j", .product([below(L - 1, "j"), .weight(L, "j", String(k))])), .plus,
                                       .symbol("b", layer: String(L), [String(k)])]), value: net),
            Equation(.out(L, k), .row([.words(layer(L).activation.name), .group([.net(L, k)])]), value: out),
        ]
        let outputs = layer(top).unitCount
        for m in 1...min(outputs, listed) where L < top || m == k {
            if L < top { equations.append(Equation(.out(top, m), value: derivation.out(top, sample)[m - 1])) }
            equations.append(Equation(.target(m), value: batch.targets[sample, m - 1]))
        }
        var blocks: [Block] = [.section(batch.count == 1 ? "Forward pass" : "Forward pass (sample 1)"), .equations(equations)]
        if L < top && outputs > listed { blocks.append(.paragraph([.text("… and \(outputs - listed) more outputs.")])) }
        return blocks
    }

    // MARK: Chain rule

    func chainRule(_ w: Formula) -> [Block] {
        let (L, k) = (weight.layer, weight.to)
        let dEdw = Formula.partial(.error, w)
        let last = layer(top)
        var equations: [Equation] = []
        var notes: [[Inline]] = []
        if L == top {
            if derivation.fused {
                equations.append(Equation(dEdw, .product([.partial(.error, .net(top, k)), .partial(.net(top, k), w)])))
                notes.append([.text("\(definition.loss.name) with a \(last.activation.name) output layer gives "),
                              .math(.partial(.error, .net(top, k))),
                              .text(" directly, in one fused and numerically stable step, so the path skips "),
                              .math(.partial(.error, .out(top, k))), .text(".")])
            } else if last.activation is any ElementwiseActivation {
                equations.append(Equation(dEdw, .product([.partial(.error, .out(top, k)), .partial(.out(top, k), .net(top, k)),
                                                          .partial(.net(top, k), w)])))
                notes.append([.text("Only "), .math(.out(top, k)), .text(" depends on "), .math(w),
                              .text(", so one path leads from the weight to the loss.")])
            } else {
                equations.append(Equation(dEdw, .product([
                    .group([.sum("i", .product([.partial(.error, .out(top, "i")), .partial(.out(top, "i"), .net(top, k))]))]),
                    .partial(.net(top, k), w)])))
                notes.append([.text("\(last.activation.name) couples the outputs: every "), .math(.out(top, "i")),
                              .text(" depends on "), .math(.net(top, k)), .text(", so "), .math(.partial(.error, .net(top, k))),
                              .text(" sums a path through each output.")])
            }
        } else {
            let next = L + 1
            equations.append(Equation(dEdw, .product([.partial(.error, .out(L, k)), .partial(.out(L, k), .net(L, k)),
                                                      .partial(.net(L, k), w)])))
            equations.append(Equation(.partial(.error, .out(L, k)),
                                      .sum("m", .product([.delta(next, "m"), .weight(next, String(k), "m")]))))
            if next == top && !derivation.fused && last.activation is any ElementwiseActivation {
                // The seed's form for w¹₁₁: one product per output, summed.
                equations.append(Equation(dEdw, .sum("m", .product([
                    .partial(.error, .out(top, "m")), .partial(.out(top, "m"), .net(top, "m")), .partial(.net(top, "m"), .out(L, k)),
                    .partial(.out(L, k), .net(L, k)), .partial(.net(L, k), w)]))))
            }
            let units = layer(next).unitCount
            if derivation.fused {
                notes.append([.text("\(definition.loss.name) with a \(last.activation.name) output layer gives each output's "),
                              .math(.delta(top, "m")), .text(" = "), .math(.partial(.error, .net(top, "m"))),
                              .text(" directly, in one fused and numerically stable step.")])
            }
            notes.append([.math(.out(L, k)), .text(" feeds every unit of layer \(next), so "), .math(.partial(.error, .out(L, k))),
                          .text(" sums one path through each of them (m = 1 … \(units)); "),
                          .math(.partial(.net(next, "m"), .out(L, k))), .text(" = "), .math(.weight(next, String(k), "m")), .text(".")])
        }
        return [.section("Chain rule"), .equations(equations)] + notes.map(Block.paragraph)
    }

    // MARK: Error signals of the layers above, and the paths into outᴸₖ

    func errorSignals(_ trace: Derivation.Trace) -> [Block] {
        var blocks: [Block] = [.section(batch.count == 1 ? "Error signals of the layers above" : "Error signals of the layers above (sample 1)")]
        for l in stride(from: top, to: weight.layer, by: -1) {
            let units = layer(l).unitCount
            var equations: [Equation] = []
            if l == top && !derivation.fused && derivation.derivative(l, 0, 0) == nil {
                // A coupled output activation: every ∂E/∂outᴺᵢ enters every δᴺₘ.
                for i in 1...min(units, listed) {
                    let loss = lossFactor(i, fusedValue: nil)
                    equations.append(Equation(.partial(.error, .out(l, i)), loss.form, numbers: loss.numbers,
                                              value: trace.dOut[l]?[i - 1] ?? .nan))
                }
            }
            for m in 1...min(units, listed) {
                equations += errorSignal(l, m, trace)
            }
            blocks.append(.paragraph([.text(l == top ? "Output layer \(l):" : "Layer \(l):")]))
            blocks.append(.equations(equations))
            if units > listed {
                blocks.append(.paragraph([.text("… and \(units - listed) more units of layer \(l); every one enters the sums below.")]))
            }
        }
        return blocks
    }

    /// How δˡₘ is made: from the loss at the output layer, from the layer above elsewhere.
    func errorSignal(_ l: Int, _ m: Int, _ trace: Derivation.Trace) -> [Equation] {
        let delta = trace.delta[l]?[m - 1] ?? .nan
        if l == top && derivation.fused {
            let loss = lossFactor(m, fusedValue: delta)
            return [Equation(.delta(l, m), loss.form, numbers: loss.numbers, value: delta)]
        }
        let dOut = trace.dOut[l]?[m - 1] ?? .nan
        guard let slope = derivation.derivative(l, m - 1, 0) else {
            return [Equation(.delta(l, m), .sum("i", .product([.partial(.error, .out(l, "i")), .partial(.out(l, "i"), .net(l, m))])),
                             value: delta, note: "\(layer(l).activation.name) Jacobian")]
        }
        let activation = activationFactor(l, m)
        let slopeForm = Formula.partial(.out(l, m), .net(l, m))
        guard l == top else {
            // A hidden layer: one line per unit, its sum over the layer above times f′.
            let sum = Formula.group([.sum("n", .product([.delta(l + 1, "n"), .weight(l + 1, String(m), "n")]))])
            return [Equation(.delta(l, m), .product([sum, slopeForm]), numbers: .product([.number(dOut), .number(slope)]),
                             value: delta, note: activation.note)]
        }
        // The output layer, factor by factor as the seed derives it.
        let loss = lossFactor(m, fusedValue: nil)
        return [
            Equation(.partial(.error, .out(l, m)), loss.form, numbers: loss.numbers, value: dOut),
            Equation(slopeForm, activation.form, numbers: activation.numbers, value: slope, note: activation.note),
            Equation(.delta(l, m), .product([.partial(.error, .out(l, m)), slopeForm]),
                     numbers: .product([.number(dOut), .number(slope)]), value: delta),
        ]
    }

    func paths(_ trace: Derivation.Trace) -> [Block] {
        let (L, k) = (weight.layer, weight.to)
        let next = L + 1
        let units = layer(next).unitCount
        let deltas = trace.delta[next] ?? []
        var equations: [Equation] = []
        var terms: [Double] = []
        for m in 1...units {
            let w = layer(next).weights.value[k - 1, m - 1]
            let term = deltas[m - 1] * w
            terms.append(term)
            if m <= listed {
                equations.append(Equation(.product([.delta(next, m), .weight(next, k, m)]),
                                          numbers: .product([.number(deltas[m - 1]), .number(w)]), value: term))
            }
        }
        let sum = trace.dOut[L]?[k - 1] ?? .nan
        equations.append(Equation(.partial(.error, .out(L, k)), units <= listed && units > 1 ? .sumOf(terms) : nil, value: sum,
                                  note: units <= listed ? nil : [.text("the sum of all \(units) terms, \(units - listed) not listed")]))
        return [.heading([.text("Paths from "), .math(.out(L, k)), .text(" through layer \(next)")]), .equations(equations)]
    }

    // MARK: Factors

    func factors(_ trace: Derivation.Trace, _ w: Formula) -> (blocks: [Block], values: [Double]) {
        let (L, j, k) = (weight.layer, weight.from, weight.to)
        let input = derivation.out(L - 1, 0)[j - 1]
        let inputEquation = Equation(.partial(.net(L, k), w), below(L - 1, String(j)), value: input)
        var equations: [Equation] = []
        var values: [Double] = []
        let delta = trace.delta[L]?[k - 1] ?? .nan
        if L == top && derivation.fused {
            let loss = lossFactor(k, fusedValue: delta)
            equations.append(Equation(.partial(.error, .net(L, k)), loss.form, numbers: loss.numbers, value: delta))
            values = [delta, input]
        } else if let slope = derivation.derivative(L, k - 1, 0) {
            let dOut = trace.dOut[L]?[k - 1] ?? .nan
            if L == top {
                let loss = lossFactor(k, fusedValue: nil)
                equations.append(Equation(.partial(.error, .out(L, k)), loss.form, numbers: loss.numbers, value: dOut))
            } else {
                equations.append(Equation(.partial(.error, .out(L, k)), value: dOut, note: "the sum above"))
            }
            let activation = activationFactor(L, k)
            equations.append(Equation(.partial(.out(L, k), .net(L, k)), activation.form, numbers: activation.numbers,
                                      value: slope, note: activation.note))
            values = [dOut, slope, input]
        } else {
            // A coupled activation (softmax): ∂E/∂netᴸₖ = Σᵢ ∂E/∂outᵢ · ∂outᵢ/∂netₖ, term by term.
            let dOut = trace.dOut[L] ?? []
            let column = derivation.jacobianColumn(L, k - 1, 0)
            for i in 1...min(dOut.count, listed) {
                equations.append(Equation(.product([.partial(.error, .out(L, i)), .partial(.out(L, i), .net(L, k))]),
                                          numbers: .product([.number(dOut[i - 1]), .number(column[i - 1])]),
                                          value: dOut[i - 1] * column[i - 1]))
            }
            equations.append(Equation(.partial(.error, .net(L, k)), dOut.count <= listed ? .sumOf(zip(dOut, column).map { $0 * $1 }) : nil,
                                      value: delta, note: "the \(layer(L).activation.name) Jacobian"))
            values = [delta, input]
        }
        equations.append(inputEquation)
        return ([.section(batch.count == 1 ? "Factors" : "Factors (sample 1)"), .equations(equations)], values)
    }

    /// ∂E/∂outᴺₘ (or ∂E/∂netᴺₘ when fused, `fusedValue` given) of sample 1: its form and numbers.
    func lossFactor(_ m: Int, fusedValue: Double?) -> (form: Formula?, numbers: Formula?) {
        let out = derivation.out(top, 0)[m - 1], target = batch.targets[0, m - 1]
        let outputs = Double(layer(top).unitCount)
        let K = Formula.symbol("K", layer: nil, [])
        func difference(_ a: Formula, _ b: Formula) -> Formula { .group([a, .minus, b]) }
        let symbolic = difference(.out(top, m), .target(m))
        let numeric = difference(.number(out), .product([.number(target)]))
        switch definition.loss {
        case is HalfSquaredError where fusedValue == nil:
            // The seed's form: ∂/∂out ½(target − out)² = −(target − out).
            return (.row([.literal("−", "-"), difference(.target(m), .out(top, m))]),
                    .row([.literal("−", "-"), difference(.number(target), .product([.number(out)]))]))
        case is MeanSquaredError where fusedValue == nil:
            return (.fraction(.row([.number(2), symbolic]), K), .fraction(.row([.number(2), numeric]), .number(outputs)))
        case is CrossEntropy where fusedValue != nil:
            let targetSum = batch.targets.row(0).reduce(0, +)
            if targetSum == 1 { return (.row([.out(top, m), .minus, .target(m)]), .row([.number(out), .minus, .product([.number(target)])])) }
            let sum = Formula.group([.sum("k", .target("k"))])
            return (.row([sum, .times, .out(top, m), .minus, .target(m)]),
                    .row([.number(targetSum), .times, .number(out), .minus, .product([.number(target)])]))
        case is BinaryCrossEntropy where fusedValue != nil:
            return (.fraction(symbolic, K), .fraction(numeric, .number(outputs)))
        default:
            return (nil, nil)
        }
    }

    /// ∂outˡₘ/∂netˡₘ = f′(netˡₘ): its form, numbers and the activation's name.
    func activationFactor(_ l: Int, _ m: Int) -> (form: Formula, numbers: Formula?, note: [Inline]) {
        let activation = layer(l).activation
        let out = derivation.out(l, 0)[m - 1], net = derivation.net(l, 0)[m - 1]
        let note: [Inline] = [.text(activation.name + "′")]
        let atNet: [Inline] = note + [.text(", "), .math(.net(l, m)), .text(" = "), .math(.number(net))]
        switch activation {
        case is Sigmoid:
            return (.row([.out(l, m), .group([.number(1), .minus, .out(l, m)])]),
                    .product([.number(out), .group([.number(1), .minus, .number(out)])]), note)
        case is Tanh:
            return (.row([.number(1), .minus, .squared(.out(l, m))]), .row([.number(1), .minus, .squared(.number(out))]), note)
        case is Linear:
            return (.number(1), nil, note)
        case is ReLU:
            return (.row([.words("1 if "), .net(l, m), .words(" > 0, else 0")]), nil, atNet)
        case let leaky as LeakyReLU:
            return (.row([.words("1 if "), .net(l, m), .words(" > 0, else \(ExplainNumber.text(leaky.alpha))")]), nil, atNet)
        default:
            return (.derivative(activation.name, .net(l, m)), nil, note)
        }
    }

    // MARK: Batch, penalty, update

    func batchMean(_ w: Formula) -> [Block] {
        let (L, j, k) = (weight.layer, weight.from, weight.to)
        var equations: [Equation] = []
        for s in 0..<min(batch.count, listed) {
            let delta = derivation.trace(s).delta[L]?[k - 1] ?? .nan
            let input = derivation.out(L - 1, s)[j - 1]
            equations.append(Equation(.partial(.symbol("E", layer: nil, [String(s + 1)]), w),
                                      numbers: .product([.number(delta), .number(input)]), value: perSample[s]))
        }
        let sum = perSample.reduce(0, +)
        var blocks: [Block] = [
            .section("Batch: the mean over \(batch.count) samples"),
            .paragraph([.text("Each sample's term is its own "), .math(.product([.delta(L, String(k)), below(L - 1, String(j))])),
                        .text(" (the same chain rule on that sample's values); "),
                        .math(.partial(.error, w)), .text(" is their mean, as "), .text(definition.loss.name),
                        .text(" averages the batch:")]),
            .equations(equations),
        ]
        if batch.count > listed { blocks.append(.paragraph([.text("… and \(batch.count - listed) more samples.")])) }
        let mean = sum / Double(batch.count)
        let lhs: Formula = regularization.isActive && trainable ? .partial(.symbol("E", layer: nil, ["loss"]), w) : .partial(.error, w)
        blocks.append(.equations([Equation(lhs, .row([.fraction(.number(1), .symbol("B", layer: nil, [])),
                                                      .sum("s", .partial(.symbol("E", layer: nil, ["s"]), w))]),
                                           numbers: .fraction(.number(sum), .number(Double(batch.count))), value: mean)]))
        return blocks
    }

    func penaltyTerm(_ w: Formula) -> [Block] {
        let penaltySymbol = Formula.symbol("penalty", layer: nil, [])
        let mean = perSample.reduce(0, +) / Double(max(batch.count, 1))
        return [
            .section("Regularization"),
            .paragraph([.text("training.regularization adds "),
                        .math(.row([.words("l1"), .times, .sum("w", .literal("|w|", "\\lvert w\\rvert")), .plus, .words("l2"), .times,
                                    .sum("w", .squared(.symbol("w", layer: nil, [])))])),
                        .text(" to the loss, so its derivative joins the gradient:")]),
            .equations([
                Equation(.partial(penaltySymbol, w), .row([.words("l1"), .times, .words("sign"), .group([w]), .plus, .number(2), .times, .words("l2"), .times, w]),
                         numbers: .row([.number(regularization.l1), .times, .words("sign"), .group([.number(value)]), .plus, .number(2),
                                        .times, .number(regularization.l2), .times, .product([.number(value)])]),
                         value: penalty),
                Equation(.partial(.error, w), numbers: .sumOf([mean, penalty]), value: derived),
            ]),
        ]
    }

    func update(_ w: Formula) -> [Block] {
        var blocks: [Block] = [.heading([.text("Update (epoch \(epoch), "), .math(.eta), .text(" = \(ExplainNumber.text(rate)))")])]
        guard trainable else {
            blocks.append(.paragraph([.math(w), .text(" is frozen (trainable: false): the optimizer leaves it at "), .math(.number(value)),
                                      .text(".")]))
            return blocks
        }
        var gradient = derived
        if let clip {
            if clip.norm > clip.maximum {
                blocks.append(.paragraph([.text("clip_grad_norm \(ExplainNumber.text(clip.maximum)): the total gradient norm \(ExplainNumber.text(clip.norm)) is larger, so every gradient is scaled by \(ExplainNumber.text(clip.maximum))/(\(ExplainNumber.text(clip.norm)) + 1e-6) and "),
                                          .math(.partial(.error, w)), .text(" becomes "), .math(.number(clip.gradient)), .text(".")]))
                gradient = clip.gradient
            } else {
                blocks.append(.paragraph([.text("clip_grad_norm \(ExplainNumber.text(clip.maximum)): the total gradient norm \(ExplainNumber.text(clip.norm)) is within it; nothing is clipped.")]))
            }
        }
        let plainStep = value - rate * gradient
        let seedRule = Equation(.tilde(w), .row([w, .minus, .eta, .times, .partial(.error, w)]),
                                numbers: .row([.number(value), .minus, .product([.number(rate), .number(gradient)])]), value: plainStep)
        let optimizer = definition.training.optimizer
        if let sgd = optimizer as? SGD, sgd.momentum == 0, sgd.weightDecay == 0 {
            blocks.append(.paragraph([.text("sgd takes the seed's step, "), .math(seedRule.lhs), .text(" = "), .math(seedRule.form ?? w), .text(":")]))
            blocks.append(.equations([Equation(.tilde(w), seedRule.form, numbers: seedRule.numbers, value: updated)]))
        } else {
            blocks.append(.paragraph([.text("The spec's optimizer is \(definition.training.optimizerName), whose step (see the README's Optimizers) is not the plain "),
                                      .math(.row([.eta, .times, .partial(.error, w)])), .text("; with this gradient it moves the weight to")]))
            blocks.append(.equations([Equation(.tilde(w), value: updated, note: definition.training.optimizerName)]))
            blocks.append(.paragraph([.text("The seed's plain gradient step would give")]))
            blocks.append(.equations([seedRule]))
        }
        return blocks
    }
}
