import BackpropCore
import PipelineSpec

/// Samples from a CSV file (RFC 4180; gzip-compressed files are read too): one row per sample,
/// the label (classification) or target columns (regression), and numeric feature columns.
///
/// Classes are kept **sorted** (names that are decimal numbers first, in numeric order, then the
/// others in string order), not in order of first appearance, so shuffling a file's rows or
/// reading a separate test file never renumbers them; class k is output unit k, its target row one-hot.
public struct CSVData: DataStage, StagePlugin {
    public static let description = StageDescription(
        name: "csv",
        summary: "a CSV file: one row per sample, a label column (classification) or target columns (regression), numeric features",
        parameters: [path, label, task, targets, features, header, delimiter, missing] + DataOptions.parameters(test: test),
        example: """
        data:
          type: csv
          path: ../Data/iris.csv
          label: species
          normalize: standardize
          validation: 0.25
        """)

    /// A column as the spec names it: a plain integer is a 0-based index, anything else a name.
    enum Column: Sendable, Equatable {
        case name(String)
        case index(Int)
        /// The default label: whichever column comes last.
        case last
    }

    enum Missing: String, Sendable, CaseIterable, ParameterChoice {
        case error, dropRow = "drop_row", mean
    }

    static let path = Parameter<SpecNode>.required("path", type: "string",
                                                   "the CSV file, relative to the spec's folder (may be gzip-compressed)")
    static let label = Parameter<SpecNode?>.optional("label", shown: "the last column", type: "column",
                                                     "classification: the class column, by name or 0-based index; classes are sorted, targets one-hot")
    static let task = Parameter("task", default: "classification", choices: ["classification", "regression"], "the learning task")
    static let targets = Parameter<SpecNode?>.optional("targets", shown: "none; one_hot for classification", type: "list of columns",
                                                       "regression (required there): the target columns, by name or 0-based index; classification: one_hot (one output per class) or single (two classes, one 0/1 output for a sigmoid unit: the second class is 1)")
    static let features = Parameter<SpecNode?>.optional("features", shown: "every other named column", type: "list of columns",
                                                        "the input columns, in this order (by default not the label/targets nor a column with an empty header name)")
    static let header = Parameter("header", default: true, "the first row names the columns")
    static let delimiter = Parameter("delimiter", default: ",", "one character, or 'tab'")
    static let missing = Parameter("missing", default: Missing.error,
                                   "an empty or NA/NaN/null/? feature cell: an error, drop_row, or mean (the training part's column mean)")
    static let test = DataOptions.test("string")

    let path: String
    let testPath: String?
    let header: Bool
    let delimiter: UInt8
    /// nil for regression.
    let label: Column?
    let targets: [Column]
    /// `targets: single` (classification): the node, for the error when the label has more than two classes.
    let singleTarget: SpecNode?
    let features: [Column]?
    let missing: Missing
    let options: DataOptions

    public init(_ arguments: PluginArguments) throws {
        let context = arguments.context
        let pathNode = try arguments.read(Self.path)
        let file = try pathNode.string("path")
        guard !file.isEmpty else { throw SpecError("'path' of csv is empty", at: pathNode.location) }
        path = context.resolve(file)
        header = try arguments.read(Self.header)
        delimiter = try Self.readDelimiter(arguments)
        missing = try arguments.read(Self.missing)
        let task = try arguments.read(Self.task)
        let labelNode = try arguments.read(Self.label)
        let targetsNode = try arguments.read(Self.targets)
        if task == "regression" {
            if let labelNode {
                throw SpecError("'label' names a class column; with task: regression name the target columns with 'targets'",
                                at: labelNode.location)
            }
            guard let targetsNode else {
                throw SpecError("csv with task: regression needs 'targets': the target columns, by name or index", at: arguments.node.location)
            }
            targets = try Self.columns(targetsNode, "targets")
            label = nil
            singleTarget = nil
        } else {
            singleTarget = try targetsNode.flatMap(Self.classTargets)
            label = try labelNode.map { try Self.column($0, "label") } ?? .last
            targets = []
        }
        features = try arguments.read(Self.features).map { try Self.columns($0, "features") }
        options = try DataOptions(arguments, test: Self.test)
        if let node = options.testNode {
            let test = try node.string("test")
            guard !test.isEmpty else { throw SpecError("'test' of csv is empty", at: node.location) }
            testPath = context.resolve(test)
        } else {
            testPath = nil
        }
    }

    public func load(_ request: DataRequest) throws -> LoadedData {
        let budget = request.maximumMemory
        let training = try CSVTable.read(path, plan: self, fixed: nil, maximumBytes: budget,
                                         budget: MemoryEstimate.format(budget))
        let test = try testPath.map {
            let left = max(0, budget - training.byteCount)
            return try CSVTable.read($0, plan: self, fixed: training, maximumBytes: left,
                                     budget: "\(MemoryEstimate.format(left)) left of \(MemoryEstimate.format(budget)) after the training file")
        }
        let task: LearningTask = training.classes.map { .classification(classes: $0) } ?? .regression
        var loaded = try options.assemble(request, training: training.dataset, test: test?.dataset, task: task,
                                          featureNames: training.featureNames, source: path,
                                          imputeMissing: missing == .mean)
        loaded.targetNames = training.targetNames
        loaded.labelName = training.labelName
        return loaded
    }

    private static func readDelimiter(_ arguments: PluginArguments) throws -> UInt8 {
        let text = try arguments.read(Self.delimiter)
        guard let node = arguments.optional("delimiter") else { return UInt8(ascii: ",") }
        if text == "tab" { return UInt8(ascii: "\t") }
        let bytes = Array(text.utf8)
        guard bytes.count == 1, bytes[0] != UInt8(ascii: "\""), bytes[0] != 0x0A, bytes[0] != 0x0D else {
            throw SpecError("'delimiter' of csv must be one character other than a quote or line break (or 'tab'), found \(node.foundDescription)",
                            at: node.location)
        }
        return bytes[0]
    }

    /// `targets` of a classification: `one_hot` (nil) or `single` (its node).
    private static func classTargets(_ node: SpecNode) throws -> SpecNode? {
        let choices = ["one_hot", "single"]
        guard case .scalar(let word, _) = node.value, !node.isNull, choices.contains(word) else {
            var message = "'targets' of a classification is 'one_hot' or 'single', found \(node.foundDescription)"
            if case .scalar(let word, _) = node.value, let hint = didYouMean(word, among: choices) {
                message += "; \(hint)"
            } else {
                message += "; name the class column with 'label' (target columns are for task: regression)"
            }
            throw SpecError(message, at: node.location)
        }
        return word == "single" ? node : nil
    }

    private static func column(_ node: SpecNode, _ key: String) throws -> Column {
        if case .scalar(let text, plain: true) = node.value, !node.isNull, let index = Int(text) {
            guard index >= 0 else { throw SpecError("'\(key)' column index must be 0 or greater, found \(index)", at: node.location) }
            return .index(index)
        }
        let name = try node.string(key)
        return .name(name)
    }

    private static func columns(_ node: SpecNode, _ key: String) throws -> [Column] {
        if case .sequence(let items) = node.value {
            guard !items.isEmpty else { throw SpecError("'\(key)' lists no columns", at: node.location) }
            return try items.map { try column($0, key) }
        }
        return [try column(node, key)]
    }
}

/// One CSV file read into flat, contiguous arrays.
struct CSVTable {
    var dataset: Dataset
    /// Sorted class names (classification), nil for regression.
    var classes: [String]?
    var featureNames: [String]
    /// Regression: the target columns' names (header names, or "column N").
    var targetNames: [String]
    /// Classification with a header: the label column's name.
    var labelName: String?
    /// How the columns were found, so a test file is read the same way: names when the file has a header.
    var featureColumns: [CSVData.Column]
    var labelColumn: CSVData.Column?
    var targetColumns: [CSVData.Column]
    /// Where `classes` came from, for a label that is not one of them ("the training file", "the model").
    var classOrigin = "the training file"

    /// The float64 bytes the samples take (inputs and targets).
    var byteCount: Int {
        MemoryEstimate.multiply(MemoryEstimate.multiply(dataset.count, dataset.featureCount + dataset.targetCount), 8)
    }

    /// Reads `path` as `plan` says. With `fixed` (the training table) the columns and classes are
    /// the training file's: this is a test file.
    ///
    /// `maximumBytes` (the --max-memory budget) bounds the samples as they are read: once
    /// rows · (features + outputs) float64 numbers, what the dataset will hold, pass it, the read
    /// stops with exit 65 at that row. A gzip file or a pipe may also decode to at most that many
    /// bytes of text (real numbers take 2 to 20 characters for their 8 bytes). `budget` says what
    /// the limit is in the message ("1.0 MiB", or what the training file left of it).
    static func read(_ path: String, plan: CSVData, fixed: CSVTable?, maximumBytes: Int, budget: String) throws -> CSVTable {
        let file = try DataFile(path: path, maximumBytes: maximumBytes)
        let reader = CSVReader(file: file, delimiter: plan.delimiter)
        guard try reader.next() else { throw PipelineError.data("the file is empty", path: path) }
        let width = reader.fieldCount
        let header = plan.header
        let names = header ? (0..<width).map(reader.text) : (0..<width).map { "column \($0)" }
        let headerLine = reader.line

        func describe(_ index: Int) -> String { header ? "column \(quote(names[index]))" : "column \(index)" }
        func resolve(_ column: CSVData.Column, _ key: String) throws -> Int {
            switch column {
            case .last:
                return width - 1
            case .index(let index):
                guard index < width else {
                    throw PipelineError.data("column index \(index) ('\(key)') is out of range: the file has \(width) column\(width == 1 ? "" : "s"), 0 to \(width - 1)",
                                             path: path, row: headerLine)
                }
                return index
            case .name(let name):
                if header, let index = names.firstIndex(of: name) { return index }
                var message = "no column named \(quote(name)) ('\(key)')"
                if !header {
                    message += "; the file has no header (header: false), so name columns by 0-based index, 0 to \(width - 1)"
                } else if let hint = didYouMean(name, among: names) {
                    message += "; \(hint) The columns are: \(boundedList(names))"
                } else {
                    message += "; the columns are: \(boundedList(names))"
                }
                throw PipelineError.data(message, path: path, row: headerLine)
            }
        }

        // Which columns hold what.
        let labelRef = fixed?.labelColumn ?? plan.label
        let targetRefs = fixed?.targetColumns ?? plan.targets
        let labelIndex = try labelRef.map { try resolve($0, "label") }
        let targetIndices = try targetRefs.map { try resolve($0, "targets") }
        let outputs = Set(targetIndices + (labelIndex.map { [$0] } ?? []))
        let featureIndices: [Int]
        if let refs = fixed?.featureColumns ?? plan.features {
            featureIndices = try refs.map { try resolve($0, "features") }
            if let clash = featureIndices.first(where: outputs.contains) {
                throw PipelineError.data("\(describe(clash)) is both a feature and \(labelIndex == clash ? "the label" : "a target")",
                                         path: path, row: headerLine)
            }
        } else {
            // A column with an empty header name (the row index pandas' to_csv writes, or the
            // column a trailing comma makes) is not a feature unless listed in `features`.
            featureIndices = (0..<width).filter { !outputs.contains($0) && !(header && names[$0].isEmpty) }
        }
        guard !featureIndices.isEmpty else {
            throw PipelineError.data("no feature columns are left: the file has \(width) column\(width == 1 ? "" : "s") and all are outputs",
                                     path: path, row: headerLine)
        }

        var inputs: [Double] = []
        var values: [Double] = []        // regression targets, row-major
        var labels: [Int] = []           // classification: index by first appearance (training) or fixed class
        var classOrder: [String] = []
        var classIndex: [String: Int] = [:]
        if let known = fixed?.classes {
            classOrder = known
            for (i, name) in known.enumerated() { classIndex[name] = i }
        }
        var row = [Double](repeating: 0, count: featureIndices.count)
        var rowTargets = [Double](repeating: 0, count: targetIndices.count)
        var rows = 0, dropped = 0
        var pendingFirst = !header

        func missingValue(_ field: Int, _ what: String) -> PipelineError {
            let text = reader.text(field)
            let cell = text.isEmpty ? "empty cell" : "missing value \(quote(text))"
            return PipelineError.data("\(cell) in \(describe(field)); set missing: drop_row or missing: mean to accept missing \(what)",
                                      path: path, row: reader.line, column: field + 1)
        }
        func badNumber(_ field: Int, _ cell: CSVReader.Cell) -> PipelineError {
            let shown = quote(reader.text(field))
            let problem = cell == .outOfRange ? "is out of range for a number" : "is not a number"
            return PipelineError.data("cell \(shown) in \(describe(field)) \(problem)", path: path, row: reader.line, column: field + 1)
        }

        records: while true {
            if pendingFirst {
                pendingFirst = false
            } else if try !reader.next() {
                break
            }
            guard reader.fieldCount == width else {
                let what = header ? "the header has" : "the first row has"
                throw PipelineError.data("row has \(reader.fieldCount) field\(reader.fieldCount == 1 ? "" : "s") but \(what) \(width)",
                                         path: path, row: reader.line, column: min(reader.fieldCount, width) + 1)
            }
            for (k, field) in featureIndices.enumerated() {
                switch reader.number(field) {
                case .number(let x): row[k] = x
                case .missing:
                    switch plan.missing {
                    case .error: throw missingValue(field, "values")
                    case .dropRow: dropped += 1; continue records
                    case .mean: row[k] = .nan
                    }
                case let cell: throw badNumber(field, cell)
                }
            }
            for (k, field) in targetIndices.enumerated() {
                switch reader.number(field) {
                case .number(let x): rowTargets[k] = x
                case .missing:
                    if plan.missing == .dropRow { dropped += 1; continue records }
                    let text = reader.text(field)
                    let cell = text.isEmpty ? "empty target cell" : "missing target \(quote(text))"
                    let advice = plan.missing == .mean ? "a target cannot be filled in with a mean; use missing: drop_row"
                                                       : "set missing: drop_row to skip such rows"
                    throw PipelineError.data("\(cell) in \(describe(field)); \(advice)", path: path, row: reader.line, column: field + 1)
                case let cell: throw badNumber(field, cell)
                }
            }
            if let labelIndex {
                let name = reader.text(labelIndex)
                if name.isEmpty {
                    if plan.missing == .dropRow { dropped += 1; continue records }
                    let advice = plan.missing == .mean ? "a label cannot be filled in with a mean; use missing: drop_row"
                                                       : "set missing: drop_row to skip such rows"
                    throw PipelineError.data("empty label in \(describe(labelIndex)); \(advice)",
                                             path: path, row: reader.line, column: labelIndex + 1)
                }
                if let index = classIndex[name] {
                    labels.append(index)
                } else if let known = fixed?.classes {
                    throw PipelineError.data("class \(quote(name)) in \(describe(labelIndex)) is not a class of \(fixed?.classOrigin ?? "the training file") (\(boundedList(known)))",
                                             path: path, row: reader.line, column: labelIndex + 1)
                } else {
                    classIndex[name] = classOrder.count
                    labels.append(classOrder.count)
                    classOrder.append(name)
                }
            }
            inputs.append(contentsOf: row)
            values.append(contentsOf: rowTargets)
            rows += 1
            // What the dataset will hold: inputs, and the targets (one-hot over the classes so far).
            let outputs = labelIndex == nil ? targetIndices.count : classOrder.count
            let numbers = MemoryEstimate.multiply(rows, featureIndices.count + outputs)
            if MemoryEstimate.multiply(numbers, 8) > maximumBytes {
                let what = labelIndex == nil ? "\(outputs) target\(outputs == 1 ? "" : "s")" : "\(grouped(outputs)) class\(outputs == 1 ? "" : "es") one-hot"
                throw PipelineError.data("the data does not fit in --max-memory (\(budget)): by this row it holds "
                                         + "\(grouped(rows)) samples of \(featureIndices.count) input\(featureIndices.count == 1 ? "" : "s") and \(what), \(grouped(numbers)) float64 numbers "
                                         + "(\(MemoryEstimate.format(MemoryEstimate.multiply(numbers, 8)))); raise --max-memory or use a smaller file",
                                         path: path, row: reader.line)
            }
        }

        guard rows > 0 else {
            if dropped > 0 {
                throw PipelineError.data("every row has a missing value, so missing: drop_row left no samples", path: path)
            }
            throw PipelineError.data(header ? "the file has a header but no data rows" : "the file has no data rows", path: path)
        }

        var classes: [String]?
        var targets: Matrix
        if let labelIndex {
            var order = classOrder
            if fixed == nil {
                guard classOrder.count >= 2 else {
                    throw PipelineError.data("the label \(describe(labelIndex)) has only one class, \(quote(classOrder[0])); classification needs at least two",
                                             path: path)
                }
                order = sortedClasses(classOrder)
            }
            let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
            let remap = classOrder.map { position[$0] ?? 0 }
            if let single = plan.singleTarget {
                guard order.count == 2 else {
                    throw SpecError("'targets: single' needs exactly two classes, but the label \(describe(labelIndex)) of \(path) has \(order.count) (\(boundedList(order))); use targets: one_hot with one output unit per class",
                                    at: single.location)
                }
                // One column: 1 for the second class in sorted order, 0 for the first.
                targets = Matrix(rows: rows, columns: 1)
                for (r, label) in labels.enumerated() { targets[r, 0] = Double(remap[label]) }
            } else {
                targets = Matrix(rows: rows, columns: order.count)
                for (r, label) in labels.enumerated() { targets[r, remap[label]] = 1 }
            }
            classes = order
        } else {
            targets = Matrix(rows: rows, columns: targetIndices.count, storage: values)
        }
        let columnRef: (Int) -> CSVData.Column = { header ? .name(names[$0]) : .index($0) }
        return CSVTable(dataset: Dataset(inputs: Matrix(rows: rows, columns: featureIndices.count, storage: inputs), targets: targets),
                        classes: classes,
                        featureNames: featureIndices.map { names[$0] },
                        targetNames: targetIndices.map { names[$0] },
                        labelName: header ? labelIndex.map { names[$0] } : nil,
                        featureColumns: featureIndices.map(columnRef),
                        labelColumn: labelIndex.map(columnRef),
                        targetColumns: targetIndices.map(columnRef))
    }

    /// Names that are decimal numbers as a cell reads them (`-1.5e3`; not `nan`, `inf` or hex)
    /// first, in numeric order ("2" < "10", equal values such as "1" and "1.0" by their text),
    /// then every other name in string order.
    static func sortedClasses(_ names: [String]) -> [String] {
        let keyed = names.map { (name: $0, value: CSVReader.decimalValue($0)) }
        return keyed.sorted { a, b in
            switch (a.value, b.value) {
            case let (x?, y?): return x != y ? x < y : a.name < b.name
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.name < b.name
            }
        }.map(\.name)
    }
}
