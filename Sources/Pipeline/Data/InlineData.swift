import BackpropCore
import PipelineSpec

/// Samples written in the spec itself: `inputs` and `targets`, one row per sample.
public struct InlineData: DataStage, StagePlugin {
    public static let description = StageDescription(
        name: "inline",
        summary: "samples written in the spec: inputs and targets, one row per sample",
        parameters: [inputs, targets, task] + DataOptions.parameters(test: test),
        example: """
        data:
          type: inline
          inputs: [[0.05, 0.10]]
          targets: [[0.01, 0.99]]
        """)

    static let inputs = Parameter<SpecNode>.required("inputs", type: "list of rows", "input vectors, one per sample")
    static let targets = Parameter<SpecNode>.required("targets", type: "list of rows", "target vectors, one per sample")
    static let task = Parameter("task", default: "auto", choices: ["auto", "classification", "regression"],
                                "auto: classification when every target row is one-hot, or a single 0/1")
    static let test = DataOptions.test("{inputs, targets}")

    let dataset: Dataset
    let test: Dataset?
    let task: LearningTask
    let options: DataOptions

    public init(_ arguments: PluginArguments) throws {
        let inputsNode = try arguments.read(Self.inputs)
        let targetsNode = try arguments.read(Self.targets)
        let inputs = try inputsNode.doubleMatrix("inputs")
        let targets = try targetsNode.doubleMatrix("targets")
        guard !inputs.isEmpty else { throw SpecError("'inputs' has no samples", at: inputsNode.location) }
        guard inputs[0].count > 0 else { throw SpecError("'inputs' rows are empty", at: inputsNode.location) }
        guard targets.count == inputs.count else {
            throw SpecError("'targets' has \(targets.count) row\(targets.count == 1 ? "" : "s") but 'inputs' has \(inputs.count); give one target row per sample",
                            at: targetsNode.location)
        }
        guard targets[0].count > 0 else { throw SpecError("'targets' rows are empty", at: targetsNode.location) }
        dataset = Dataset(inputs: Matrix(inputs), targets: Matrix(targets))
        let mode = try arguments.read(Self.task)
        let width = targets[0].count
        let looksLikeClasses = targets.allSatisfy { row in
            width == 1 ? (row[0] == 0 || row[0] == 1) : (row.allSatisfy { $0 == 0 || $0 == 1 } && row.reduce(0, +) == 1)
        }
        if mode == "classification" && !looksLikeClasses {
            throw SpecError("task classification needs one-hot target rows (or a single 0/1 column)", at: targetsNode.location)
        }
        if mode == "classification" || (mode == "auto" && looksLikeClasses) {
            task = .classification(classes: width == 1 ? ["0", "1"] : (0..<width).map(String.init))
        } else {
            task = .regression
        }
        options = try DataOptions(arguments, test: Self.test)
        if let node = options.testNode {
            let reader = try MappingReader(node, "data.test")
            let inputsNode = try reader.required("inputs"), targetsNode = try reader.required("targets")
            let testInputs = try inputsNode.doubleMatrix("test.inputs")
            let testTargets = try targetsNode.doubleMatrix("test.targets")
            try reader.finish()
            guard !testInputs.isEmpty else { throw SpecError("'test.inputs' has no samples", at: inputsNode.location) }
            guard testInputs[0].count == inputs[0].count else {
                throw SpecError("'test.inputs' rows have \(testInputs[0].count) numbers but 'inputs' rows have \(inputs[0].count)",
                                at: inputsNode.location)
            }
            guard testTargets.count == testInputs.count else {
                throw SpecError("'test.targets' has \(testTargets.count) row\(testTargets.count == 1 ? "" : "s") but 'test.inputs' has \(testInputs.count)",
                                at: targetsNode.location)
            }
            guard testTargets[0].count == width else {
                throw SpecError("'test.targets' rows have \(testTargets[0].count) numbers but 'targets' rows have \(width)",
                                at: targetsNode.location)
            }
            test = Dataset(inputs: Matrix(testInputs), targets: Matrix(testTargets))
        } else {
            test = nil
        }
    }

    public func load(_ request: DataRequest) throws -> LoadedData {
        try options.assemble(request, training: dataset, test: test, task: task,
                             featureNames: (1...dataset.featureCount).map { "x\($0)" }, source: "inline")
    }
}

extension InlineData {
    /// The samples of every part, written in the spec, so known before loading (the kernel
    /// choice uses it to see that a tiny network never calls BLAS).
    public var sampleCount: Int { dataset.count + (test?.count ?? 0) }
}
