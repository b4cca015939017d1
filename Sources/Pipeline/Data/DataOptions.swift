import BackpropCore
import PipelineSpec

/// The keys every data plugin reads, in one place: `normalize`, `validation` and `test`.
///
/// `test` is read here as a node only; its shape belongs to the plugin (a file for `csv`,
/// `{images, labels}` for `idx`, `{inputs, targets}` for `inline`, a sample count for `synthetic`).
/// After a plugin has read its samples, `assemble` makes the parts every plugin hands the engine:
/// split → impute → fit normalisation on the training part → apply it to every part.
struct DataOptions: Sendable {
    static let normalize = Parameter("normalize", default: Normalization.Method.none,
                                     "standardize (mean 0, σ 1) or minmax ([0, 1]); fitted on the training part only (a whole network from_model keeps the model's), saved in model.json")
    static let validation = Parameter<Double?>.optional("validation", shown: "none", range: .strictlyBetween(0, 1),
                                                        "fraction of the samples held out for validation (seeded; stratified for classification)")

    /// A plugin's `test` key; its shape (`type`) is the plugin's.
    static func test(_ type: String) -> Parameter<SpecNode?> {
        .optional("test", shown: "none", type: type, "a separate test part, evaluated after training (test_loss, test_accuracy)")
    }

    /// The rows `bp-pipeline plugins` lists for these keys, after each plugin's own.
    static func parameters(test: Parameter<SpecNode?>) -> [any ParameterDeclaration] {
        [normalize, validation, test]
    }

    /// The seeded split uses the same stream as `training.validation`, so either key holds out the same samples.
    static let splitSeedMix: UInt64 = 0x5EED_5E11_7000_0001

    let normalize: Normalization.Method
    /// The `normalize` key, or the data mapping when it is not written: where a method that
    /// contradicts the starting model's is reported.
    let normalizeLocation: SourceLocation
    let validation: Double?
    /// The `test` value as written, for the plugin to read.
    let testNode: SpecNode?
    let seed: UInt64

    init(_ arguments: PluginArguments, test: Parameter<SpecNode?>) throws {
        normalize = try arguments.read(Self.normalize)
        normalizeLocation = (arguments.optional("normalize") ?? arguments.node).location
        validation = try arguments.read(Self.validation)
        testNode = try arguments.read(test)
        seed = arguments.context.seed
    }

    /// The parts the engine trains on, from a plugin's samples.
    ///
    /// - `imputeMissing`: NaN inputs (CSV `missing: mean`) become the training part's column
    ///   mean, in every part; without it the plugins never produce NaN.
    /// - `source`: the file or description named in errors and the run summary.
    ///
    /// The samples are consumed (moved, not copied) so scaling them in place does not duplicate them.
    func assemble(_ request: DataRequest, training samples: consuming Dataset, test: consuming Dataset?, task: LearningTask, featureNames: [String],
                  source: String, imputeMissing: Bool = false) throws -> LoadedData {
        var training = samples
        var validation: Dataset?
        if let fraction = self.validation ?? request.validationFraction {
            guard training.count >= 2 else {
                throw PipelineError.data("validation needs at least 2 samples, the data has \(training.count)", path: source)
            }
            var splitter = SeededGenerator(seed: seed ^ Self.splitSeedMix)
            let classes = task.classNames != nil ? training.classIndices : nil
            (training, validation) = training.split(holdingOut: fraction, classes: classes, using: &splitter)
        }
        var testPart = test
        if imputeMissing {
            let means = try Self.columnMeans(of: training.inputs, names: featureNames, source: source)
            Self.fillMissing(&training.inputs, with: means)
            Self.transform(&validation) { Self.fillMissing(&$0, with: means) }
            Self.transform(&testPart) { Self.fillMissing(&$0, with: means) }
        }
        let normalization = try keptNormalization(request, featureNames: featureNames) ?? Normalization.fit(normalize, on: training)
        if let normalization {
            normalization.apply(to: &training)
            normalization.apply(to: &validation)
            normalization.apply(to: &testPart)
        }
        var loaded = LoadedData(training: training, validation: validation, test: testPart, task: task,
                                featureNames: featureNames, source: source)
        loaded.normalization = normalization
        return loaded
    }

    /// The starting model's normalisation, for a whole network started from a model with the
    /// same feature names: .some(its normalisation, nil when it had none), used instead of
    /// refitting, so the loaded weights see the new data scaled as their training data was. A
    /// `normalize` that names another method is a spec error (exit 64) rather than either choice
    /// made silently. Different feature names are new inputs: nil, and the spec's method is fitted.
    private func keptNormalization(_ request: DataRequest, featureNames: [String]) throws -> Normalization?? {
        guard let model = request.startingModel, model.features == featureNames else { return nil }
        let method = model.normalization?.method ?? .none
        guard method == normalize else {
            let trained = method == .none ? "was trained without normalisation" : "was trained with normalize: \(method.rawValue)"
            throw SpecError("normalize is \(normalize.rawValue) but \(model.file) (network.init from_model) \(trained); fine-tuning keeps the model's normalisation, so write normalize: \(method.rawValue)",
                            at: normalizeLocation)
        }
        return .some(model.normalization)
    }

    /// Changes the inputs of an optional part in place (taken out first, so the matrix stays
    /// uniquely referenced and is not copied).
    private static func transform(_ part: inout Dataset?, _ body: (inout Matrix) -> Void) {
        guard var taken = part else { return }
        part = nil
        body(&taken.inputs)
        part = taken
    }

    /// Mean of the non-NaN values of each column; a column with none is an error.
    static func columnMeans(of inputs: Matrix, names: [String], source: String) throws -> [Double] {
        var sums = [Double](repeating: 0, count: inputs.columns)
        var counts = [Int](repeating: 0, count: inputs.columns)
        for r in 0..<inputs.rows {
            for c in 0..<inputs.columns where !inputs[r, c].isNaN {
                sums[c] += inputs[r, c]
                counts[c] += 1
            }
        }
        for c in 0..<inputs.columns where counts[c] == 0 {
            throw PipelineError.data("column '\(names[c])' has no values in the training part, so 'missing: mean' has no mean to fill in",
                                     path: source)
        }
        return zip(sums, counts).map { $0 / Double($1) }
    }

    static func fillMissing(_ inputs: inout Matrix, with means: [Double]) {
        let width = means.count
        for i in 0..<inputs.storage.count where inputs.storage[i].isNaN {
            inputs.storage[i] = means[i % width]
        }
    }
}
