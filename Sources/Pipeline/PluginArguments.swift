import PipelineSpec

/// The keys of one plugin's mapping (or none, when the spec named the plugin by a bare string),
/// read through the plugin's declared `Parameter`s, with errors that point at the offending node.
public final class PluginArguments {
    /// The plugin reference as written: a bare name or a mapping with `type:`.
    public let node: SpecNode
    public let pluginName: String
    public let context: SpecContext
    let reader: MappingReader?
    /// Every parameter read so far, as declared: a test checks these are the plugin's described ones.
    private(set) var readParameters: [ParameterDescription] = []

    init(node: SpecNode, pluginName: String, context: SpecContext, reader: MappingReader?) {
        self.node = node
        self.pluginName = pluginName
        self.context = context
        self.reader = reader
    }

    /// A value node, or nil when the key is absent, null, or the plugin was named without a mapping.
    func optional(_ key: String) -> SpecNode? {
        guard let value = reader?.optional(key), !value.isNull else { return nil }
        return value
    }

    func required(_ key: String) throws -> SpecNode {
        guard let reader else {
            throw SpecError("\(pluginName) needs '\(key)'; write it as a mapping: {type: \(pluginName), \(key): ...}",
                            at: node.location)
        }
        return try reader.required(key)
    }

    func what(_ key: String) -> String { "'\(key)' of \(pluginName)" }

    /// The value of `parameter`: its default when the key is absent (an error when it is
    /// required), else the value as written, checked against the declared choices and range.
    public func read<Value>(_ parameter: Parameter<Value>) throws -> Value {
        readParameters.append(parameter.parameterDescription)
        let key = parameter.name
        guard let value = optional(key) else {
            if let fallback = parameter.defaultValue { return fallback }
            // Present but null: the same "missing" message as an absent key.
            _ = try required(key)
            throw SpecError("\(what(key)) has no value", at: (reader?.optional(key) ?? node).location)
        }
        if let choices = parameter.choices {
            let word = try value.string(key)
            guard choices.contains(word) else {
                var message = "\(what(key)) must be one of \(choices.map { "'\($0)'" }.joined(separator: ", ")), found '\(word)'"
                if let hint = didYouMean(word, among: choices) { message += "; \(hint)" }
                throw SpecError(message, at: value.location)
            }
        }
        let decoded = try Value.decode(value, key: key)
        if let bounds = parameter.bounds, let x = decoded.numericValue, let problem = bounds.problem(x) {
            throw SpecError("\(what(key)) \(problem), found \(value.scalarText)", at: value.location)
        }
        return decoded
    }
}

extension SpecNode {
    /// The scalar as written, for messages; a short description for collections.
    public var scalarText: String {
        if case .scalar(let text, _) = value { return text }
        return kindName
    }
}
