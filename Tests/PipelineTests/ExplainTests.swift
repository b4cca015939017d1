import BackpropCore
import Foundation
import XCTest
@testable import Pipeline

/// `bp-pipeline explain`: the chain rule, written out factor by factor, gives the trainer's own
/// gradient for every weight; the seed's numbers appear as the seed prints them.
final class ExplainTests: XCTestCase {
    static let pipelines = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Pipelines")

    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bp-explain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    func prepare(_ path: String, _ overrides: [String] = []) throws -> PreparedRun {
        let request = RunRequest(specPath: path, overrides: overrides, outputDirectory: temporary.appendingPathComponent("out").path)
        return try Engine.prepare(try Engine.load(request))
    }

    func spec(_ text: String) throws -> String {
        let url = temporary.appendingPathComponent("spec-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    var seed: String { Self.pipelines.appendingPathComponent("seed.yaml").path }

    /// Small networks covering each path through the derivation: the seed (one sample, sigmoid,
    /// half_squared_error); 2-3-2 tanh/sigmoid over a batch of 3 with mse, L2 and L1; softmax
    /// with cross_entropy (fused ∂E/∂net); softmax with mse (the softmax Jacobian); a 3-layer
    /// relu/linear net on mini-batches of 2 with shuffling; sigmoid outputs with binary_cross_entropy.
    func smallSpecs() throws -> [(String, [String])] {
        let batch = """
            seed: 3
            data:
              type: inline
              inputs: [[0.05, 0.10], [0.20, -0.40], [-0.7, 0.3]]
              targets: [[0.01, 0.99], [0.99, 0.01], [0.5, 0.5]]
            network:
              inputs: 2
              layers:
                - {units: 3, activation: tanh}
                - {units: 2, activation: sigmoid}
            loss: mse
            learning_rate: {type: constant, value: 0.1}
            training:
              epochs: 3
              regularization: {l1: 0.001, l2: 0.01}
            outputs: []
            """
        let classes = """
            seed: 5
            data:
              type: inline
              inputs: [[0.05, 0.10], [0.20, -0.40], [-0.7, 0.3], [0.9, 0.9]]
              targets: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]]
            network:
              inputs: 2
              layers:
                - {units: 3, activation: tanh}
                - {units: 3, activation: softmax}
            loss: cross_entropy
            learning_rate: {type: constant, value: 0.1}
            training: {epochs: 3, optimizer: adam}
            outputs: []
            """
        let deep = """
            seed: 9
            data:
              type: inline
              inputs: [[0.05, 0.10], [0.20, -0.40], [-0.7, 0.3], [0.9, 0.9], [0.1, -0.2]]
              targets: [[0.3], [0.1], [-0.2], [0.8], [0.0]]
            network:
              inputs: 2
              init: {type: uniform, low: -1, high: 1}
              layers:
                - {units: 4, activation: relu}
                - {units: 3, activation: tanh}
                - {units: 1, activation: linear}
            loss: half_squared_error
            learning_rate: {type: constant, value: 0.05}
            training: {epochs: 3, batch_size: 2, optimizer: {type: sgd, momentum: 0.9}}
            outputs: []
            """
        let binary = """
            seed: 2
            data:
              type: inline
              inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]
              targets: [[0, 1], [1, 0], [1, 1], [0, 0]]
            network:
              inputs: 2
              layers:
                - {units: 3, activation: tanh}
                - {units: 2, activation: sigmoid}
            loss: binary_cross_entropy
            learning_rate: {type: constant, value: 0.1}
            training: {epochs: 3}
            outputs: []
            """
        return [(seed, []), (try spec(batch), []), (try spec(classes), []), (try spec(classes), ["loss=mse"]),
                (try spec(deep), []), (try spec(binary), [])]
    }

    func testEveryWeightOfSmallNetworksMatchesTheTrainersGradient() throws {
        var checked = 0
        for (path, overrides) in try smallSpecs() {
            for afterEpochs in [0, 2] {
                let prepared = try prepare(path, overrides)
                let network = prepared.network
                for (l, layer) in network.layers.enumerated() {
                    for j in 1...layer.inputCount {
                        for k in 1...layer.unitCount {
                            let weight = WeightIndex(layer: l + 1, from: j, to: k)
                            let explanation = try Explain.explain(try prepare(path, overrides), weight: weight, afterEpochs: afterEpochs)
                            // Both sum the same per-sample products δᴸₖ·outᴸ⁻¹ⱼ (and, inside each δ,
                            // the same products over the units above) in other orders: BLAS over
                            // the batch, the derivation one sample at a time. A sum of n terms
                            // rounds by at most n·2⁻⁵³·Σ|terms|; with at most 5 terms per sum and
                            // 3 nested sums that is ~1e-15 of the magnitude Σₛ|∂Eₛ/∂w|/B. 1e-12
                            // leaves room for the cancellation inside a δ that this scale cannot see.
                            let tolerance = 1e-12 * explanation.magnitude + 1e-300
                            XCTAssertEqual(explanation.derived, explanation.backprop, accuracy: tolerance,
                                           "\(path) \(overrides) after \(afterEpochs) epochs, w \(weight)")
                            XCTAssertTrue(explanation.derived.isFinite)
                            checked += 1
                        }
                    }
                }
            }
        }
        // Weights: seed 4 + 4, batch 6 + 6, classes 2 × (6 + 9), deep 8 + 12 + 3, binary 6 + 6; two parameter sets each.
        XCTAssertEqual(checked, 2 * (8 + 12 + 30 + 23 + 12))
    }

    /// The trainer's gradient itself is right: finite differences of the mean loss agree with
    /// the explained value for a hidden weight of the batch network (so the agreement above is
    /// not two copies of one mistake).
    func testTheExplainedGradientIsTheLossSlope() throws {
        let (path, _) = try smallSpecs()[1]
        let weight = WeightIndex(layer: 1, from: 2, to: 3)
        let explanation = try Explain.explain(try prepare(path), weight: weight, afterEpochs: 0)
        let prepared = try prepare(path)
        let definition = prepared.definition
        let parameter = prepared.network.layers[0].weights
        let regularization = definition.training.regularization
        func objective(_ shift: Double) -> Double {
            let saved = parameter.value
            parameter.value[1, 2] += shift
            defer { parameter.value = saved }
            return prepared.network.loss(prepared.data.training.inputs, target: prepared.data.training.targets,
                                         loss: definition.loss) + regularization.penalty(prepared.network)
        }
        // Central differences, h = 1e-5: truncation ~h²·E‴ ≈ 1e-10, rounding ~2⁻⁵³·E/h ≈ 1e-12.
        let h = 1e-5
        let slope = (objective(h) - objective(-h)) / (2 * h)
        XCTAssertEqual(explanation.derived, slope, accuracy: 1e-8)
    }

    func testTheSeedsOutputWeightIsWrittenAsTheSeedWritesIt() throws {
        let text = try Explain.explain(try prepare(seed), weight: WeightIndex(layer: 2, from: 1, to: 1), afterEpochs: 0).render(.text)
        // Every value passes through exp(); printed to 9 decimal places (the seed's precision) it is
        // the same on every CPU unless a value lies within ~1e-16 of a rounding boundary.
        XCTAssertEqual(text, """
            ∂E/∂w²₁₁ for worked-example (\(seed)), at the initial parameters
            w²₁₁ = 0.4 connects unit 1 of layer 1 to unit 1 of layer 2 (the output layer); δˡₘ = ∂E/∂netˡₘ is the error signal of unit m in layer l.
            The loss of one sample is E = Σₖ ½(targetₖ − outₖ)² (half_squared_error, the seed's E_total); the batch is one sample, so E is that sample's loss.

            Forward pass
              net²₁   = Σⱼ out¹ⱼ · w²ⱼ₁ + b²₁ = 1.10590597
              out²₁   = sigmoid(net²₁) = 0.75136507
              target₁ = 0.01

            Chain rule
              ∂E/∂w²₁₁ = ∂E/∂out²₁ · ∂out²₁/∂net²₁ · ∂net²₁/∂w²₁₁
            Only out²₁ depends on w²₁₁, so one path leads from the weight to the loss.

            Factors
              ∂E/∂out²₁     = −(target₁ − out²₁) = −(0.01 − 0.75136507) = 0.74136507
              ∂out²₁/∂net²₁ = out²₁(1 − out²₁) = 0.75136507 · (1 − 0.75136507) = 0.186815602   (sigmoid′)
              ∂net²₁/∂w²₁₁  = out¹₁ = 0.593269992

            Product
              ∂E/∂w²₁₁ = 0.74136507 · 0.186815602 · 0.593269992 = 0.082167041

            Check
            The trainer's backward pass (matrix products over the whole batch) gives ∂E/∂w²₁₁ = 0.082167041; the chain rule above differs from it by 0.

            Update (epoch 1, η = 0.5)
            sgd takes the seed's step, w̃²₁₁ = w²₁₁ − η · ∂E/∂w²₁₁:
              w̃²₁₁ = w²₁₁ − η · ∂E/∂w²₁₁ = 0.4 − 0.5 · 0.082167041 = 0.35891648

            """)
    }

    func testTheSeedsHiddenWeightSumsBothOutputsPaths() throws {
        let explanation = try Explain.explain(try prepare(seed), weight: WeightIndex(layer: 1, from: 1, to: 1), afterEpochs: 0)
        let text = explanation.render(.text)
        // The seed's values (9 decimal places). Its ∂E_o2/∂out_h1 = −0.019049119 was rounded from a
        // rounded δ_o2; from the unrounded δ²₂ = −0.0380982365 the term is −0.01904911825.
        for line in ["  δ²₁ · w²₁₁ = 0.138498562 · 0.4 = 0.055399425",
                     "  δ²₂ · w²₁₂ = (-0.038098237) · 0.5 = -0.019049118",
                     "  ∂E/∂out¹₁  = 0.055399425 − 0.019049118 = 0.036350306",
                     "  ∂out¹₁/∂net¹₁ = out¹₁(1 − out¹₁) = 0.593269992 · (1 − 0.593269992) = 0.241300709   (sigmoid′)",
                     "  ∂net¹₁/∂w¹₁₁  = i₁ = 0.05",
                     "  ∂E/∂w¹₁₁ = 0.036350306 · 0.241300709 · 0.05 = 0.000438568",
                     "  w̃¹₁₁ = w¹₁₁ − η · ∂E/∂w¹₁₁ = 0.15 − 0.5 · 0.000438568 = 0.149780716",
                     "  ∂E/∂w¹₁₁  = Σₘ ∂E/∂out²ₘ · ∂out²ₘ/∂net²ₘ · ∂net²ₘ/∂out¹₁ · ∂out¹₁/∂net¹₁ · ∂net¹₁/∂w¹₁₁"] {
            XCTAssertTrue(text.contains(line + "\n"), "missing: \(line)\n\(text)")
        }
        XCTAssertEqual(explanation.derived, 0.000438568, accuracy: 5e-10)
        XCTAssertEqual(explanation.updated, 0.149780716, accuracy: 5e-10)
    }

    func testAfterAnEpochTheParametersAreTheUpdatedOnes() throws {
        let first = try Explain.explain(try prepare(seed), weight: WeightIndex(layer: 2, from: 1, to: 1), afterEpochs: 0)
        let later = try Explain.explain(try prepare(seed), weight: WeightIndex(layer: 2, from: 1, to: 1), afterEpochs: 1)
        let text = later.render(.text)
        // After one SGD step w²₁₁ is the first explanation's w̃ (0.35891648), and the next epoch is 2.
        XCTAssertTrue(text.contains("w²₁₁ = \(ExplainNumber.text(first.updated)) connects"), text)
        XCTAssertTrue(text.contains("Parameters after 1 epoch of training"), text)
        XCTAssertTrue(text.contains("Update (epoch 2, η = 0.5)"), text)
        XCTAssertNotEqual(later.derived, first.derived)
    }

    func testAMiniBatchShowsEachSamplesTermAndTheirMean() throws {
        let (path, _) = try smallSpecs()[4]
        let explanation = try Explain.explain(try prepare(path), weight: WeightIndex(layer: 1, from: 2, to: 3), afterEpochs: 0)
        let text = explanation.render(.text)
        XCTAssertTrue(text.contains("the batch has 2 samples (the first batch of epoch 1, of 5 training samples)"), text)
        XCTAssertTrue(text.contains("Batch: the mean over 2 samples"), text)
        XCTAssertTrue(text.contains("  ∂E₂/∂w¹₂₃ = "), text)
        XCTAssertTrue(text.contains("The spec's optimizer is sgd, whose step"), text)
        XCTAssertTrue(text.contains("Error signals of the layers above (sample 1)\nOutput layer 3:\n"), text)
        XCTAssertTrue(text.contains("Layer 2:\n  δ²₁ = (Σₙ δ³ₙ · w³₁ₙ) · ∂out²₁/∂net²₁ = "), text)
    }

    func testEveryFactorHasAtLeastFiveSignificantDigits() {
        for (x, text) in [(0.082167040559, "0.082167041"), (0.74136507, "0.74136507"), (3.510187782978859e-05, "3.51019e-05"),
                          (1.2345678912e-14, "1.23457e-14"), (-0.01904911825, "-0.019049118"), (1105.90596705, "1105.90597"), (0, "0")] {
            XCTAssertEqual(ExplainNumber.text(x), text)
        }
        XCTAssertEqual(ExplainNumber.latex(3.510187782978859e-05), "3.51019\\times 10^{-5}")
    }

    /// A LaTeX document pdflatex accepts: the preamble, balanced groups and environments, only
    /// commands of LaTeX and amsmath, only ASCII. (The documents of every example pipeline were
    /// compiled with pdflatex from Debian's texlive-latex-base when this was written.)
    func testTheLaTeXIsACompleteDocumentWithKnownCommandsOnly() throws {
        var documents = [try Explain.explain(try prepare(seed), weight: WeightIndex(layer: 1, from: 1, to: 1), afterEpochs: 0)]
        for (path, overrides) in try smallSpecs() {
            documents.append(try Explain.explain(try prepare(path, overrides), weight: WeightIndex(layer: 1, from: 2, to: 2), afterEpochs: 0))
        }
        let known: Set<String> = ["documentclass", "usepackage", "begin", "end", "section", "subsection", "frac", "partial",
                                  "mathrm", "text", "cdot", "left", "right", "sum", "delta", "eta", "tilde", "widetilde",
                                  "tfrac", "ln", "lvert", "rvert", "times", "quad", "ldots", "Sigma", "textbackslash",
                                  "textasciitilde", "textasciicircum", "_", "{", "}", "$", "&", "#", "%", "\\"]
        for explanation in documents {
            let latex = explanation.render(.latex)
            XCTAssertTrue(latex.hasPrefix("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"))
            XCTAssertTrue(latex.hasSuffix("\\end{document}\n"))
            XCTAssertTrue(latex.unicodeScalars.allSatisfy { $0.isASCII }, "non-ASCII in LaTeX")
            let characters = Array(latex)
            var depth = 0, environments: [String] = [], dollars = 0
            var index = 0
            while index < characters.count {
                let c = characters[index]
                if c == "\\" {
                    var name = ""
                    index += 1
                    if index < characters.count, !characters[index].isLetter {
                        name = String(characters[index])
                        index += 1
                    } else {
                        while index < characters.count, characters[index].isLetter { name.append(characters[index]); index += 1 }
                    }
                    XCTAssertTrue(known.contains(name), "unknown command \\\(name)")
                    if name == "begin" || name == "end" {
                        let close = try XCTUnwrap(characters[index...].firstIndex(of: "}"))
                        let environment = String(characters[(index + 1)..<close])
                        if name == "begin" { environments.append(environment) } else { XCTAssertEqual(environments.popLast(), environment) }
                    }
                    continue
                }
                if c == "{" { depth += 1 }
                if c == "}" { depth -= 1; XCTAssertGreaterThanOrEqual(depth, 0) }
                if c == "$" { dollars += 1 }
                index += 1
            }
            XCTAssertEqual(depth, 0)
            XCTAssertEqual(environments, [])
            XCTAssertEqual(dollars % 2, 0, "unbalanced $")
        }
    }

    func testMarkdownHasOneTablePerGroupOfEquations() throws {
        let markdown = try Explain.explain(try prepare(seed), weight: WeightIndex(layer: 2, from: 1, to: 1), afterEpochs: 0).render(.markdown)
        XCTAssertTrue(markdown.hasPrefix("## ∂E/∂w²₁₁ for worked-example"))
        XCTAssertTrue(markdown.contains("""
            ### Factors

            | quantity | form | value |
            |---|---|---|
            | ∂E/∂out²₁ | −(target₁ − out²₁) = −(0.01 − 0.75136507) | 0.74136507 |
            | ∂out²₁/∂net²₁ | out²₁(1 − out²₁) = 0.75136507 · (1 − 0.75136507) *(sigmoid′)* | 0.186815602 |
            | ∂net²₁/∂w²₁₁ | out¹₁ | 0.593269992 |
            """), markdown)
        XCTAssertFalse(markdown.contains("\n\n\n"))
    }

    func testWeightsOutsideTheNetworkNameTheValidRanges() throws {
        let prepared = try prepare(seed)
        for (weight, message) in [
            (WeightIndex(layer: 3, from: 1, to: 1), "--weight 3:1,1: the network has 2 layers, so L is 1 to 2"),
            (WeightIndex(layer: 1, from: 3, to: 1), "--weight 1:3,1: the network has 2 inputs, so J is 1 to 2"),
            (WeightIndex(layer: 2, from: 3, to: 1), "--weight 2:3,1: layer 1 has 2 units, so J is 1 to 2"),
            (WeightIndex(layer: 2, from: 1, to: 5), "--weight 2:1,5: layer 2 has 2 units, so K is 1 to 2"),
        ] {
            XCTAssertThrowsError(try Explain.explain(prepared, weight: weight, afterEpochs: 0)) { error in
                let error = error as? PipelineError
                XCTAssertEqual(error?.exitCode, .usage)
                XCTAssertEqual(error?.description, "\(seed): error: \(message)")
            }
        }
        XCTAssertThrowsError(try Explain.explain(prepared, weight: WeightIndex(layer: 1, from: 1, to: 1), afterEpochs: 10001)) { error in
            XCTAssertEqual((error as? PipelineError)?.description,
                           "\(seed): error: --epoch 10001: the spec trains 10000 epochs; choose 0 to 10000 (or raise training.epochs with --set)")
        }
    }

    func testWeightSyntax() {
        XCTAssertEqual(WeightIndex(parsing: "2:1,1"), WeightIndex(layer: 2, from: 1, to: 1))
        XCTAssertEqual(WeightIndex(parsing: "10:12,3"), WeightIndex(layer: 10, from: 12, to: 3))
        for bad in ["", "2", "2:1", "2:1,", "2-1,1", "0:1,1", "2:0,1", "2:1,1,1", " 2:1,1", "2:1,+1", "2:1,1x", "2:1.5,1", "99999999999:1,1"] {
            XCTAssertNil(WeightIndex(parsing: bad), bad)
        }
    }
}
