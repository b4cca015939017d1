import BackpropCore
import PipelineSpec

/// A trained model as `model.json` holds it: everything needed to apply it to new raw data.
///
/// Format 2 (written by this version) has these top-level keys, in this order:
///
///     format         2
///     task           "classification" (one output unit per class), "binary" (one sigmoid-style
///                    unit, class 1 when its output is ≥ 0.5) or "regression"
///     inputs         the number of input columns
///     layers         per layer: units, activation, the activation's parameters as sibling keys
///                    (alpha: 0.1), weights[j][k] (from unit j of the layer below to unit k, the
///                    seed's orientation: net = x·W + b) and bias[k]
///     features       the input column names, in input order
///     classes        classification and binary: the class names, output unit k is class k
///     label          classification from a CSV file with a header: the class column's name
///     targets        regression: the target column names, output unit k is target k
///     input_scale    optional: the data stage divided every raw input by this number before the
///                    normalisation (the idx data's `scale`: pixel / input_scale); predict and
///                    evaluate divide new raw inputs (IDX pixels or CSV cells) by it too
///     normalization  optional: method, shift, scale; x' = (x − shift) / scale per input column
///     loss           the loss the network was trained with
///     precision      training.precision: float64 or float32 (the weights are float64 either way;
///                    a float32 run's are float32 values widened, which is exact)
///
/// Format 1 files (no `format` key) have only inputs, layers, features, normalization and classes;
/// they load with the task inferred (classification when `classes` exists and has one name per
/// output unit, binary for two classes and one unit, else regression), no loss and float64.
public struct TrainedModel: Sendable {
    /// The format this version writes; it reads this one and format 1.
    public static let currentFormat = 2
    /// A model file larger than this is refused (exit 65) before it is read: about 10 million
    /// parameters in shortest round-trip text (up to 24 bytes a number), several times the largest example.
    public static let maximumFileBytes = 256 << 20

    public enum Task: String, Sendable, CaseIterable {
        case classification, binary, regression
    }

    /// One dense layer: net = x·W + b, out = activation(net).
    public struct Layer: Sendable {
        public var activation: any Activation
        /// (inputs to the layer, units), weights[j][k] from unit j below to unit k.
        public var weights: Matrix
        /// units values.
        public var bias: [Double]
        public var units: Int { weights.columns }
    }

    public var format: Int
    public var task: Task
    public var inputs: Int
    public var layers: [Layer]
    public var features: [String]
    /// Classification and binary: class k is output unit k (binary: class 1 is output ≥ 0.5).
    public var classes: [String]?
    /// The class column of the training CSV file, when it had a header.
    public var label: String?
    /// Regression: target k is output unit k; nil in a format 1 file.
    public var targets: [String]?
    public var normalization: Normalization?
    /// nil in a format 1 file, which did not record it.
    public var loss: (any Loss)?
    public var precision: Precision
    /// What the data stage divided every raw input by before the normalisation (the idx data's
    /// `scale`); nil when the inputs were used as read (CSV, inline, synthetic) or in a file
    /// written before this key existed. Last, with a default, so it is the memberwise init's last argument.
    public var inputScale: Double? = nil

    public var outputCount: Int { layers[layers.count - 1].units }

    /// The network the model describes (a fresh one each call: a network keeps forward caches).
    public func network() -> Network {
        Network(inputCount: inputs, layers: layers.enumerated().map { index, layer in
            DenseLayer(index: index + 1, weights: layer.weights, bias: layer.bias, activation: layer.activation)
        })
    }

    /// "target" for one output, "target_1", "target_2", ... for several: regression data that
    /// does not name its targets (inline data).
    static func defaultTargetNames(_ count: Int) -> [String] {
        count == 1 ? ["target"] : (1...max(count, 1)).map { "target_\($0)" }
    }

    /// model.json's text (see the type's summary for the keys).
    public var json: JSON {
        var members: [(String, JSON)] = [
            ("format", .integer(format)),
            ("task", .string(task.rawValue)),
            ("inputs", .integer(inputs)),
            ("layers", .array(layers.map { layer in
                var members: [(String, JSON)] = [
                    ("units", .integer(layer.units)),
                    ("activation", .string(layer.activation.name)),
                ]
                for (key, value) in layer.activation.parameters.sorted(by: { $0.key < $1.key }) {
                    members.append((key, .number(value)))
                }
                members.append(("weights", .array(layer.weights.nested.map(JSON.numbers))))
                members.append(("bias", .numbers(layer.bias)))
                return .object(members)
            })),
            ("features", .array(features.map(JSON.string))),
        ]
        if let classes { members.append(("classes", .array(classes.map(JSON.string)))) }
        if let label { members.append(("label", .string(label))) }
        if let targets { members.append(("targets", .array(targets.map(JSON.string)))) }
        if let inputScale { members.append(("input_scale", .number(inputScale))) }
        if let normalization {
            members.append(("normalization", .object([
                ("method", .string(normalization.method.rawValue)),
                ("shift", .numbers(normalization.shift)),
                ("scale", .numbers(normalization.scale)),
            ])))
        }
        if let loss { members.append(("loss", .string(loss.name))) }
        members.append(("precision", .string(precision.rawValue)))
        return .object(members)
    }
}

extension TrainedModel {
    /// The model a finished run trained.
    public init(_ report: RunReport) {
        let network = report.network
        let data = report.data
        format = Self.currentFormat
        inputs = network.inputCount
        layers = network.layers.map { Layer(activation: $0.activation, weights: $0.weights.value, bias: $0.bias.value.storage) }
        features = data.featureNames
        switch data.task {
        case .classification(let names):
            task = network.outputCount == 1 ? .binary : .classification
            classes = names
            label = data.labelName
            targets = nil
        case .regression:
            task = .regression
            classes = nil
            label = nil
            targets = data.targetNames.count == network.outputCount ? data.targetNames : Self.defaultTargetNames(network.outputCount)
        }
        normalization = data.normalization
        inputScale = data.inputScale
        loss = report.definition.loss
        precision = report.definition.training.precision
    }
}

// MARK: Reading

extension TrainedModel {
    /// Reads a model file (format 1 or 2). A missing or unreadable file exits 66; a file that is
    /// not JSON, too large, or does not describe a usable network exits 65, with the file and the
    /// line:column and JSON path of the fault.
    public static func load(path: String) throws -> TrainedModel {
        let file = try DataFile(path: path, maximumBytes: maximumFileBytes)
        if file.lengthIsKnown && file.sizeOnDisk > maximumFileBytes {
            throw PipelineError.data("the model file is \(MemoryEstimate.format(file.sizeOnDisk)), more than the \(MemoryEstimate.format(maximumFileBytes)) a model file may have",
                                     path: path)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try file.read(into: $0) }
            if count == 0 { break }
            bytes += chunk[0..<count]
            if bytes.count > maximumFileBytes {
                throw PipelineError.data("the model file gives more than \(MemoryEstimate.format(maximumFileBytes)), the most a model file may have",
                                         path: path)
            }
        }
        return try decode(bytes, path: path)
    }

    /// Decodes the bytes of a model file; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> TrainedModel {
        if bytes.isEmpty { throw PipelineError.data("the model file is empty", path: path) }
        let root = try LocatedJSON.parse(bytes, path: path)
        var reader = ModelReader(path: path, bytes: bytes)
        return try reader.model(root)
    }
}

/// Walks a parsed model file; every fault names the JSON path (`layers[1].weights[3]`) and the
/// line:column where that value starts.
private struct ModelReader {
    let path: String
    let bytes: [UInt8]
    /// The file as a spec source, made only when a registry lookup needs positions.
    private var source: SourceFile?

    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    func fault(_ message: String, at node: LocatedJSON, _ where: String) -> PipelineError {
        PipelineError.data(`where`.isEmpty ? message : "\(`where`): \(message)", path: path, row: node.line, column: node.column)
    }

    func expected(_ what: String, at node: LocatedJSON, _ where: String) -> PipelineError {
        fault("expected \(what), found \(node.kindName)", at: node, `where`)
    }

    func members(_ node: LocatedJSON, _ where: String) throws -> [(key: String, value: LocatedJSON)] {
        guard case .object(let members) = node.value else { throw expected("an object", at: node, `where`) }
        return members
    }

    func items(_ node: LocatedJSON, _ where: String) throws -> [LocatedJSON] {
        guard case .array(let items) = node.value else { throw expected("a list", at: node, `where`) }
        return items
    }

    func string(_ node: LocatedJSON, _ where: String) throws -> String {
        guard case .string(let text) = node.value else { throw expected("a string", at: node, `where`) }
        return text
    }

    func number(_ node: LocatedJSON, _ where: String) throws -> Double {
        guard case .number(let value, _) = node.value else { throw expected("a number", at: node, `where`) }
        return value
    }

    func integer(_ node: LocatedJSON, _ where: String, atLeast minimum: Int) throws -> Int {
        guard case .number(_, let text) = node.value else { throw expected("an integer", at: node, `where`) }
        guard let value = Int(text) else { throw fault("expected an integer, found \(text)", at: node, `where`) }
        guard value >= minimum else { throw fault("must be at least \(minimum), found \(value)", at: node, `where`) }
        return value
    }

    func numbers(_ node: LocatedJSON, _ where: String, count: Int, what: String) throws -> [Double] {
        let list = try items(node, `where`)
        guard list.count == count else { throw fault("expected \(count) numbers (\(what)), found \(list.count)", at: node, `where`) }
        return try list.enumerated().map { try number($1, "\(`where`)[\($0)]") }
    }

    func strings(_ node: LocatedJSON, _ where: String) throws -> [String] {
        try items(node, `where`).enumerated().map { try string($1, "\(`where`)[\($0)]") }
    }

    mutating func model(_ root: LocatedJSON) throws -> TrainedModel {
        let top = try members(root, "")
        func required(_ key: String) throws -> LocatedJSON {
            guard let node = root[key] else { throw fault("the model has no '\(key)'", at: root, "") }
            return node
        }
        var format = 1
        if let node = root["format"] {
            format = try integer(node, "format", atLeast: 1)
            guard format <= TrainedModel.currentFormat else {
                throw fault("format \(format) is newer than this bp-pipeline reads (1 to \(TrainedModel.currentFormat))", at: node, "format")
            }
        }
        let known: Set<String> = ["format", "task", "inputs", "layers", "features", "classes", "label", "targets", "input_scale",
                                   "normalization", "loss", "precision"]
        if format >= 2, let (key, node) = top.first(where: { !known.contains($0.key) }) {
            throw fault("unknown key '\(key)'; a format 2 model has \(known.sorted().joined(separator: ", "))", at: node, key)
        }

        let inputs = try integer(try required("inputs"), "inputs", atLeast: 1)
        let layersNode = try required("layers")
        let layerNodes = try items(layersNode, "layers")
        guard !layerNodes.isEmpty else { throw fault("a model needs at least one layer", at: layersNode, "layers") }
        var layers: [TrainedModel.Layer] = []
        var fanIn = inputs
        for (index, node) in layerNodes.enumerated() {
            let layer = try self.layer(node, "layers[\(index)]", fanIn: fanIn)
            layers.append(layer)
            fanIn = layer.units
        }
        let outputs = fanIn

        let featuresNode = try required("features")
        let features = try strings(featuresNode, "features")
        guard features.count == inputs else {
            throw fault("names \(features.count) feature\(features.count == 1 ? "" : "s") but the network has \(inputs) input\(inputs == 1 ? "" : "s")",
                        at: featuresNode, "features")
        }
        let classes = try root["classes"].map { try strings($0, "classes") }
        var targets = try root["targets"].map { try strings($0, "targets") }
        let label = try root["label"].map { try string($0, "label") }

        var task: TrainedModel.Task
        if let node = root["task"] {
            let word = try string(node, "task")
            guard let value = TrainedModel.Task(rawValue: word) else {
                throw fault("'\(word)' is not a task; expected one of \(TrainedModel.Task.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))",
                            at: node, "task")
            }
            task = value
        } else if format >= 2 {
            throw fault("the model has no 'task'", at: root, "")
        } else if let classes, classes.count == outputs {
            task = .classification
        } else if let classes, classes.count == 2, outputs == 1 {
            task = .binary
        } else {
            task = .regression
        }
        switch task {
        case .classification, .binary:
            guard let classes else { throw fault("a \(task.rawValue) model needs 'classes'", at: root, "") }
            let node = root["classes"] ?? root
            if task == .classification && classes.count != outputs {
                throw fault("names \(classes.count) classes but the output layer has \(outputs) unit\(outputs == 1 ? "" : "s")", at: node, "classes")
            }
            if task == .binary && (classes.count != 2 || outputs != 1) {
                throw fault("a binary model has 2 classes and 1 output unit, found \(classes.count) and \(outputs)", at: node, "classes")
            }
            if classes.count < 2 { throw fault("a classifier needs at least 2 classes, found \(classes.count)", at: node, "classes") }
            if let duplicate = firstDuplicate(classes) { throw fault("names class '\(duplicate)' twice", at: node, "classes") }
            targets = nil
        case .regression:
            if let names = targets, let node = root["targets"], names.count != outputs {
                throw fault("names \(names.count) target\(names.count == 1 ? "" : "s") but the output layer has \(outputs) unit\(outputs == 1 ? "" : "s")",
                            at: node, "targets")
            }
            if format >= 2 && targets == nil { throw fault("a regression model needs 'targets'", at: root, "") }
        }

        var normalization: Normalization?
        if let node = root["normalization"], !(node.value.isNull) {
            normalization = try self.normalization(node, width: inputs)
        }
        var inputScale: Double?
        if let node = root["input_scale"] {
            let value = try number(node, "input_scale")
            guard value > 0, value.isFinite else { throw fault("must be a positive number (it divides), found \(value)", at: node, "input_scale") }
            inputScale = value
        }
        var loss: (any Loss)?
        if let node = root["loss"] {
            loss = try plugin(Registry.losses, node, "loss", parameters: [])
        } else if format >= 2 {
            throw fault("the model has no 'loss'", at: root, "")
        }
        var precision = Precision.float64
        if let node = root["precision"] {
            let word = try string(node, "precision")
            guard let value = Precision(rawValue: word) else {
                throw fault("'\(word)' is not a precision; expected 'float64' or 'float32'", at: node, "precision")
            }
            precision = value
        }
        return TrainedModel(format: format, task: task, inputs: inputs, layers: layers, features: features,
                            classes: task == .regression ? nil : classes, label: task == .regression ? nil : label, targets: targets,
                            normalization: normalization, loss: loss, precision: precision, inputScale: inputScale)
    }

    mutating func layer(_ node: LocatedJSON, _ where: String, fanIn: Int) throws -> TrainedModel.Layer {
        let entries = try members(node, `where`)
        func required(_ key: String) throws -> LocatedJSON {
            guard let value = node[key] else { throw fault("the layer has no '\(key)'", at: node, `where`) }
            return value
        }
        let units = try integer(try required("units"), "\(`where`).units", atLeast: 1)
        let activationNode = try required("activation")
        var parameters: [(key: String, value: LocatedJSON)] = []
        for entry in entries where !["units", "activation", "weights", "bias"].contains(entry.key) {
            _ = try number(entry.value, "\(`where`).\(entry.key)")
            parameters.append(entry)
        }
        let activation = try plugin(Registry.activations, activationNode, "\(`where`).activation", parameters: parameters)
        let weightsNode = try required("weights")
        let rows = try items(weightsNode, "\(`where`).weights")
        guard rows.count == fanIn else {
            throw fault("expected \(fanIn) rows (one per input to the layer), found \(rows.count)", at: weightsNode, "\(`where`).weights")
        }
        // No capacity reserved from the declared sizes: `units` is only a claim until every row
        // has been counted, and a claim of 10^15 must be an error, not an allocation.
        var storage: [Double] = []
        for (j, row) in rows.enumerated() {
            storage += try numbers(row, "\(`where`).weights[\(j)]", count: units, what: "one per unit")
        }
        let bias = try numbers(try required("bias"), "\(`where`).bias", count: units, what: "one per unit")
        return TrainedModel.Layer(activation: activation, weights: Matrix(rows: fanIn, columns: units, storage: storage), bias: bias)
    }

    func normalization(_ node: LocatedJSON, width: Int) throws -> Normalization {
        _ = try members(node, "normalization")
        guard let methodNode = node["method"] else { throw fault("has no 'method'", at: node, "normalization") }
        let word = try string(methodNode, "normalization.method")
        guard let method = Normalization.Method(rawValue: word) else {
            throw fault("'\(word)' is not a normalisation method; expected 'standardize' or 'minmax'", at: methodNode, "normalization.method")
        }
        guard let shiftNode = node["shift"] else { throw fault("has no 'shift'", at: node, "normalization") }
        guard let scaleNode = node["scale"] else { throw fault("has no 'scale'", at: node, "normalization") }
        let shift = try numbers(shiftNode, "normalization.shift", count: width, what: "one per input")
        let scale = try numbers(scaleNode, "normalization.scale", count: width, what: "one per input")
        if let bad = scale.firstIndex(where: { $0 == 0 }) {
            throw fault("scale must not be 0 (it divides)", at: try items(scaleNode, "")[bad], "normalization.scale[\(bad)]")
        }
        return Normalization(method: method, shift: shift, scale: scale)
    }

    /// Builds a registered plugin (activation, loss) from its name and numeric parameters through
    /// the same registry a spec goes through, so a model file accepts exactly what a spec does.
    mutating func plugin<Product>(_ family: PluginFamily<Product>, _ nameNode: LocatedJSON, _ where: String,
                                  parameters: [(key: String, value: LocatedJSON)]) throws -> Product {
        let name = try string(nameNode, `where`)
        if source == nil { source = SourceFile(path: path, text: String(decoding: bytes, as: UTF8.self)) }
        guard let source else { throw fault("cannot read the file as text", at: nameNode, `where`) }
        func spec(_ node: LocatedJSON, _ text: String, plain: Bool) -> SpecNode {
            SpecNode(.scalar(text, plain: plain), at: SourceLocation(source: source, line: node.line, column: node.column))
        }
        let typeNode = spec(nameNode, name, plain: false)
        let node: SpecNode
        if parameters.isEmpty {
            node = typeNode
        } else {
            var entries: [(key: SpecNode, value: SpecNode)] = [(spec(nameNode, "type", plain: true), typeNode)]
            for (key, value) in parameters {
                guard case .number(_, let text) = value.value else { continue }
                entries.append((spec(value, key, plain: true), spec(value, text, plain: true)))
            }
            node = SpecNode(.mapping(entries), at: typeNode.location)
        }
        do {
            return try family.make(from: node, context: SpecContext(directory: ".", seed: 0)).product
        } catch let error as SpecError {
            // The spec renderer's form (file:line:column, the line and a caret), as a data fault.
            throw PipelineError(.dataError, error.description)
        }
    }

    func firstDuplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }
}

extension LocatedJSON.Value {
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

// MARK: Raw input scaling

extension TrainedModel {
    /// The numbers predict and evaluate divide raw inputs by, before the normalisation: `idx` for
    /// IDX pixels, `csv` for CSV cells (nil: read as they are).
    ///
    /// A model that records `input_scale` divides both by it (a CSV for an IDX-trained model holds
    /// the raw pixels, as MNIST's CSV copies do), and a `requested` (--scale) that differs is
    /// refused, exit 64: the weights were fitted to inputs divided by that number, so any other
    /// would give wrong outputs with no sign of it. A model without it (trained on CSV, inline or
    /// synthetic data, or written before the key) divides IDX pixels by `requested ?? 255` and
    /// reads CSV cells as they are.
    public func inputScaling(requested: Double?) throws -> (idx: Double, csv: Double?) {
        guard let inputScale else { return (requested ?? 255, nil) }
        if let requested, requested != inputScale {
            throw PipelineError(.usage, "bp-pipeline: error: --scale \(Self.plain(requested)) disagrees with the model's input_scale \(Self.plain(inputScale)) (what its training data was divided by); leave --scale out and the model's is used")
        }
        return (inputScale, inputScale)
    }

    /// 255 rather than 255.0 for a whole number; other numbers in shortest round-trip form.
    static func plain(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
