import BackpropCore

/// Classification (targets one-hot over named classes) or regression (targets are values).
public enum LearningTask: Sendable, Equatable {
    case classification(classes: [String])
    case regression

    public var classNames: [String]? {
        if case .classification(let classes) = self { return classes }
        return nil
    }
}

/// What a data stage hands the engine: samples stored once, split into parts.
public struct LoadedData: Sendable {
    public var training: Dataset
    public var validation: Dataset?
    public var test: Dataset?
    public var task: LearningTask
    /// One name per input column (for charts and metrics).
    public var featureNames: [String]
    /// Where the samples came from, for the run summary: "inline", a file path, ...
    public var source: String
    /// The input scaling fitted on the training part and already applied to every part; nil when
    /// the inputs are used as read. `model.json` saves it so new raw data can be scaled the same way.
    public var normalization: Normalization?
    /// What every raw input was divided by before the normalisation (idx: `scale`); nil when the
    /// inputs are the file's numbers. model.json saves it as `input_scale`, so predict and
    /// evaluate scale new raw data the same way without being told.
    public var inputScale: Double?
    /// Regression: one name per target column (empty when the data does not name them); model.json saves them.
    public var targetNames: [String] = []
    /// Classification from a file with a header: the class column's name; model.json saves it so
    /// `evaluate` finds the labels of new data.
    public var labelName: String?

    public init(training: Dataset, validation: Dataset? = nil, test: Dataset? = nil,
                task: LearningTask, featureNames: [String], source: String) {
        self.training = training
        self.validation = validation
        self.test = test
        self.task = task
        self.featureNames = featureNames
        self.source = source
        self.normalization = nil
        self.inputScale = nil
    }
}

/// A data stage: reads its keys when built, loads the samples when asked.
///
/// Loading is separate from construction so `validate` can check a spec's keys first and the
/// data afterwards, and so errors in data files (exit 65/66) differ from errors in the spec (64).
public protocol DataStage: Sendable {
    func load(_ request: DataRequest) throws -> LoadedData
}

/// What the rest of the spec asks of a data stage when it loads.
public struct DataRequest: Sendable {
    /// `training.validation`: hold out this fraction, exactly as the data's own `validation`
    /// key would (split before normalisation, so the statistics see the training part only).
    public var validationFraction: Double?
    /// `--max-memory` in bytes: readers refuse data that would not fit in it as float64 samples,
    /// and streams (gzip, pipes) that decode to more text than that, with exit 65 and the place.
    public var maximumMemory: Int

    /// A whole-network `network.init: {type: from_model}` start: the model's normalisation is
    /// applied instead of one fitted on the new data, when the data has the model's features (the
    /// loaded weights then see inputs scaled as in their training). nil: fit as usual.
    public var startingModel: StartingModel?

    public init(validationFraction: Double? = nil, maximumMemory: Int = MemoryEstimate.defaultLimit,
                startingModel: StartingModel? = nil) {
        self.validationFraction = validationFraction
        self.maximumMemory = maximumMemory
        self.startingModel = startingModel
    }
}

/// What a data stage keeps of the model a whole network starts from.
public struct StartingModel: Sendable {
    /// The model's path as the spec writes it, for messages.
    public var file: String
    public var features: [String]
    /// nil: the model was trained on inputs as read.
    public var normalization: Normalization?
    /// The model's `input_scale` (what its idx data divided pixels by).
    public var inputScale: Double?

    public init(file: String, features: [String], normalization: Normalization?, inputScale: Double? = nil) {
        self.file = file
        self.features = features
        self.normalization = normalization
        self.inputScale = inputScale
    }
}

extension DataStage {
    public func load() throws -> LoadedData { try load(DataRequest()) }
}

extension Registry {
    public static let data = PluginFamily<any DataStage>(.data, noun: "data source", [
        Plugin(InlineData.self),
        Plugin(CSVData.self),
        Plugin(IDXData.self),
        Plugin(SyntheticData.self),
    ])
}
