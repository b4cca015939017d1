// libFuzzer target for the model file reader: the input is a whole model.json; it is loaded the
// way `predict` and `evaluate` load one (TrainedModel.load: size cap, LocatedJSON's depth cap, then
// the format 1 / format 2 reader and the activation and loss registries). A model that loads is
// applied to one row of zeros, so a file that passes the reader yet builds a broken network is a
// finding too. Built by fuzz/run-data.sh together with the Pipeline module's sources. Thrown
// errors are the expected outcome for bad files; only a crash, hang or unbounded allocation is a
// finding (claims such as a huge `units` or `inputs` must be refused, not reserved).
@preconcurrency import Glibc

private let folder: String = {
    let path = "/dev/shm/bp-model-fuzz-\(getpid())"
    mkdir(path, 0o700)
    return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = folder + "/model.json"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    if size > 0 { _ = write(fd, data, size) }
    close(fd)
    do {
        let model = try TrainedModel.load(path: path)
        let outputs = model.network().predict(Matrix(rows: 1, columns: model.inputs), chunk: 1)
        _ = Prediction.header(model).count + outputs.columns
    } catch {
        _ = String(describing: error)
    }
    return 0
}
