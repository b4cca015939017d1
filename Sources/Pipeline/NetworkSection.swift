import BackpropCore
import PipelineSpec

/// One layer as the spec declares it, before weights are drawn.
public struct LayerDefinition {
    public let units: Int
    public let activation: any Activation
    public let activationName: String
    public let weights: [[Double]]?
    public let bias: [Double]?
    /// The layer's own `init`; nil: the network's.
    public let initializer: LayerStart?
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
    public let initializer: LayerStart
    public let layers: [LayerDefinition]

    /// Where each layer's starting values come from, with `from_model` files read (each once)
    /// and every loaded shape checked: a missing file exits 66, a malformed one 65, a shape that
    /// does not fit is a SpecError at the init's `path`. Engine.prepare calls it before the data
    /// is read, so a wrong model fails before a long load.
    public func starts() throws -> [ResolvedStart] { try resolve().starts }

    /// `starts()`, with the model the whole network starts from: `network.init` from_model and no
    /// layer with its own `init` (per-layer transfer starts from pieces, and its data is fitted afresh).
    public func resolve() throws -> (starts: [ResolvedStart], whole: StartingModel?) {
        var models: [String: TrainedModel] = [:]
        func model(_ source: FromModel) throws -> TrainedModel {
            if let known = models[source.resolvedPath] { return known }
            let loaded = try source.load()
            models[source.resolvedPath] = loaded
            return loaded
        }
        if case .fromModel(let source) = initializer {
            try source.checkCovers(layerCount: layers.count, in: try model(source))
        }
        var fanIn = inputs
        var starts: [ResolvedStart] = []
        for (index, layer) in layers.enumerated() {
            switch layer.initializer ?? initializer {
            case .drawn(let initializer):
                starts.append(.drawn(initializer))
            case .fromModel(let source):
                starts.append(.loaded(try source.values(of: try model(source), forLayer: index + 1, fanIn: fanIn, units: layer.units)))
            }
            fanIn = layer.units
        }
        var whole: StartingModel?
        if case .fromModel(let source) = initializer, layers.allSatisfy({ $0.initializer == nil }), let model = models[source.resolvedPath] {
            whole = StartingModel(file: source.file, features: model.features, normalization: model.normalization, inputScale: model.inputScale)
        }
        return (starts, whole)
    }

    /// A layer's start with its model read: drawn weights, or a trained layer's values.
    public enum ResolvedStart: Sendable {
        case drawn(any Initializer)
        case loaded(TrainedModel.Layer)
    }

    /// Builds the network from `starts` (one per layer, from `starts()`): explicit `weights`/`bias`
    /// win, else a loaded layer gives them, else the initialiser draws the weights from
    /// `generator` (layer by layer; a loaded layer draws nothing) and biases start at zero.
    public func build(using generator: inout SeededGenerator, starts: [ResolvedStart]) -> Network {
        precondition(starts.count == layers.count, "one start per layer")
        var fanIn = inputs
        var built: [DenseLayer] = []
        for (index, layer) in layers.enumerated() {
            var loadedBias: [Double]?
            let weights: Matrix
            switch (layer.weights, starts[index]) {
            case (let explicit?, let start):
                if case .loaded(let values) = start { loadedBias = values.bias }
                weights = Matrix(explicit)
            case (nil, .loaded(let values)):
                loadedBias = values.bias
                weights = values.weights
            case (nil, .drawn(let initializer)):
                weights = Matrix(rows: fanIn, columns: layer.units,
                                 storage: initializer.weights(fanIn: fanIn, fanOut: layer.units, using: &generator))
            }
            built.append(DenseLayer(index: index + 1, weights: weights,
                                    bias: layer.bias ?? loadedBias ?? Array(repeating: 0, count: layer.units),
                                    activation: layer.activation,
                                    trainWeights: layer.trainable, trainBias: layer.trainable && layer.trainBias))
            fanIn = layer.units
        }
        return Network(inputCount: inputs, layers: built)
    }
}

extension PipelineDefinition {
    static func decodeNetwork(_ node: SpecNode, defaultActivation: (any Activation, String)?,
                              context: SpecContext) throws -> NetworkDefinition {
        let reader = try MappingReader(node, "network")
        let inputsNode = try reader.required("inputs")
        let inputs = try inputsNode.int("inputs")
        guard inputs >= 1 else { throw SpecError("'inputs' must be at least 1, found \(inputs)", at: inputsNode.location) }
        let trainBias = try reader.optional("train_bias").map { try $0.bool("train_bias") } ?? true
        var initializer = LayerStart.drawn(XavierUniform())
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
            // `activaton: tanh` is the cause, not a missing activation.
            try reader.rejectMisspelling(of: "activation")
            throw SpecError("layer \(number) names no activation and the spec has no top-level 'activation'",
                            at: node.location, hint: "add 'activation: sigmoid' to the layer or at the top level")
        }
        var initializer: LayerStart?
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
}
