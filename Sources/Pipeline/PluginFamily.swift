import PipelineSpec

/// A registered plugin: its description and how to build it from its spec arguments.
public struct Plugin<Product>: Sendable {
    public let description: StageDescription
    let make: @Sendable (PluginArguments) throws -> Product

    public init(_ description: StageDescription, make: @escaping @Sendable (PluginArguments) throws -> Product) {
        self.description = description
        self.make = make
    }
}

/// A type that is itself a stage plugin (data and output stages): static metadata and an
/// initialiser that reads its own keys.
public protocol StagePlugin {
    static var description: StageDescription { get }
    init(_ arguments: PluginArguments) throws
}

extension Plugin {
    /// The registry entry of a stage type.
    public init<Stage: StagePlugin>(_ type: Stage.Type, as product: Product.Type = Product.self) {
        self.init(Stage.description) { arguments in
            // Every registered stage type conforms to its family's protocol; checked by a test.
            guard let stage = try Stage(arguments) as? Product else {
                throw SpecError("plugin '\(Stage.description.name)' is registered in the wrong family", at: arguments.node.location)
            }
            return stage
        }
    }
}

/// All plugins of one stage kind, looked up by `type:` name.
public struct PluginFamily<Product>: Sendable {
    public let kind: StageKind
    /// The word used in messages: "activation", "learning rate schedule", ...
    public let noun: String
    public let plugins: [Plugin<Product>]

    public init(_ kind: StageKind, noun: String, _ plugins: [Plugin<Product>]) {
        self.kind = kind
        self.noun = noun
        self.plugins = plugins
    }

    public var names: [String] { plugins.map(\.description.name) }

    public func plugin(named name: String) -> Plugin<Product>? {
        plugins.first { $0.description.name == name || $0.description.aliases.contains(name) }
    }

    /// Builds the plugin a node names: a bare name (`sigmoid`) or a mapping with `type:` and the
    /// plugin's own keys (`{type: leaky_relu, alpha: 0.1}`). Unknown names and keys are errors.
    public func make(from node: SpecNode, context: SpecContext) throws -> (product: Product, name: String) {
        let (plugin, arguments) = try resolve(node, context: context)
        let product = try plugin.make(arguments)
        try arguments.reader?.finish()
        return (product, plugin.description.name)
    }

    /// The plugin a node names and its arguments, not yet built (tests inspect what a build reads).
    func resolve(_ node: SpecNode, context: SpecContext) throws -> (Plugin<Product>, PluginArguments) {
        if case .scalar = node.value {
            let plugin = try lookup(try node.string(kind.rawValue), at: node)
            return (plugin, PluginArguments(node: node, pluginName: plugin.description.name, context: context, reader: nil))
        }
        let reader = try MappingReader(node, kind.rawValue)
        let typeNode = try reader.required("type")
        let plugin = try lookup(try typeNode.string("type"), at: typeNode)
        return (plugin, PluginArguments(node: node, pluginName: plugin.description.name, context: context, reader: reader))
    }

    func lookup(_ name: String, at node: SpecNode) throws -> Plugin<Product> {
        if let plugin = plugin(named: name) { return plugin }
        let candidates = plugins.flatMap { [$0.description.name] + $0.description.aliases }
        var message = "unknown \(noun) \(quote(name))"
        if let suggestion = didYouMean(name, among: candidates) { message += "; \(suggestion)" }
        throw SpecError(message, at: node.location, hint: "known: \(names.joined(separator: ", "))")
    }
}
