import Foundation
import Testing
@testable import Pipeline

/// A temporary folder holding a spec and its data files, removed when the test ends.
final class DataScratch {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bp-data-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A whole spec around `data` (the lines under `data:`, indented two spaces) with a network
    /// of `inputs` inputs and `outputs` output units.
    func spec(_ data: String, inputs: Int = 1, outputs: Int = 1, extra: String = "") throws -> String {
        let indented = data.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        return try write("spec.yaml", """
            seed: 5
            data:
            \(indented)
            network:
              inputs: \(inputs)
              layers:
                - units: \(outputs)
            activation: sigmoid
            loss: half_squared_error
            learning_rate: {type: constant, value: 0.1}
            training: {epochs: 2, optimizer: sgd}
            \(extra)
            """)
    }

    /// Decodes the spec and loads its data (no shape check, no training) within `maximumMemory` bytes.
    func load(_ data: String, maximumMemory: Int = MemoryEstimate.defaultLimit) throws -> LoadedData {
        let definition = try Engine.load(RunRequest(specPath: try spec(data)))
        return try definition.data.load(DataRequest(maximumMemory: maximumMemory))
    }

    /// The error loading `data` gives: exit code and full message, with this folder shown as `{dir}`.
    func failure(_ data: String, maximumMemory: Int = MemoryEstimate.defaultLimit) throws -> (ExitCode, String) {
        do {
            _ = try load(data, maximumMemory: maximumMemory)
        } catch let error as PipelineError {
            return (error.exitCode, error.description.replacingOccurrences(of: folder, with: "{dir}"))
        }
        Issue.record("loading succeeded; expected an error")
        return (.success, "")
    }
}

/// An IDX file: magic 00 00 08 <dims>, big-endian sizes, then the bytes.
func idxBytes(_ dimensions: [Int], _ elements: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for size in dimensions {
        bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
    }
    return bytes + elements
}
