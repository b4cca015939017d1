import BackpropCore

/// Every plugin bp-pipeline knows, by stage kind. Adding a plugin is one entry in its family's
/// list (Plugins/*.swift for the maths-backed kinds; Data/ and Outputs/ hold one type per file).
public enum Registry {
    /// One line per plugin and a header per family, for `bp-pipeline plugins`.
    public static func catalogue() -> [(kind: StageKind, noun: String, plugins: [StageDescription])] {
        [
            (.data, data.noun, data.plugins.map { $0.description }),
            (.activation, activations.noun, activations.plugins.map { $0.description }),
            (.loss, losses.noun, losses.plugins.map { $0.description }),
            (.initializer, initializers.noun, initializers.plugins.map { $0.description }),
            (.learningRate, schedules.noun, schedules.plugins.map { $0.description }),
            (.optimizer, optimizers.noun, optimizers.plugins.map { $0.description }),
            (.output, outputs.noun, outputs.plugins.map { $0.description }),
        ]
    }
}
