import BackpropCore
import PipelineSpec

/// One layer as the spec declares it, before weights are drawn.
public struct LayerDefinition {
    public let units: Int
    public let activation: any Activation
    public let activationName: String
    public let weights: [[Double]]?
    public let bias: [Double]?
    public let initializer: (any Initializer)?
    public let trainable: Bool
    public let trainBias: Bool
    /// The layer's mapping and its `units` value, for errors found later (shape checks).
    public let node: SpecNode
    public let unitsNode: SpecNode
}

/// `network:`: input width and the layers, l = 1, 2, ...
public struct NetworkDefinition {
    public let inputs: Int
    public let inputsNode: SpecNode
    public let initializer: any Initializer
    public let layers: [LayerDefinition]

    /// Builds the network: explicit `weights`/`bias` win, else the layer's or the network's
    /// initialiser draws the weights from `generator` (layer by layer) and biases start at zero.
    public func build(using generator: inout SeededGenerator) -> Network {
        var fanIn = inputs
        var built: [DenseLayer] = []
        for (index, layer) in layers.enumerated() {
            let weights: Matrix
            if let explicit = layer.weights {
                weights = Matrix(explicit)
            } else {
                let initializer = layer.initializer ?? self.initializer
                weights = Matrix(rows: fanIn, columns: layer.units,
                                 storage: initializer.weights(fanIn: fanIn, fanOut: layer.units, using: &generator))
            }
            built.append(DenseLayer(index: index + 1, weights: weights,
                                    bias: layer.bias ?? Array(repeating: 0, count: layer.units),
                                    activation: layer.activation,
                                    trainWeights: layer.trainable, trainBias: layer.trainable && layer.trainBias))
            fanIn = layer.units
        }
        return Network(inputCount: inputs, layers: built)
    }
}

/// `training:`: how long and in what batches, and the optimizer.
public struct TrainingDefinition {
    public let epochs: Int
    /// nil = `full`.
    public let batchSize: Int?
    public let shuffle: Bool
    public let optimizer: any Optimizer
    public let optimizerName: String
}

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
    /// The output folder from the spec (`output_dir`), resolved against the spec's folder.
    public let outputDirectory: String
    public let root: SpecNode
}

extension PipelineDefinition {
    /// Decodes the whole spec tree. Reads keys in document order of the contract so the first
    /// error a user sees is the first one in the file.
    static func decode(_ root: SpecNode, specPath: String, specDigest: String, overrides: [String]) throws -> PipelineDefinition {
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

        var outputDirectory = PathTools.join(directory, "runs/\(name)")
        if let node = top.optional("output_dir"), !node.isNull {
            let path = try node.string("output_dir")
            guard !path.isEmpty else { throw SpecError("'output_dir' is empty", at: node.location) }
            outputDirectory = context.resolve(path)
        }
        let outputs = try decodeOutputs(top.optional("outputs"), context: context)
        try top.finish()
        return PipelineDefinition(name: name, seed: seed, specPath: specPath, specDigest: specDigest,
                                  overrides: overrides, context: context, data: data, dataName: dataName,
                                  network: network, loss: loss, schedule: schedule, training: training,
                                  outputs: outputs, outputDirectory: outputDirectory, root: root)
    }

    static func decodeNetwork(_ node: SpecNode, defaultActivation: (any Activation, String)?,
                              context: SpecContext) throws -> NetworkDefinition {
        let reader = try MappingReader(node, "network")
        let inputsNode = try reader.required("inputs")
        let inputs = try inputsNode.int("inputs")
        guard inputs >= 1 else { throw SpecError("'inputs' must be at least 1, found \(inputs)", at: inputsNode.location) }
        let trainBias = try reader.optional("train_bias").map { try $0.bool("train_bias") } ?? true
        var initializer: any Initializer = XavierUniform()
        if let node = reader.optional("init"), !node.isNull {
            initializer = try Registry.initializers.make(from: node, context: context).product
        }
        let layersNode = try reader.required("layers")
        let layerNodes = try layersNode.list("layers")
        guard !layerNodes.isEmpty else { throw SpecError("'layers' is empty; a network needs at least one layer", at: layersNode.location) }
        var layers: [LayerDefinition] = []
        var fanIn = inputs
        for (index, layerNode) in layerNodes.enumerated() {
            let layer = try decodeLayer(layerNode, number: index + 1, fanIn: fanIn, networkTrainBias: trainBias,
                                        defaultActivation: defaultActivation, context: context)
            layers.append(layer)
            fanIn = layer.units
        }
        try reader.finish()
        return NetworkDefinition(inputs: inputs, inputsNode: inputsNode, initializer: initializer, layers: layers)
    }

    static func decodeLayer(_ node: SpecNode, number: Int, fanIn: Int, networkTrainBias: Bool,
                            defaultActivation: (any Activation, String)?, context: SpecContext) throws -> LayerDefinition {
        let reader = try MappingReader(node, "layer \(number)")
        let unitsNode = try reader.required("units")
        let units = try unitsNode.int("units")
        guard units >= 1 else { throw SpecError("layer \(number): 'units' must be at least 1, found \(units)", at: unitsNode.location) }

        var weights: [[Double]]?
        if let weightsNode = reader.optional("weights"), !weightsNode.isNull {
            let matrix = try weightsNode.doubleMatrix("weights")
            let columns = matrix.first?.count ?? 0
            guard matrix.count == fanIn && columns == units else {
                throw SpecError("layer \(number): 'weights' must be \(fanIn)×\(units) (inputs to the layer × units, weights[j][k] from unit j to unit k), found \(matrix.count)×\(columns)",
                                at: weightsNode.location)
            }
            weights = matrix
        }
        var bias: [Double]?
        if let biasNode = reader.optional("bias"), !biasNode.isNull {
            let values = try biasNode.doubles("bias")
            guard values.count == units else {
                throw SpecError("layer \(number): 'bias' must have \(units) value\(units == 1 ? "" : "s") (one per unit), found \(values.count)",
                                at: biasNode.location)
            }
            bias = values
        }
        let activation: (any Activation, String)
        if let activationNode = reader.optional("activation"), !activationNode.isNull {
            activation = try Registry.activations.make(from: activationNode, context: context)
        } else if let defaultActivation {
            activation = defaultActivation
        } else {
            throw SpecError("layer \(number) names no activation and the spec has no top-level 'activation'",
                            at: node.location, hint: "add 'activation: sigmoid' to the layer or at the top level")
        }
        var initializer: (any Initializer)?
        if let initNode = reader.optional("init"), !initNode.isNull {
            initializer = try Registry.initializers.make(from: initNode, context: context).product
        }
        let trainable = try reader.optional("trainable").map { try $0.bool("trainable") } ?? true
        let trainBias = try reader.optional("train_bias").map { try $0.bool("train_bias") } ?? networkTrainBias
        try reader.finish()
        return LayerDefinition(units: units, activation: activation.0, activationName: activation.1,
                               weights: weights, bias: bias, initializer: initializer,
                               trainable: trainable, trainBias: trainBias, node: node, unitsNode: unitsNode)
    }

    static func decodeTraining(_ node: SpecNode, context: SpecContext) throws -> TrainingDefinition {
        let reader = try MappingReader(node, "training")
        let epochsNode = try reader.required("epochs")
        let epochs = try epochsNode.int("epochs")
        guard epochs >= 1 else { throw SpecError("'epochs' must be at least 1, found \(epochs)", at: epochsNode.location) }
        var batchSize: Int?
        if let batchNode = reader.optional("batch_size"), !batchNode.isNull {
            if case .scalar(let text, _) = batchNode.value, text == "full" {
                batchSize = nil
            } else {
                guard let size = try? batchNode.int("batch_size") else {
                    throw SpecError("'batch_size' must be a positive integer or 'full', found \(batchNode.scalarText)", at: batchNode.location)
                }
                guard size >= 1 else {
                    throw SpecError("'batch_size' must be a positive integer or 'full', found \(size)", at: batchNode.location)
                }
                batchSize = size
            }
        }
        let shuffle = try reader.optional("shuffle").map { try $0.bool("shuffle") } ?? (batchSize != nil)
        let optimizerNode = try reader.required("optimizer")
        let (optimizer, optimizerName) = try Registry.optimizers.make(from: optimizerNode, context: context)
        try reader.finish()
        return TrainingDefinition(epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                                  optimizer: optimizer, optimizerName: optimizerName)
    }

    static func decodeOutputs(_ node: SpecNode?, context: SpecContext) throws -> [any OutputStage] {
        guard let node, !node.isNull else { return [] }
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
