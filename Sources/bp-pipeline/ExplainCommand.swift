import ArgumentParser
import Pipeline

/// `bp-pipeline explain SPEC --weight L:J,K`: the chain-rule derivation of one ∂E/∂w, factor by
/// factor, as the seed writes it; the derivation itself lives in `Explain` (Pipeline).
struct ExplainWeight: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Derive ∂E/∂w of one weight by the chain rule, every factor with its form and value.",
        discussion: """
        --weight L:J,K is w^L_JK, from unit J of layer L-1 (input J when L = 1) to unit K of layer L, \
        1-based as in the seed: --weight 2:1,1 is w²₁₁. The derivation is made on the first batch \
        training would use, at the initial parameters or after --epoch E epochs (nothing is written), \
        checked against the trainer's own gradient, and ends with the optimizer's update.
        """)

    @OptionGroup var options: SpecOptions

    @Option(help: ArgumentHelp("The weight w^L_JK (1-based: layer L, unit J below, unit K of layer L).", valueName: "L:J,K"))
    var weight: String

    // `.unconditional`: `--epoch -1` is read as the number -1 (and refused below), not as an option.
    @Option(parsing: .unconditional, help: ArgumentHelp("Train this many epochs first and explain at those parameters.", valueName: "E"))
    var epoch = 0

    @Option(help: "text (Unicode, like the seed), markdown or latex (a complete document).")
    var format: ExplainFormat = .text

    func validate() throws {
        guard WeightIndex(parsing: weight) != nil else {
            throw ValidationError("--weight must be L:J,K with positive whole numbers (layer L, unit J of layer L-1, unit K of layer L), e.g. 2:1,1; found '\(weight)'")
        }
        guard epoch >= 0 else { throw ValidationError("--epoch must be 0 or more, found \(epoch)") }
    }

    func run() throws {
        try Terminal.exitOnError {
            guard let index = WeightIndex(parsing: weight) else { return }
            let prepared = try Engine.prepare(try KernelChoice.load(options.request))
            let explanation = try Explain.explain(prepared, weight: index, afterEpochs: epoch)
            print(explanation.render(format), terminator: "")
        }
    }
}

extension ExplainFormat: ExpressibleByArgument {}
