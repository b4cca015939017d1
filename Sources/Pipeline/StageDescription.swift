import PipelineSpec

/// The stage kinds a spec declares, each with its own registry family.
public enum StageKind: String, CaseIterable, Sendable {
    case data, activation, loss, initializer = "init", learningRate = "learning_rate", optimizer, output
}

/// One parameter as `bp-pipeline plugins` prints it; made from a `Parameter`, never written by hand.
public struct ParameterDescription: Sendable, Equatable {
    public let name: String
    /// "number", "integer", "boolean", "string", "list of rows", ...
    public let type: String
    /// The range a number must lie in, or nil.
    public let bounds: Bounds?
    /// The words a choice allows, or nil.
    public let choices: [String]?
    /// The default as written in YAML (or said in words), or nil when the key is required.
    public let defaultValue: String?
    /// The default as a spec would write it, nil when it is said in words or the key is required.
    public let writtenDefault: String?
    public let summary: String

    /// The allowed values: a range ("≥ 0", "in [0, 1)") or the words of a choice ("fan_in | fan_out").
    public var allowed: String? { bounds?.text ?? choices?.joined(separator: " | ") }

    /// "number ≥ 0", "integer in [200, 8000]", "fan_in | fan_out", "boolean".
    public var valueText: String {
        guard let allowed else { return type }
        return type == "string" ? allowed : "\(type) \(allowed)"
    }
}

/// The range a number must lie in, with the words its error uses. Integers use it too (their
/// bounds are small integers, exact as doubles).
public struct Bounds: Sendable, Equatable {
    public let lower: Double?
    public let lowerIncluded: Bool
    public let upper: Double?
    public let upperIncluded: Bool

    public init(lower: Double?, included lowerIncluded: Bool = true, upper: Double? = nil, included upperIncluded: Bool = true) {
        self.lower = lower
        self.lowerIncluded = lowerIncluded
        self.upper = upper
        self.upperIncluded = upperIncluded
    }

    /// x ≥ low
    public static func atLeast(_ low: Double) -> Bounds { Bounds(lower: low) }
    /// x > low
    public static func greaterThan(_ low: Double) -> Bounds { Bounds(lower: low, included: false) }
    /// x > 0
    public static let positive = greaterThan(0)
    /// x ≥ 0
    public static let nonNegative = atLeast(0)
    /// [low, high]
    public static func between(_ low: Double, _ high: Double) -> Bounds { Bounds(lower: low, upper: high) }
    /// [low, high): decay rates such as Adam's β, where high is excluded.
    public static func from(_ low: Double, below high: Double) -> Bounds {
        Bounds(lower: low, included: true, upper: high, included: false)
    }
    /// (low, high)
    public static func strictlyBetween(_ low: Double, _ high: Double) -> Bounds {
        Bounds(lower: low, included: false, upper: high, included: false)
    }

    public func contains(_ x: Double) -> Bool {
        if let lower, lowerIncluded ? x < lower : x <= lower { return false }
        if let upper, upperIncluded ? x > upper : x >= upper { return false }
        return true
    }

    /// For the catalogue: "≥ 0", "> 0", "≤ 8000", "in [0, 1)", "in [200, 8000]".
    public var text: String {
        switch (lower, upper) {
        case (let low?, nil): return (lowerIncluded ? "≥ " : "> ") + Self.format(low)
        case (nil, let high?): return (upperIncluded ? "≤ " : "< ") + Self.format(high)
        case (let low?, let high?):
            return "in \(lowerIncluded ? "[" : "(")\(Self.format(low)), \(Self.format(high))\(upperIncluded ? "]" : ")")"
        case (nil, nil): return "any"
        }
    }

    /// The error's words when `x` lies outside: "must be greater than 0", "must be between 0 and 1".
    public func problem(_ x: Double) -> String? {
        guard !contains(x) else { return nil }
        let low = lower.map(Self.format) ?? "", high = upper.map(Self.format) ?? ""
        switch (lower != nil, upper != nil, lowerIncluded, upperIncluded) {
        case (true, false, true, _): return lower == 0 ? "must be 0 or greater" : "must be at least \(low)"
        case (true, false, false, _): return "must be greater than \(low)"
        case (false, true, _, true): return "must be at most \(high)"
        case (false, true, _, false): return "must be less than \(high)"
        case (true, true, true, true): return "must be between \(low) and \(high)"
        case (true, true, false, false): return "must be strictly between \(low) and \(high)"
        case (true, true, true, false): return "must be at least \(low) and less than \(high)"
        default: return "must be greater than \(low) and at most \(high)"
        }
    }

    /// 0, 1e-08 → "0", "1e-8": integers without a fraction, exponents without leading zeros.
    static func format(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        let text = String(x)
        guard let e = text.firstIndex(of: "e") else { return text }
        var exponent = String(text[text.index(after: e)...])
        let sign = exponent.hasPrefix("-") ? "-" : ""
        exponent = String(exponent.drop { $0 == "-" || $0 == "+" || $0 == "0" })
        return String(text[..<e]) + "e" + sign + exponent
    }
}

/// A type a parameter's value can have: how it reads from a node and how the catalogue writes it.
public protocol ParameterValue: Sendable {
    /// "number", "integer", "boolean", "string".
    static var typeName: String { get }
    /// The words a choice allows (an enum's raw values); nil for anything else.
    static var choices: [String]? { get }
    static func decode(_ node: SpecNode, key: String) throws -> Self
    /// The value as a spec writes it ("0.01", "true", "fan_in").
    var specText: String { get }
    /// The value as a number, for range checks; nil when it is not one.
    var numericValue: Double? { get }
}

extension ParameterValue {
    public static var choices: [String]? { nil }
    public var numericValue: Double? { nil }
}

extension Double: ParameterValue {
    public static var typeName: String { "number" }
    public static func decode(_ node: SpecNode, key: String) throws -> Double { try node.double(key) }
    public var specText: String { Bounds.format(self) }
    public var numericValue: Double? { self }
}

extension Int: ParameterValue {
    public static var typeName: String { "integer" }
    public static func decode(_ node: SpecNode, key: String) throws -> Int { try node.int(key) }
    public var specText: String { String(self) }
    public var numericValue: Double? { Double(self) }
}

extension Bool: ParameterValue {
    public static var typeName: String { "boolean" }
    public static func decode(_ node: SpecNode, key: String) throws -> Bool { try node.bool(key) }
    public var specText: String { String(self) }
}

extension String: ParameterValue {
    public static var typeName: String { "string" }
    public static func decode(_ node: SpecNode, key: String) throws -> String { try node.string(key) }
    public var specText: String { self }
}

/// A key whose shape its plugin reads itself (rows, columns, a file pair): the node as written.
extension SpecNode: ParameterValue {
    public static var typeName: String { "value" }
    public static func decode(_ node: SpecNode, key: String) throws -> SpecNode { node }
    public var specText: String { scalarText }
}

/// An optional key: absent means something its declaration says in words (`shown:`).
extension Optional: ParameterValue where Wrapped: ParameterValue {
    public static var typeName: String { Wrapped.typeName }
    public static var choices: [String]? { Wrapped.choices }
    public static func decode(_ node: SpecNode, key: String) throws -> Wrapped? { try Wrapped.decode(node, key: key) }
    public var specText: String { self?.specText ?? "none" }
    public var numericValue: Double? { self?.numericValue }
}

/// An enum of words (`mode: fan_in`): its cases are the choices, in declaration order.
public protocol ParameterChoice: ParameterValue, RawRepresentable<String>, CaseIterable {}

extension ParameterChoice {
    public static var typeName: String { "string" }
    public static var choices: [String]? { allCases.map(\.rawValue) }
    public static func decode(_ node: SpecNode, key: String) throws -> Self {
        let word = try node.string(key)
        // PluginArguments checks the word against `choices` first, with "did you mean".
        guard let value = Self(rawValue: word) else { throw node.error("'\(key)' cannot be '\(word)'") }
        return value
    }
    public var specText: String { rawValue }
}

/// Anything `StageDescription.parameters` lists: a `Parameter` of any value type.
public protocol ParameterDeclaration: Sendable {
    var parameterDescription: ParameterDescription { get }
}

/// One key of a plugin, declared once: its name, type, default, allowed values and summary. The
/// builder reads the key through it (`arguments.read(Self.alpha)`) and `bp-pipeline plugins`
/// prints it, so the two cannot disagree (swift-argument-parser's `@Option` does the same for
/// parsing and help).
public struct Parameter<Value: ParameterValue>: ParameterDeclaration {
    public let name: String
    public let summary: String
    /// nil when the key is required.
    public let defaultValue: Value?
    /// The default in words when the value alone does not say it ("the spec's name"); for an
    /// optional key its meaning when absent.
    public let shownDefault: String?
    public let bounds: Bounds?
    public let choices: [String]?
    public let type: String

    init(name: String, summary: String, defaultValue: Value?, shownDefault: String?, bounds: Bounds?,
         choices: [String]?, type: String?) {
        self.name = name
        self.summary = summary
        self.defaultValue = defaultValue
        self.shownDefault = shownDefault
        self.bounds = bounds
        self.choices = choices ?? Value.choices
        self.type = type ?? Value.typeName
    }

    /// A key with a default: `Parameter("alpha", default: 0.01, range: .nonNegative, "slope for x ≤ 0")`.
    public init(_ name: String, default defaultValue: Value, range bounds: Bounds? = nil, choices: [String]? = nil,
                shown: String? = nil, type: String? = nil, _ summary: String) {
        self.init(name: name, summary: summary, defaultValue: defaultValue, shownDefault: shown, bounds: bounds,
                  choices: choices, type: type)
    }

    /// A key the spec must give.
    public static func required(_ name: String, range bounds: Bounds? = nil, choices: [String]? = nil,
                                type: String? = nil, _ summary: String) -> Parameter {
        Parameter(name: name, summary: summary, defaultValue: nil, shownDefault: nil, bounds: bounds,
                  choices: choices, type: type)
    }

    public var parameterDescription: ParameterDescription {
        ParameterDescription(name: name, type: type, bounds: bounds, choices: choices,
                             defaultValue: shownDefault ?? defaultValue?.specText,
                             writtenDefault: shownDefault == nil ? defaultValue?.specText : nil, summary: summary)
    }
}

extension Parameter where Value: ExpressibleByNilLiteral {
    /// An optional key: absent reads as nil, which `shown` describes ("the spec's name").
    public static func optional(_ name: String, shown: String, range bounds: Bounds? = nil, choices: [String]? = nil,
                                type: String? = nil, _ summary: String) -> Parameter {
        Parameter(name: name, summary: summary, defaultValue: .some(nil), shownDefault: shown, bounds: bounds,
                  choices: choices, type: type)
    }
}

/// What a plugin is: its `type:` name, what it does, what it reads, and an example.
public struct StageDescription: Sendable {
    public let name: String
    public let aliases: [String]
    public let summary: String
    public let parameters: [ParameterDescription]
    /// A YAML fragment that uses the plugin, as it would appear in a spec.
    public let example: String

    public init(name: String, aliases: [String] = [], summary: String,
                parameters: [any ParameterDeclaration] = [], example: String) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.parameters = parameters.map(\.parameterDescription)
        self.example = example
    }
}

/// Where a spec lives and what it seeds, for plugins that resolve paths or draw random numbers.
public struct SpecContext: Sendable {
    /// The folder relative paths in the spec are resolved against.
    public let directory: String
    public let seed: UInt64

    public init(directory: String, seed: UInt64) {
        self.directory = directory
        self.seed = seed
    }

    /// `path` as given when absolute, else relative to the spec's folder.
    public func resolve(_ path: String) -> String {
        PathTools.join(directory, path)
    }
}
