import BackpropCore
import PipelineSpec

/// How a layer starts: weights drawn from a distribution with biases at zero, or a trained
/// model's layer taken whole, weights and bias (`from_model`: fine-tuning and transfer).
///
/// A distribution is a per-weight rule that knows only the layer's fans; a loaded layer is a
/// whole (fanIn, units) matrix and its biases, checked against the layer's shape when the spec
/// is read. Both are `init` plugins, so `network.init` and a layer's `init` take either.
public enum LayerStart: Sendable {
    case drawn(any Initializer)
    case fromModel(FromModel)

    /// The plugin's `type:` name.
    public var name: String {
        switch self {
        case .drawn(let initializer): return initializer.name
        case .fromModel: return FromModel.description.name
        }
    }
}

/// `{type: from_model, path: model.json}`: a trained model's weights and biases as the starting
/// point. As `network.init` every layer takes the model's layer at its position (the model must
/// have as many layers); as a layer's `init` that layer takes the model's layer `layer` (default:
/// its own position), so some layers can be transferred and the rest drawn. The activations are
/// the spec's, and explicit `weights` or `bias` on a layer still win.
public struct FromModel: Sendable {
    public static let description = StageDescription(
        name: "from_model", summary: "a trained model.json's weights and biases as the starting point (fine-tuning; per layer: transfer), shapes checked",
        parameters: [path, layer],
        example: "init: {type: from_model, path: model.json}")
    static let path = Parameter<SpecNode>.required("path", type: "string", "the model.json to start from, relative to the spec's folder")
    static let layer = Parameter<Int?>.optional("layer", shown: "the layer's own position", range: .atLeast(1),
                                               "in a layer's init: which layer of the model to take (1-based)")

    /// The path as the spec writes it, for messages.
    public let file: String
    /// The path relative to the spec's folder resolved.
    public let resolvedPath: String
    /// The `path` node: shape errors point here.
    public let pathNode: SpecNode
    /// The `layer` node when given.
    public let layerNode: SpecNode?
    public let layer: Int?

    /// Reads the keys only; the model file is read when the network is built (Engine.prepare,
    /// which `validate` runs too), as data files are.
    init(_ arguments: PluginArguments) throws {
        pathNode = try arguments.read(Self.path)
        file = try pathNode.string("path")
        guard !file.isEmpty else { throw SpecError("'path' of from_model is empty", at: pathNode.location) }
        resolvedPath = arguments.context.resolve(file)
        layer = try arguments.read(Self.layer)
        layerNode = arguments.optional("layer")
    }

    /// The model file: a missing or unreadable one exits 66, a malformed one 65 (TrainedModel.load).
    func load() throws -> TrainedModel {
        try TrainedModel.load(path: resolvedPath)
    }

    /// The starting values of the network's layer `number` (1-based), `fanIn` inputs × `units`:
    /// `model`'s layer `layer ?? number`, or a spec error at `path` naming both shapes.
    func values(of model: TrainedModel, forLayer number: Int, fanIn: Int, units: Int) throws -> TrainedModel.Layer {
        let source = layer ?? number
        guard source <= model.layers.count else {
            let count = model.layers.count
            throw SpecError("layer \(number): from_model takes layer \(source) of \(file), which has \(count) layer\(count == 1 ? "" : "s")",
                            at: (layerNode ?? pathNode).location)
        }
        let loaded = model.layers[source - 1]
        guard loaded.weights.rows == fanIn && loaded.weights.columns == units else {
            throw SpecError("layer \(number) is \(fanIn) inputs × \(units) units but layer \(source) of \(file) is \(loaded.weights.rows) inputs × \(loaded.weights.columns) units",
                            at: pathNode.location)
        }
        return loaded
    }

    /// As `network.init`: one model layer per network layer.
    func checkCovers(layerCount: Int, in model: TrainedModel) throws {
        if let layerNode {
            throw SpecError("'layer' of from_model is for a layer's own init; network.init takes every layer at its position",
                            at: layerNode.location)
        }
        let count = model.layers.count
        guard count == layerCount else {
            throw SpecError("network.init from_model: \(file) has \(count) layer\(count == 1 ? "" : "s") but the network has \(layerCount); to take single layers give them 'init: {type: from_model, path: \(file), layer: N}'",
                            at: pathNode.location)
        }
    }
}
