import ArgumentParser
import Pipeline

/// Options shared by `predict` and `evaluate`: the model file and how to read the data.
struct ModelDataOptions: ParsableArguments {
    @Argument(help: "A model.json a run wrote (format 1 or 2).")
    var model: String

    @Argument(help: "The data: a CSV file with the model's feature columns by name (other columns are ignored), or an IDX image file; gzip is read too.")
    var data: String

    @Option(help: "How to read DATA: auto (IDX when it starts with the IDX magic 00 00 08, else CSV), csv or idx.")
    var format = "auto"

    // `.unconditional`: `--scale -1` is read as the (refused) number, not as an option.
    @Option(parsing: .unconditional, help: ArgumentHelp("Inputs are raw / SCALE, as the idx data's 'scale' key. Default: the model's input_scale (a different SCALE is refused), else 255 for IDX pixels; CSV cells are divided only by the model's input_scale.",
                                                        valueName: "SCALE"))
    var scale: Double?

    func validate() throws {
        guard ["auto", "csv", "idx"].contains(format) else {
            throw ValidationError("--format must be auto, csv or idx, found '\(format)'")
        }
        if let scale, !(scale > 0 && scale.isFinite) { throw ValidationError("--scale must be a positive number, found \(scale)") }
    }
}

/// `bp-pipeline predict MODEL DATA [--out FILE]`: the model's predictions for every row of DATA as CSV.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a trained model.json to new data and write its predictions as CSV.",
        discussion: """
        The inputs are normalised as in training (the model's normalization). Columns: classification \
        'prediction' (the class name) then 'p_<class>' per class; binary (one sigmoid output) 'prediction' \
        then 'p_<class 1>'; regression 'prediction', or 'prediction_<target>' per target. \
        The data is streamed 4,096 rows at a time, so a file of any length works.
        """)

    @OptionGroup var options: ModelDataOptions

    @Option(help: ArgumentHelp("Write the CSV to FILE (complete or not at all; an existing FILE is never replaced) instead of stdout.",
                               valueName: "FILE"))
    var out: String?

    @OptionGroup var threads: ThreadsOption

    func run() throws {
        threads.apply()
        try Terminal.exitOnError {
            let model = try TrainedModel.load(path: options.model)
            let output = try out.map { try PredictionOutput(path: $0) } ?? PredictionOutput()
            output.exitOnSignal()
            try Prediction.run(model, dataPath: options.data, format: options.format, scale: options.scale, sink: output.write)
            try output.finish()
        }
    }
}
