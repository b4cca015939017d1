import BackpropCore

/// Optimizer plugins (`training.optimizer`).
extension Registry {
    public static let optimizers = PluginFamily<any Optimizer>(.optimizer, noun: "optimizer", [
        Plugin(StageDescription(
            name: "sgd", summary: "w ← w − η·g",
            example: "optimizer:\n  type: sgd")) { _ in SGD() },
    ])
}
