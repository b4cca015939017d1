import BackpropCore
import PipelineSpec

/// A spec, decoded and checked: every plugin built, every key known.
public struct PipelineDefinition {
    public let name: String
    public let seed: UInt64
    public let specPath: String
    /// SHA-256 of the spec file's bytes (provenance; not of the overrides).
    public let specDigest: String
    public let overrides: [String]
    public let context: SpecContext
    public let data: any DataStage
    public let dataName: String
    public let network: NetworkDefinition
    public let loss: any Loss
    public let schedule: any LearningRateSchedule
    public let training: TrainingDefinition
    public let outputs: [any OutputStage]
    /// `expect:`: conditions on the finished run's metrics (exit 3 when one fails).
    public let expectations: [Expectation]
    /// The output folder: `--out DIR` (or `--resume DIR`) if given, else the spec's
    /// `output_dir` resolved against the spec's folder, else `runs/NAME` beside the spec;
    /// lexically normalised (`runs/new/` is `runs/new`).
    public let outputDirectory: String
    public let root: SpecNode

    /// The files a run of this spec writes into its output folder: every output's file and
    /// the checkpoint (top-level names).
    var runFiles: Set<String> {
        Set(outputs.compactMap { $0.file.split(separator: "/").first.map(String.init) } + [Checkpoint.fileName])
    }
}

extension PipelineDefinition {
    /// Decodes the whole spec tree. Reads keys in document order of the contract so the first
    /// error a user sees is the first one in the file.
    /// `outputDirectory` (from the command line) replaces the spec's choice of folder.
    static func decode(_ root: SpecNode, specPath: String, specDigest: String, overrides: [String],
                       outputDirectory given: String? = nil) throws -> PipelineDefinition {
        let top = try MappingReader(root, "the spec")
        let directory = PathTools.directory(of: specPath)
        let name = try top.optional("name").flatMap { $0.isNull ? nil : try $0.string("name") }
            ?? PathTools.stem(of: specPath)
        var seed: UInt64 = 0
        if let node = top.optional("seed"), !node.isNull {
            let value = try node.int("seed")
            guard value >= 0 else { throw SpecError("'seed' must be 0 or greater, found \(value)", at: node.location) }
            seed = UInt64(value)
        }
        let context = SpecContext(directory: directory, seed: seed)

        let dataNode = try top.required("data")
        let (data, dataName) = try Registry.data.make(from: dataNode, context: context)

        let activationNode = top.optional("activation").flatMap { $0.isNull ? nil : $0 }
        let defaultActivation = try activationNode.map { try Registry.activations.make(from: $0, context: context) }
        // Without a top-level activation, `activaton: relu` there would surface as a layer's missing one.
        if activationNode == nil { try top.rejectMisspelling(of: "activation") }
        let network = try decodeNetwork(try top.required("network"), defaultActivation: defaultActivation, context: context)
        try checkSoftmaxIsLast(network, defaultNode: activationNode)
        let lossNode = try top.required("loss")
        let (loss, _) = try Registry.losses.make(from: lossNode, context: context)
        try checkLoss(loss, at: lossNode, fits: network)
        let scheduleNode = try top.required("learning_rate")
        let (schedule, _) = try Registry.schedules.make(from: constantShorthand(scheduleNode), context: context)
        let trainingNode = try top.required("training")
        let training = try decodeTraining(trainingNode, context: context)
        let dataValidation = dataNode["validation"].flatMap { $0.isNull ? nil : $0 }
        if training.validationFraction != nil, let dataValidation, let trainingValidation = trainingNode["validation"] {
            throw SpecError("'validation' is given both here and in 'data' (line \(dataValidation.location.line)); keep one",
                            at: trainingValidation.location)
        }
        // Every data stage holds out a validation part exactly when one of the two keys is given.
        if dataValidation == nil && training.validationFraction == nil {
            try checkNoValidationMonitor(training: training, at: trainingNode, schedule: schedule, at: scheduleNode)
        }

        let outputDirectory: String
        if let node = top.optional("output_dir"), !node.isNull {
            let path = try node.string("output_dir")
            guard !path.isEmpty else { throw SpecError("'output_dir' is empty", at: node.location) }
            // A C path ends at its first NUL: "runs/x\0y" would silently be "runs/x".
            guard !path.utf8.contains(0) else { throw SpecError("'output_dir' contains a NUL character", at: node.location) }
            outputDirectory = given.map(Self.cleaned) ?? context.resolve(path)
        } else if let given {
            outputDirectory = Self.cleaned(given)
        } else {
            // The name becomes a folder below runs/: refuse one that would be another folder
            // ("", ".", "..", "../x") or that no file system could hold.
            if let problem = OutputFolder.problem(withFolderName: name) {
                throw SpecError("'name' cannot name the output folder runs/NAME: it \(problem); give a plain name, or set output_dir",
                                at: top.optional("name")?.location ?? root.location)
            }
            outputDirectory = PathTools.join(directory, "runs/\(name)")
        }
        let outputs = try decodeOutputs(top.optional("outputs"), context: context)
        let facts = Expectation.SpecFacts(layers: network.layers.count,
                                          hasValidation: dataValidation != nil || training.validationFraction != nil,
                                          hasEarlyStopping: training.earlyStopping != nil,
                                          hasRegularization: training.regularization.isActive)
        let expectations = try Expectation.decode(top.optional("expect"), facts: facts)
        // `sweep` is SweepPlan's (which removes it before a run is decoded); naming it here
        // makes it a known key, so `sweeep:` is answered with "did you mean 'sweep'".
        _ = top.optional("sweep")
        try top.finish()
        return PipelineDefinition(name: name, seed: seed, specPath: specPath, specDigest: specDigest,
                                  overrides: overrides, context: context, data: data, dataName: dataName,
                                  network: network, loss: loss, schedule: schedule, training: training,
                                  outputs: outputs, expectations: expectations, outputDirectory: outputDirectory, root: root)
    }

    /// A command-line folder, normalised; an empty one stays empty so the check can name it.
    static func cleaned(_ path: String) -> String {
        path.isEmpty ? path : PathTools.normalize(path)
    }

    /// What a spec without an `outputs` key writes (`outputs: []` writes nothing).
    static let defaultOutputs = "outputs: [loss_curve, metrics, history, model]\n"

    static func decodeOutputs(_ node: SpecNode?, context: SpecContext) throws -> [any OutputStage] {
        guard let node else {
            let defaults = try SpecLoader.load(text: defaultOutputs, path: "default outputs")
            return try decodeOutputs(defaults["outputs"], context: context)
        }
        guard !node.isNull else { return [] }
        var outputs: [any OutputStage] = []
        var files: [String: SpecNode] = [:]
        for item in try node.list("outputs") {
            let output = try Registry.outputs.make(from: item, context: context).product
            if let first = files[output.file] {
                throw SpecError("two outputs write '\(output.file)' (the first at line \(first.location.line))", at: item.location)
            }
            files[output.file] = item
            outputs.append(output)
        }
        return outputs
    }
}

/// Modelling mistakes that would train without complaint and mean nothing: each is a spec error
/// at the key to change, with what to write instead.
extension PipelineDefinition {
    /// softmax(net)ₖ = e^netₖ / Σⱼ e^netⱼ turns a layer into one probability distribution over its
    /// units: what a classifier's output layer gives cross_entropy, and a bottleneck anywhere else
    /// (the next layer sees only which unit is largest, and the Jacobian couples every unit).
    static func checkSoftmaxIsLast(_ network: NetworkDefinition, defaultNode: SpecNode?) throws {
        for (index, layer) in network.layers.dropLast().enumerated() where layer.activation is Softmax {
            if let own = layer.node["activation"], !own.isNull {
                throw SpecError("layer \(index + 1) is a hidden layer; softmax belongs on the output layer only", at: own.location,
                                hint: "use relu, tanh or sigmoid in hidden layers")
            }
            throw SpecError("the top-level 'activation' makes hidden layer \(index + 1) softmax; softmax belongs on the output layer only",
                            at: (defaultNode ?? layer.node).location,
                            hint: "make the top-level activation relu, tanh or sigmoid and give the last layer 'activation: softmax'")
        }
    }

    /// The cross-entropies read the outputs as probabilities: cross_entropy −Σₖ tₖ ln outₖ needs
    /// a distribution over the classes (softmax; behind sigmoid it only pushes the true class up
    /// and never the others down), binary_cross_entropy −[t ln out + (1 − t) ln(1 − out)] one
    /// probability per output (sigmoid; softmax's outputs are tied to sum to 1, which is
    /// cross_entropy's case). Any other output (linear, relu, tanh) is clamped into (0, 1) and the
    /// loss trains on nonsense.
    static func checkLoss(_ loss: any Loss, at node: SpecNode, fits network: NetworkDefinition) throws {
        guard let output = network.layers.last else { return }
        let needs: String
        let hint: String
        switch loss {
        case is CrossEntropy where !(output.activation is Softmax):
            needs = "softmax outputs (probabilities over the classes)"
            hint = output.activation is Sigmoid
                ? "for one sigmoid probability per output use 'loss: binary_cross_entropy'; for classes give the last layer 'activation: softmax'"
                : "give the last layer 'activation: softmax' (one unit per class), or use 'loss: mse' for regression"
        case is BinaryCrossEntropy where !(output.activation is Sigmoid):
            needs = "sigmoid outputs (one probability per output)"
            hint = output.activation is Softmax
                ? "for softmax outputs use 'loss: cross_entropy'"
                : "give the last layer 'activation: sigmoid', or use 'loss: mse' for regression"
        default:
            return
        }
        let layer = network.layers.count
        throw SpecError("\(loss.name) needs \(needs), but the output layer (layer \(layer), line \(output.node.location.line)) has activation '\(output.activationName)'",
                        at: (node["type"] ?? node).location, hint: hint)
    }

    /// Called when the data will have no validation part: watching val_loss would watch nothing
    /// (the core falls back to the training loss, which is not what the spec says).
    static func checkNoValidationMonitor(training: TrainingDefinition, at trainingNode: SpecNode,
                                         schedule: any LearningRateSchedule, at scheduleNode: SpecNode) throws {
        let hint = "add 'validation: 0.2' to data or training, or set 'monitor: loss'"
        if let stopping = training.earlyStopping, stopping.monitor == .validationLoss {
            let node = trainingNode["early_stopping"]
            throw SpecError("early_stopping monitors val_loss but the data has no validation part",
                            at: (node?["monitor"] ?? node ?? trainingNode).location, hint: hint)
        }
        let inner = (schedule as? Warmup)?.schedule ?? schedule
        if let plateau = inner as? ReduceOnPlateau, plateau.monitor == .validationLoss {
            throw SpecError("reduce_on_plateau monitors val_loss but the data has no validation part",
                            at: (scheduleNode["monitor"] ?? scheduleNode["type"] ?? scheduleNode).location, hint: hint)
        }
    }
}

extension PipelineDefinition {
    /// `learning_rate: 0.05`, a plain number, is shorthand for `{type: constant, value: 0.05}`:
    /// the node rebuilt as that mapping at the number's place, so a bad value (0, -1) gets the
    /// constant schedule's own message pointing at the number. Anything else is left as written.
    static func constantShorthand(_ node: SpecNode) -> SpecNode {
        guard case .scalar(let text, plain: true) = node.value, Double(text) != nil else { return node }
        func word(_ text: String) -> SpecNode { SpecNode(.scalar(text, plain: true), at: node.location) }
        return SpecNode(.mapping([(key: word("type"), value: word("constant")), (key: word("value"), value: node)]), at: node.location)
    }
}
