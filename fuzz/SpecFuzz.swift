// libFuzzer target for the spec layer: bytes -> UTF-8 check -> libyaml events -> SpecNode tree,
// then every reader and every error rendering on what came out. Built by fuzz/run.sh with swiftc
// (not SwiftPM) together with Sources/PipelineSpec/*.swift.
//
// An input whose first line starts with "--set " is split: the rest of that line is parsed as an
// override argument and applied to the spec in the remaining lines, so the fuzzer reaches
// SpecOverride and SpecNode.apply too.

/// Readers tried on every visited node; the names are the spec's own keys, for did-you-mean.
private let knownKeys = ["name", "seed", "data", "network", "activation", "loss", "learning_rate",
                         "training", "outputs", "output_dir", "type", "units", "weights", "bias"]

/// Visits at most `limit` nodes breadth-first, reading each every way a stage might. The limit
/// keeps one input well inside libFuzzer's 10 s timeout under ASan: an alias bomb whose 5,000
/// visited nodes each render every error took 3.3 s (and over 10 s beside two other fuzzers),
/// while bp-pipeline itself answers it in 0.08 s.
private func exercise(_ root: SpecNode, limit: Int = 1_000) {
    var queue = [root]
    var next = 0
    while next < queue.count, next < limit {
        let node = queue[next]
        next += 1
        _ = node.kindName
        _ = node.isNull
        _ = node.foundDescription
        render { _ = try node.string("value") }
        render { _ = try node.int("value") }
        render { _ = try node.double("value") }
        render { _ = try node.bool("value") }
        render { _ = try node.doubles("value") }
        render { _ = try node.doubleMatrix("value") }
        switch node.value {
        case .scalar(let text, _):
            _ = suggestions(for: text, among: knownKeys)
        case .sequence(let items):
            queue.append(contentsOf: items.prefix(limit - queue.count))
        case .mapping(let entries):
            render {
                let reader = try MappingReader(node, "mapping")
                for key in knownKeys.prefix(4) { _ = reader.optional(key) }
                _ = reader.keys
                try reader.finish()
            }
            for entry in entries where queue.count < limit {
                queue.append(entry.key)
                queue.append(entry.value)
            }
        }
    }
}

/// Runs `body`; a SpecError is rendered (the rendering must never trap either).
private func render(_ body: () throws -> Void) {
    do {
        try body()
    } catch let error as SpecError {
        _ = error.description
    } catch {
        _ = String(describing: error)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func specFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var overrideArgument: [UInt8]?
    let prefix = Array("--set ".utf8)
    if bytes.starts(with: prefix) {
        let end = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        overrideArgument = Array(bytes[prefix.count..<end])
        bytes = end < bytes.count ? Array(bytes[(end + 1)...]) : []
    }
    render {
        var root = try SpecLoader.parse(SourceFile.decoding(bytes, path: "fuzz.yaml"))
        if let overrideArgument {
            let argument = String(decoding: overrideArgument, as: UTF8.self)
            try root.apply(SpecOverride(parsing: argument))
        }
        exercise(root)
    }
    return 0
}
