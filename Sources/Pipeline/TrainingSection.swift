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
    /// `training.early_stopping`.
    public let earlyStopping: EarlyStopping?
    /// `training.clip_grad_norm`.
    public let clipGradientNorm: Double?
    /// `training.regularization`.
    public let regularization: Regularization
    /// `training.checkpoint_every`: write a checkpoint every N epochs (nil: only when interrupted).
    public var checkpointEvery: Int? = nil
    /// `training.precision`: float64 (default) or float32.
    public var precision: Precision = .float64

    /// The core's options for this section; `task` decides whether accuracy is measured.
    public func options(for task: LearningTask) -> TrainingOptions {
        TrainingOptions(epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                        measureAccuracy: task.classNames != nil, earlyStopping: earlyStopping,
                        clipGradientNorm: clipGradientNorm, regularization: regularization)
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
        // Plain gradient descent, the seed's update, when the spec names no optimizer.
        var (optimizer, optimizerName): (any Optimizer, String) = (SGD(), "sgd")
        if let optimizerNode = reader.optional("optimizer"), !optimizerNode.isNull {
            (optimizer, optimizerName) = try Registry.optimizers.make(from: optimizerNode, context: context)
        }
        var earlyStopping: EarlyStopping?
        if let node = reader.optional("early_stopping"), !node.isNull {
            earlyStopping = try decodeEarlyStopping(node)
        }
        var clipGradientNorm: Double?
        if let node = reader.optional("clip_grad_norm"), !node.isNull {
            let value = try node.double("clip_grad_norm")
            guard value > 0 else { throw SpecError("'clip_grad_norm' must be greater than 0, found \(node.scalarText)", at: node.location) }
            clipGradientNorm = value
        }
        var regularization = Regularization()
        if let node = reader.optional("regularization"), !node.isNull {
            let penalties = try MappingReader(node, "regularization")
            for key in ["l1", "l2"] {
                guard let value = penalties.optional(key), !value.isNull else { continue }
                let x = try value.double(key)
                guard x >= 0 else { throw SpecError("'\(key)' must be 0 or greater, found \(value.scalarText)", at: value.location) }
                if key == "l1" { regularization.l1 = x } else { regularization.l2 = x }
            }
            try penalties.finish()
        }
        var checkpointEvery: Int?
        if let node = reader.optional("checkpoint_every"), !node.isNull {
            let every = try node.int("checkpoint_every")
            guard every >= 1 else { throw SpecError("'checkpoint_every' must be at least 1, found \(every)", at: node.location) }
            checkpointEvery = every
        }
        let precision = try decodePrecision(reader.optional("precision"))
        try reader.finish()
        return TrainingDefinition(epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                                  optimizer: optimizer, optimizerName: optimizerName,
                                  validationFraction: validationFraction, earlyStopping: earlyStopping,
                                  clipGradientNorm: clipGradientNorm, regularization: regularization,
                                  checkpointEvery: checkpointEvery, precision: precision)
    }

    /// `precision: float64|float32` (absent or null: float64).
    static func decodePrecision(_ node: SpecNode?) throws -> Precision {
        guard let node, !node.isNull else { return .float64 }
        let word = try node.string("precision")
        guard let precision = Precision(rawValue: word) else {
            var message = "'precision' must be one of 'float64', 'float32', found '\(word)'"
            if let hint = didYouMean(word, among: Precision.allCases.map(\.rawValue)) { message += "; \(hint)" }
            throw SpecError(message, at: node.location)
        }
        return precision
    }

    /// `early_stopping: {monitor: val_loss|loss, patience: 10, min_delta: 0, restore_best: false}`.
    static func decodeEarlyStopping(_ node: SpecNode) throws -> EarlyStopping {
        let reader = try MappingReader(node, "early_stopping")
        var stopping = EarlyStopping()
        if let value = reader.optional("monitor"), !value.isNull {
            let word = try value.string("monitor")
            guard let monitor = Monitor(rawValue: word) else {
                var message = "'monitor' must be one of 'val_loss', 'loss', found '\(word)'"
                if let hint = didYouMean(word, among: Monitor.allCases.map(\.rawValue)) { message += "; \(hint)" }
                throw SpecError(message, at: value.location)
            }
            stopping.monitor = monitor
        }
        if let value = reader.optional("patience"), !value.isNull {
            stopping.patience = try value.int("patience")
            guard stopping.patience >= 1 else { throw SpecError("'patience' must be at least 1, found \(stopping.patience)", at: value.location) }
        }
        if let value = reader.optional("min_delta"), !value.isNull {
            stopping.minDelta = try value.double("min_delta")
            guard stopping.minDelta >= 0 else { throw SpecError("'min_delta' must be 0 or greater, found \(value.scalarText)", at: value.location) }
        }
        if let value = reader.optional("restore_best"), !value.isNull {
            stopping.restoreBest = try value.bool("restore_best")
        }
        try reader.finish()
        return stopping
    }
}

extension Precision: ParameterChoice {}
