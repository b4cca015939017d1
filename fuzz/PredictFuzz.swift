// libFuzzer target for predict's input path: byte 0 picks one of three fixed small models
// (bits 0-1: classification with normalisation, binary, two-target regression) and the --format
// (bit 2: csv, or auto, which sniffs the IDX magic); the rest is the data file. It runs
// Prediction.run as `bp-pipeline predict` does: header lookup by name, rows streamed in chunks,
// normalised, one forward pass, CSV text out. Built by fuzz/run-data.sh together with the
// Pipeline module's sources. Thrown errors are the expected outcome for bad files; only a crash,
// hang or unbounded allocation is a finding.
@preconcurrency import Glibc

private let folder: String = {
    let path = "/dev/shm/bp-predict-fuzz-\(getpid())"
    mkdir(path, 0o700)
    return path
}()

/// Three model files in this version's format 2; feature names include a quoted one ("c,d").
private let modelTexts = [
    """
    {"format": 2, "task": "classification", "inputs": 3,
     "layers": [{"units": 2, "activation": "leaky_relu", "alpha": 0.1,
                 "weights": [[0.5, -1.25], [2, 0.75], [-0.5, 1]], "bias": [0.1, -0.2]},
                {"units": 3, "activation": "softmax", "weights": [[1, -1, 0.5], [-2, 0.25, 1]], "bias": [0, 0.5, -0.5]}],
     "features": ["a", "b", "c,d"], "classes": ["setosa", "versi color", "it's"], "label": "species",
     "normalization": {"method": "standardize", "shift": [1, 2, 3], "scale": [0.5, 2, 4]},
     "loss": "cross_entropy", "precision": "float64"}
    """,
    """
    {"format": 2, "task": "binary", "inputs": 2,
     "layers": [{"units": 1, "activation": "sigmoid", "weights": [[4.5], [-3.25]], "bias": [0.5]}],
     "features": ["x1", "x2"], "classes": ["0", "1"], "loss": "binary_cross_entropy", "precision": "float32"}
    """,
    """
    {"format": 2, "task": "regression", "inputs": 1,
     "layers": [{"units": 2, "activation": "linear", "weights": [[1.5, -2]], "bias": [0.25, 1e300]}],
     "features": ["x"], "targets": ["y", "z"],
     "normalization": {"method": "minmax", "shift": [-1], "scale": [1e-300]},
     "loss": "mse", "precision": "float64"}
    """,
]

private let models: [TrainedModel] = modelTexts.enumerated().map { index, text in
    do {
        return try TrainedModel.decode(Array(text.utf8), path: "model-\(index).json")
    } catch {
        // A harness whose fixed models do not load fuzzes nothing: stop at once, loudly.
        fputs("PredictFuzz: fixed model \(index) does not load: \(error)\n", stderr)
        exit(1)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let selector = Int(data[0])
    let path = folder + "/data.csv"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    if size > 1 { _ = write(fd, data + 1, size - 1) }
    close(fd)
    let model = models[(selector & 3) % models.count]
    var written = 0
    do {
        try Prediction.run(model, dataPath: path, format: selector & 4 == 0 ? "csv" : "auto", scale: 255) { written += $0.utf8.count }
    } catch {
        _ = String(describing: error)
    }
    _ = written
    return 0
}
