// libFuzzer target for the idx data plugin. Input layout: byte 0 = n, the label file's length;
// the next n bytes are the label file, the rest the image file (either may be gzip: DataFile
// sniffs the magic bytes). Built by fuzz/run-data.sh together with the Pipeline module's
// sources. Thrown errors are the expected outcome for bad files; only a crash is a finding.
@preconcurrency import Glibc

private let folder: String = {
    let path = "/dev/shm/bp-idx-fuzz-\(getpid())"
    mkdir(path, 0o700)
    return path
}()

private func store(_ name: String, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> String {
    let path = folder + "/" + name
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    if fd >= 0 {
        if count > 0 { _ = write(fd, bytes, count) }
        close(fd)
    }
    return path
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let labelCount = min(Int(data[0]), size - 1)
    let labels = store("labels.idx", data + 1, labelCount)
    let images = store("images.idx", data + 1 + labelCount, size - 1 - labelCount)
    let spec = "data:\n  type: idx\n  images: \(images)\n  labels: \(labels)\n  limit: 50\n"
    do {
        let root = try SpecLoader.load(text: spec, path: "fuzz.yaml")
        guard let node = root["data"] else { return 0 }
        let stage = try Registry.data.make(from: node, context: SpecContext(directory: "/", seed: 1)).product
        // As Engine.prepare does: the headers' shape goes through the memory estimate first, so
        // files declaring more than --max-memory (here 1 GiB) are refused before loading.
        if let estimating = stage as? any DataShapeEstimating, let shape = try estimating.estimatedShape() {
            let bytes = MemoryEstimate.multiply(MemoryEstimate.multiply(shape.samples, MemoryEstimate.add(shape.features, shape.targets)), 8)
            if bytes > 1 << 30 { return 0 }
        }
        let loaded = try stage.load(DataRequest(maximumMemory: 1 << 30))
        _ = loaded.training.count
    } catch {
        _ = String(describing: error)
    }
    return 0
}
