import ArgumentParser
import BackpropCore
import Foundation
import Pipeline

/// `bp-pipeline gradcheck SPEC`: backprop's gradient against finite differences, at the
/// initial parameters on the first batch; exit 0 when every relative error is under the
/// tolerance, 1 otherwise. The method (fourth-order differences, kinks, sampling) is
/// documented on `GradientCheck` in BackpropCore.
struct GradCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check backprop's gradients against finite differences at the initial parameters on the first batch.",
        discussion: """
        Every parameter is checked (a seeded sample of 100 per weight matrix and bias when the network \
        has more than 5000). Prints the worst relative error per layer; exits 0 when all are below the \
        tolerance, 1 otherwise. Perturbations that move a relu-like unit across its kink are skipped and counted.
        """)

    @OptionGroup var options: SpecOptions

    // `.unconditional`: `--tolerance -1` is read as the number -1 (and refused below), not as an option.
    @Option(parsing: .unconditional,
            help: ArgumentHelp("The largest relative error that passes (default: 1e-6, or 1e-2 with training.precision: float32).",
                               valueName: "X"))
    var tolerance: Double?

    @OptionGroup var threads: ThreadsOption

    func validate() throws {
        if let tolerance, !(tolerance > 0 && tolerance.isFinite) {
            throw ValidationError("--tolerance must be a positive number, found \(tolerance)")
        }
    }

    func run() throws {
        threads.apply()
        try Terminal.exitOnError {
            let prepared = try Engine.prepare(try KernelChoice.load(options.request))
            let definition = prepared.definition
            let trainingOptions = definition.training.options(for: prepared.data.task)
            let trainer = Trainer(network: prepared.network, loss: definition.loss, optimizer: definition.training.optimizer,
                                  schedule: definition.schedule, options: trainingOptions, generator: prepared.generator)
            let batch = trainer.firstBatch(of: prepared.data.training)
            var sampler = SeededGenerator(seed: definition.seed ^ 0x6EAD_C4EC_0000_0001)
            let results: [GradientCheck.Result]
            let tolerance: Double
            switch definition.training.precision {
            case .float64:
                results = GradientCheck().run(network: prepared.network, loss: definition.loss,
                                              regularization: trainingOptions.regularization,
                                              inputs: batch.inputs, targets: batch.targets, generator: &sampler)
                tolerance = self.tolerance ?? 1e-6
            case .float32:
                // The float32 network's own gradients against float32 finite differences.
                let converted = DatasetOf<Float>(converting: batch)
                results = GradientCheck.float32.run(network: NetworkOf<Float>(converting: prepared.network), loss: definition.loss,
                                                    regularization: trainingOptions.regularization,
                                                    inputs: converted.inputs, targets: converted.targets, generator: &sampler)
                tolerance = self.tolerance ?? 1e-2
            }
            let report = Self.report(results, spec: definition.specPath, network: prepared.network,
                                     batch: batch.count, tolerance: tolerance, step: definition.training.precision == .float32 ? "2^-5" : "1e-3")
            print(report.text, terminator: "")
            if !report.passed { throw ArgumentParser.ExitCode(1) }
        }
    }

    /// The printed report: one line per layer, then the verdict.
    static func report(_ results: [GradientCheck.Result], spec: String, network: Network, batch: Int,
                       tolerance: Double, step: String = "1e-3") -> (text: String, passed: Bool) {
        let checked = results.reduce(0) { $0 + $1.checked }
        let skipped = results.reduce(0) { $0 + $1.skipped }
        var text = "\(spec): gradcheck of \(network.parameterCount) parameters (\(checked) checked"
        if skipped > 0 { text += ", \(skipped) skipped at kinks" }
        text += ") on the first batch of \(batch) sample\(batch == 1 ? "" : "s"), fourth-order differences, h = \(step)\n"
        for layer in 1...network.layers.count {
            let parts = results.filter { $0.layer == layer }
            let worst = parts.map(\.worstError).max() ?? 0
            let details = parts.map { "\($0.name) \($0.checked)/\($0.count) worst \(format($0.worstError))" }
            text += "layer \(layer): worst relative error \(format(worst))  (\(details.joined(separator: ", ")))\n"
        }
        let failures = results.filter { $0.worstError > tolerance }
        for failure in failures {
            let columns = failure.name.hasPrefix("b") ? failure.count : network.layers[failure.layer - 1].unitCount
            let index = failure.worstIndex ?? 0
            let place = failure.name.hasPrefix("b") ? "[\(index)]" : "[\(index / columns)][\(index % columns)]"
            text += "FAILED: \(failure.name)\(place): backprop \(failure.worstAnalytic), finite differences \(failure.worstNumeric), relative error \(format(failure.worstError)) > \(format(tolerance))\n"
        }
        let worst = results.map(\.worstError).max() ?? 0
        if failures.isEmpty { text += "ok: worst relative error \(format(worst)) <= tolerance \(format(tolerance))\n" }
        return (text, failures.isEmpty)
    }

    static func format(_ x: Double) -> String { String(format: "%.2e", x) }
}
