import ArgumentParser
import Pipeline

/// `bp-pipeline evaluate MODEL DATA [--out DIR]`: a trained model's metrics on labelled data.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a trained model.json on labelled data: metrics.json and a chart.",
        discussion: """
        Classification: loss, accuracy and the confusion matrix (rows true class, columns predicted); \
        regression: loss, mse, rmse, mae and r2 (mean over targets, with r2_per_target). CSV data needs the \
        model's feature columns and its label (or target) columns by name; IDX images need --labels. \
        Without --out, metrics.json is printed on stdout and nothing is written; with --out DIR, \
        metrics.json and confusion_matrix.png or predictions.png go into DIR (a folder holding anything \
        bp-pipeline did not write there is never replaced).
        """)

    @OptionGroup var options: ModelDataOptions

    @Option(help: ArgumentHelp("IDX: the label file of the images.", valueName: "FILE"))
    var labels: String?

    @Option(help: ArgumentHelp("CSV classification: the class column (default: the model's label).", valueName: "COLUMN"))
    var label: String?

    @Option(help: ArgumentHelp("CSV regression: the target columns, comma-separated (default: the model's targets).", valueName: "A,B,..."))
    var targets: String?

    @Option(help: ArgumentHelp("Write metrics.json and the chart into DIR instead of printing metrics.json.", valueName: "DIR"))
    var out: String?

    // `.unconditional`: `--max-memory -1` is read as a (refused) size, not as an option.
    @Option(parsing: .unconditional, help: ArgumentHelp("Refuse data that would take more than this in memory (bytes, or with K/M/G/T).",
                                                        valueName: "SIZE"))
    var maxMemory = MemorySize(bytes: MemoryEstimate.defaultLimit)

    @OptionGroup var threads: ThreadsOption

    func run() throws {
        threads.apply()
        try Terminal.exitOnError {
            let request = Evaluation.Request(modelPath: options.model, dataPath: options.data, labelsPath: labels, label: label,
                                             targets: targets.map { $0.split(separator: ",").map(String.init) },
                                             format: options.format, scale: options.scale, maximumMemory: maxMemory.bytes)
            let evaluation = try Evaluation(request)
            if let out {
                try evaluation.write(to: out)
                print("\(options.model) on \(options.data): \(evaluation.evaluation.samples) samples; wrote \(out)/metrics.json and \(out)/\(evaluation.chart.file)")
            } else {
                print(evaluation.json.serialized(), terminator: "")
            }
        }
    }
}
