import PipelineSpec

/// A rule a number must satisfy, with the words the error uses.
public enum NumberRule: Sendable {
    case any, positive, nonNegative, unitInterval, openUnitInterval, atLeast(Double), greaterThan(Double)

    func check(_ x: Double) -> String? {
        switch self {
        case .any: return nil
        case .positive: return x > 0 ? nil : "must be greater than 0"
        case .nonNegative: return x >= 0 ? nil : "must be 0 or greater"
        case .unitInterval: return (0...1).contains(x) ? nil : "must be between 0 and 1"
        case .openUnitInterval: return x > 0 && x < 1 ? nil : "must be strictly between 0 and 1"
        case .atLeast(let low): return x >= low ? nil : "must be at least \(format(low))"
        case .greaterThan(let low): return x > low ? nil : "must be greater than \(format(low))"
        }
    }

    private func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

/// The keys of one plugin's mapping (or none, when the spec named the plugin by a bare string),
/// read with typed getters that point errors at the offending node.
public final class PluginArguments {
    /// The plugin reference as written: a bare name or a mapping with `type:`.
    public let node: SpecNode
    public let pluginName: String
    public let context: SpecContext
    let reader: MappingReader?

    init(node: SpecNode, pluginName: String, context: SpecContext, reader: MappingReader?) {
        self.node = node
        self.pluginName = pluginName
        self.context = context
        self.reader = reader
    }

    /// A value node, or nil when the key is absent (or the plugin was named without a mapping).
    public func optional(_ key: String) -> SpecNode? {
        guard let value = reader?.optional(key), !value.isNull else { return nil }
        return value
    }

    public func required(_ key: String) throws -> SpecNode {
        guard let reader else {
            throw SpecError("\(pluginName) needs '\(key)'; write it as a mapping: {type: \(pluginName), \(key): ...}",
                            at: node.location)
        }
        return try reader.required(key)
    }

    func what(_ key: String) -> String { "'\(key)' of \(pluginName)" }

    public func number(_ key: String, default fallback: Double, _ rule: NumberRule = .any) throws -> Double {
        try optionalNumber(key, rule) ?? fallback
    }

    public func optionalNumber(_ key: String, _ rule: NumberRule = .any) throws -> Double? {
        guard let value = optional(key) else { return nil }
        let x = try value.double(key)
        if let problem = rule.check(x) {
            throw SpecError("\(what(key)) \(problem), found \(value.scalarText)", at: value.location)
        }
        return x
    }

    public func requiredNumber(_ key: String, _ rule: NumberRule = .any) throws -> Double {
        _ = try required(key)
        return try optionalNumber(key, rule) ?? 0
    }

    public func integer(_ key: String, default fallback: Int, minimum: Int? = nil) throws -> Int {
        try optionalInteger(key, minimum: minimum) ?? fallback
    }

    public func optionalInteger(_ key: String, minimum: Int? = nil) throws -> Int? {
        guard let value = optional(key) else { return nil }
        let n = try value.int(key)
        if let minimum, n < minimum {
            throw SpecError("\(what(key)) must be at least \(minimum), found \(n)", at: value.location)
        }
        return n
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = optional(key) else { return fallback }
        return try value.bool(key)
    }

    public func string(_ key: String) throws -> String? {
        guard let value = optional(key) else { return nil }
        return try value.string(key)
    }

    /// One of `choices`; an unknown word gets "did you mean".
    public func choice(_ key: String, _ choices: [String], default fallback: String) throws -> String {
        guard let value = optional(key) else { return fallback }
        let word = try value.string(key)
        guard choices.contains(word) else {
            var message = "\(what(key)) must be one of \(choices.map { "'\($0)'" }.joined(separator: ", ")), found \(quote(word))"
            if let hint = didYouMean(word, among: choices) { message += "; \(hint)" }
            throw SpecError(message, at: value.location)
        }
        return word
    }
}

extension SpecNode {
    /// The scalar as written, for messages; a short description for collections.
    public var scalarText: String {
        if case .scalar(let text, _) = value { return text }
        return kindName
    }
}
