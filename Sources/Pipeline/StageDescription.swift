import PipelineSpec

/// The stage kinds a spec declares, each with its own registry family.
public enum StageKind: String, CaseIterable, Sendable {
    case data, activation, loss, initializer = "init", learningRate = "learning_rate", optimizer, output
}

/// One parameter a plugin reads from its mapping, for `bp-pipeline plugins` and the README.
public struct ParameterDescription: Sendable {
    public let name: String
    /// "number", "integer", "boolean", "string", "list", ...
    public let type: String
    /// The default as written in YAML, or nil when the key is required.
    public let defaultValue: String?
    public let summary: String

    public init(_ name: String, _ type: String, default defaultValue: String? = nil, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
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
                parameters: [ParameterDescription] = [], example: String) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.parameters = parameters
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
