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
    /// The output folder: `--out DIR` (or `--resume DIR`) if given, else the spec's
    /// `output_dir` resolved against the spec's folder, else `runs/NAME` beside the spec;
    /// lexically normalised (`runs/new/` is `runs/new`).
    public internal(set) var outputDirectory: String
    public let root: SpecNode
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

        let defaultActivation = try top.optional("activation").flatMap { node -> (any Activation, String)? in
            node.isNull ? nil : try Registry.activations.make(from: node, context: context)
        }
        let network = try decodeNetwork(try top.required("network"), defaultActivation: defaultActivation, context: context)
        let (loss, _) = try Registry.losses.make(from: try top.required("loss"), context: context)
        let (schedule, _) = try Registry.schedules.make(from: try top.required("learning_rate"), context: context)
        let training = try decodeTraining(try top.required("training"), context: context)
        if training.validationFraction != nil, let dataValidation = dataNode["validation"], !dataValidation.isNull,
           let trainingValidation = root["training"]?["validation"] {
            throw SpecError("'validation' is given both here and in 'data' (line \(dataValidation.location.line)); keep one",
                            at: trainingValidation.location)
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
        try top.finish()
        return PipelineDefinition(name: name, seed: seed, specPath: specPath, specDigest: specDigest,
                                  overrides: overrides, context: context, data: data, dataName: dataName,
                                  network: network, loss: loss, schedule: schedule, training: training,
                                  outputs: outputs, outputDirectory: outputDirectory, root: root)
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
