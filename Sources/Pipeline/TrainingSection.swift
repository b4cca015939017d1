import BackpropCore
import PipelineSpec

/// `training:`: how long and in what batches, and the optimizer.
public struct TrainingDefinition {
    public let epochs: Int
    /// nil = `full`.
    public let batchSize: Int?
    public let shuffle: Bool
    public let optimizer: any Optimizer
    public let optimizerName: String
    /// `training.validation`: a fraction of the training data held out (seeded, stratified for classification).
    public let validationFraction: Double?

    /// The core's options for this section; `task` decides whether accuracy is measured.
    public func options(for task: LearningTask) -> TrainingOptions {
        TrainingOptions(epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                        measureAccuracy: task.classNames != nil)
    }
}

extension PipelineDefinition {
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
        var validationFraction: Double?
        if let node = reader.optional("validation"), !node.isNull {
            let fraction = try node.double("validation")
            guard fraction > 0 && fraction < 1 else {
                throw SpecError("'validation' must be a fraction strictly between 0 and 1, found \(node.scalarText)", at: node.location)
            }
            validationFraction = fraction
        }
        let optimizerNode = try reader.required("optimizer")
        let (optimizer, optimizerName) = try Registry.optimizers.make(from: optimizerNode, context: context)
        try reader.finish()
        return TrainingDefinition(epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                                  optimizer: optimizer, optimizerName: optimizerName,
                                  validationFraction: validationFraction)
    }
}
