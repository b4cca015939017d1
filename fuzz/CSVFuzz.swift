// libFuzzer target for the csv data plugin: the input is a CSV file; its first byte picks the
// spec options (header, delimiter, missing-value policy, task), so one corpus reaches every
// path of CSVReader and CSVData. Built by fuzz/run-data.sh together with the Pipeline module's
// sources. Thrown errors are the expected outcome for bad files; only a crash is a finding.
@preconcurrency import Glibc

/// A private folder in shared memory (tmpfs): the plugin reads real files, fast.
private let folder: String = {
    let path = "/dev/shm/bp-csv-fuzz-\(getpid())"
    mkdir(path, 0o700)
    return path
}()

private let delimiters = [",", ";", "tab", "|"]
private let missing = ["error", "drop_row", "mean"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let selector = Int(data[0])
    let path = folder + "/data.csv"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    _ = write(fd, data + 1, size - 1)
    close(fd)

    var spec = "data:\n  type: csv\n  path: \(path)\n"
    spec += "  header: \(selector & 1 == 0 ? "true" : "false")\n"
    spec += "  delimiter: \"\(delimiters[(selector >> 1) & 3])\"\n"
    spec += "  missing: \(missing[((selector >> 3) & 3) % 3])\n"
    switch (selector >> 5) & 3 {
    case 0: break
    case 1: spec += "  task: regression\n  targets: [0]\n"
    case 2: spec += "  label: 0\n  normalize: standardize\n"
    default: spec += "  validation: 0.25\n  normalize: minmax\n"
    }
    do {
        let root = try SpecLoader.load(text: spec, path: "fuzz.yaml")
        guard let node = root["data"] else { return 0 }
        let context = SpecContext(directory: "/", seed: 1)
        let stage = try Registry.data.make(from: node, context: context).product
        // A small --max-memory, so the bounds on what the reader holds are reached too.
        let loaded = try stage.load(DataRequest(maximumMemory: 64 << 20))
        _ = loaded.training.count
    } catch {
        _ = String(describing: error)
    }
    return 0
}
