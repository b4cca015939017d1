import BackpropCore
import PipelineSpec
import Render

/// `bp-pipeline evaluate`: a trained model measured on labelled data, with the same functions a
/// training run measures its parts with (so the confusion matrix of the same rows is the run's).
///
/// The data is held in memory (bounded by --max-memory, as in training): a CSV file with the
/// model's feature columns and its label column (classification) or target columns (regression),
/// by name, or an IDX image file with `labels` (an IDX label file).
public struct Evaluation {
    /// What to read and where the labels are.
    public struct Request {
        public var modelPath: String
        public var dataPath: String
        /// IDX: the label file.
        public var labelsPath: String?
        /// CSV classification: the class column (default: the model's `label`).
        public var label: String?
        /// CSV regression: the target columns (default: the model's `targets`).
        public var targets: [String]?
        public var format: String
        /// --scale: nil uses the model's `input_scale` (TrainedModel.inputScaling).
        public var scale: Double?
        public var maximumMemory: Int

        public init(modelPath: String, dataPath: String, labelsPath: String? = nil, label: String? = nil, targets: [String]? = nil,
                    format: String = "auto", scale: Double? = nil, maximumMemory: Int = MemoryEstimate.defaultLimit) {
            self.modelPath = modelPath
            self.dataPath = dataPath
            self.labelsPath = labelsPath
            self.label = label
            self.targets = targets
            self.format = format
            self.scale = scale
            self.maximumMemory = maximumMemory
        }
    }

    public let model: TrainedModel
    /// The samples, inputs normalised as the model expects; targets one-hot (classification),
    /// one 0/1 column (binary) or the target values (regression).
    public let dataset: Dataset
    public let evaluation: PartEvaluation
    let request: Request

    /// Loads the model and the data and measures the model on it.
    public init(_ request: Request) throws {
        self.request = request
        model = try TrainedModel.load(path: request.modelPath)
        var data = try Self.read(request, model: model)
        model.normalization?.apply(to: &data)
        dataset = data
        let network = model.network()
        let classes = model.classes.map { LearningTask.classification(classes: $0) } ?? .regression
        let loaded = LoadedData(training: data, task: classes, featureNames: model.features, source: request.dataPath)
        // A format 1 model does not name its loss: its figures are measured with a stand-in and
        // the loss is left out of metrics.json.
        evaluation = RunReport.evaluate(data, part: "data", network: network, data: loaded, loss: model.loss ?? MeanSquaredError())
    }

    /// metrics.json: what was measured, on what.
    public var json: JSON {
        var members: [(String, JSON)] = [
            ("model", .string(request.modelPath)),
            ("data", .string(request.dataPath)),
            ("task", .string(model.task.rawValue)),
            ("samples", .integer(evaluation.samples)),
        ]
        if let loss = model.loss {
            members.append(("loss", .number(evaluation.loss)))
            members.append(("loss_function", .string(loss.name)))
        }
        if let accuracy = evaluation.accuracy { members.append(("accuracy", .number(accuracy))) }
        if let classes = model.classes, let confusion = evaluation.confusion {
            members.append(("classes", .array(classes.map(JSON.string))))
            members.append(("confusion_matrix", .array(confusion.map { .array($0.map(JSON.integer)) })))
        }
        if let regression = evaluation.regression {
            for name in RegressionMetrics.names { members.append((name, .optional(regression.value(name)))) }
            members.append(("targets", .array(targetNames.map(JSON.string))))
            members.append(("r2_per_target", .array(regression.r2PerTarget.map(JSON.optional))))
        }
        return .object(members)
    }

    var targetNames: [String] { request.targets ?? model.targets ?? TrainedModel.defaultTargetNames(model.outputCount) }

    /// The chart that fits the task: `confusion_matrix.png` or `predictions.png`.
    public var chart: (file: String, image: RasterImage) {
        let title = "\(PathTools.lastComponent(of: request.modelPath)) on \(PathTools.lastComponent(of: request.dataPath))"
        if let classes = model.classes {
            let chart = ConfusionMatrixChart(title: title, classNames: classes, counts: evaluation.confusion ?? [])
            return ("confusion_matrix.png", chart.render(width: 1000, height: 800))
        }
        let chart = PredictionsOutput.chart(title: title, names: targetNames, dataset: dataset, network: model.network(), part: "evaluated")
        return ("predictions.png", chart.render(width: 1000, height: 560))
    }

    /// Writes metrics.json and the chart into `folder` through the output-folder policy (a folder
    /// that holds anything bp-pipeline did not write there is never replaced).
    public func write(to folder: String) throws {
        let chart = chart
        let staging = try OutputFolder.stage(for: folder, runFiles: ["metrics.json", chart.file])
        do {
            try staging.writeFile("metrics.json", Array(json.serialized().utf8))
            let path = staging.path + "/" + chart.file
            do {
                try PNG.write(chart.image, to: path, text: [("Software", "bp-pipeline \(Engine.version)"),
                                                             ("Source", PathTools.lastComponent(of: request.modelPath))])
            } catch let error as RenderError {
                throw PipelineError.output("cannot write the chart: \(error.message)", path: folder + "/" + chart.file)
            }
            try staging.commit()
        } catch {
            staging.discard()
            throw error
        }
    }

    // MARK: Reading labelled data

    static func read(_ request: Request, model: TrainedModel) throws -> Dataset {
        guard let format = ModelInput.Format(rawValue: request.format) else {
            throw PipelineError(.usage, "bp-pipeline: error: --format must be auto, csv or idx, found '\(request.format)'")
        }
        let scaling = try model.inputScaling(requested: request.scale)
        var dataset: Dataset
        if try ModelInput.isIDX(path: request.dataPath, format: format) {
            dataset = try readIDX(request, model: model, scale: scaling.idx)
        } else {
            dataset = try readCSV(request, model: model)
            if let scale = scaling.csv {
                // The data stage's division, x / scale, before the normalisation.
                for i in dataset.inputs.storage.indices { dataset.inputs.storage[i] /= scale }
            }
        }
        if model.task == .binary {
            // One 0/1 target column: class 1 is output ≥ 0.5, as the model was trained.
            dataset.targets = Matrix(rows: dataset.count, columns: 1, storage: (0..<dataset.count).map { dataset.targets[$0, 1] })
        }
        return dataset
    }

    private static func readCSV(_ request: Request, model: TrainedModel) throws -> Dataset {
        if request.labelsPath != nil {
            throw PipelineError(.usage, "bp-pipeline: error: --labels is for IDX images; \(request.dataPath) is read as CSV, whose labels are a column (--label)")
        }
        var fixed = CSVTable(dataset: Dataset(inputs: Matrix(rows: 0, columns: model.inputs), targets: Matrix(rows: 0, columns: model.outputCount)),
                             classes: nil, featureNames: model.features, targetNames: [], labelName: nil,
                             featureColumns: model.features.map { .name($0) }, labelColumn: nil, targetColumns: [])
        if let classes = model.classes {
            guard let label = request.label ?? model.label else {
                throw PipelineError(.usage, "\(request.modelPath): error: the model does not name its label column (it was written before format 2, or trained on a file without a header); give --label COLUMN")
            }
            fixed.classes = classes
            fixed.labelColumn = .name(label)
            fixed.classOrigin = "the model"
        } else {
            guard let targets = request.targets ?? model.targets else {
                throw PipelineError(.usage, "\(request.modelPath): error: the model does not name its target columns (it was written before format 2); give --targets A,B,...")
            }
            guard targets.count == model.outputCount else {
                throw PipelineError(.usage, "bp-pipeline: error: --targets names \(targets.count) column\(targets.count == 1 ? "" : "s") but the model has \(model.outputCount) output\(model.outputCount == 1 ? "" : "s")")
            }
            fixed.targetColumns = targets.map { .name($0) }
        }
        let plan = try CSVData(Self.planArguments(path: request.dataPath, regression: model.classes == nil))
        let budget = request.maximumMemory
        return try CSVTable.read(request.dataPath, plan: plan, fixed: fixed, maximumBytes: budget,
                                 budget: MemoryEstimate.format(budget)).dataset
    }

    /// The arguments of a plain `{type: csv, path: PATH}` data stage (with `task: regression`
    /// for a regression model): comma-separated, with a header, missing values refused. The
    /// columns come from the model (the `fixed` table), not from these.
    private static func planArguments(path: String, regression: Bool) -> PluginArguments {
        let source = SourceFile(path: "evaluate", text: "", kind: .commandLine)
        let location = SourceLocation(source: source, line: 1, column: 1)
        func scalar(_ text: String, plain: Bool) -> SpecNode { SpecNode(.scalar(text, plain: plain), at: location) }
        var entries = [(key: scalar("type", plain: true), value: scalar("csv", plain: true)),
                       (key: scalar("path", plain: true), value: scalar(path, plain: false))]
        if regression {
            entries += [(scalar("task", plain: true), scalar("regression", plain: true)),
                        (scalar("targets", plain: true), scalar("0", plain: true))]
        }
        let node = SpecNode(.mapping(entries), at: location)
        return PluginArguments(node: node, pluginName: "csv", context: SpecContext(directory: ".", seed: 0),
                               reader: try? MappingReader(node, "data"))
    }

    private static func readIDX(_ request: Request, model: TrainedModel, scale: Double) throws -> Dataset {
        guard let labelsPath = request.labelsPath else {
            throw PipelineError(.usage, "bp-pipeline: error: \(request.dataPath) is IDX images; give their labels with --labels FILE")
        }
        guard let classes = model.classes else {
            throw PipelineError.data("the model is a regression model, and IDX data has class labels", path: request.modelPath)
        }
        let imageFile = try DataFile(path: request.dataPath, maximumBytes: request.maximumMemory)
        let imageDims = try IDXReader.header(imageFile, expectedDimensions: nil)
        let width = imageDims.dropFirst().reduce(1, *)
        guard imageDims.count >= 2, width == model.inputs else {
            throw PipelineError.data("the images are \(IDXReader.describe(Array(imageDims.dropFirst()))) = \(width) inputs but the model has \(model.inputs) input\(model.inputs == 1 ? "" : "s")",
                                     path: request.dataPath)
        }
        let labelFile = try DataFile(path: labelsPath, maximumBytes: request.maximumMemory)
        let labelDims = try IDXReader.header(labelFile, expectedDimensions: 1)
        guard imageDims[0] == labelDims[0] else {
            throw PipelineError.data("has \(labelDims[0]) labels but \(request.dataPath) has \(imageDims[0]) images", path: labelsPath)
        }
        let count = imageDims[0]
        // The images stay bytes (decoded a chunk at a time); the one-hot targets are float64.
        let bytes = MemoryEstimate.multiply(count, width) + MemoryEstimate.multiply(MemoryEstimate.multiply(count, classes.count), 8)
        guard bytes <= request.maximumMemory else {
            throw PipelineError.data("\(grouped(count)) images of \(width) inputs with \(classes.count) classes one-hot take \(MemoryEstimate.format(bytes)), more than --max-memory (\(MemoryEstimate.format(request.maximumMemory)))",
                                     path: request.dataPath)
        }
        let pixels = try IDXReader.bytes(imageFile, dimensions: imageDims, reading: count * width)
        let labels = try IDXReader.bytes(labelFile, dimensions: labelDims, reading: count)
        var targets = Matrix(rows: count, columns: classes.count)
        for (i, label) in labels.enumerated() {
            guard Int(label) < classes.count else {
                throw PipelineError.data("label \(label) of sample \(i + 1) is out of range: the model has \(classes.count) classes (0 to \(classes.count - 1))",
                                         path: labelsPath)
            }
            targets[i, Int(label)] = 1
        }
        return Dataset(bytes: ByteInputs(rows: count, columns: width, bytes: pixels, divisor: scale), targets: targets)
    }
}
