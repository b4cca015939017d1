import Foundation
import Testing
@testable import Pipeline

/// The fuzz harnesses are built outside SwiftPM (fuzz/run.sh, fuzz/run-data.sh), so nothing else
/// notices when their spec text or seed folders go stale: a harness spec with a wrong key value
/// fails in the spec layer and never reaches the reader it is meant to fuzz.
@Suite struct DataFuzzCorpusTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func text(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: repository + "/" + path)), as: UTF8.self)
    }

    /// Every `normalize: NAME` the csv harness writes is a method the plugin knows.
    @Test func theCSVHarnessUsesRealNormalizeMethods() throws {
        let harness = try Self.text("fuzz/CSVFuzz.swift")
        let known = Set(Normalization.Method.allCases.map(\.rawValue))
        var used: [String] = []
        var rest = Substring(harness)
        while let range = rest.range(of: "normalize: ") {
            let name = rest[range.upperBound...].prefix { $0.isLetter || $0 == "_" }
            used.append(String(name))
            rest = rest[range.upperBound...]
        }
        #expect(used.count == 2)
        for name in used { #expect(known.contains(name), "normalize: \(name) in fuzz/CSVFuzz.swift") }
    }

    /// The predict harness's fixed models load (it stops at its first input if one does not);
    /// they are the `"""` blocks of fuzz/PredictFuzz.swift, read as this version reads model files.
    @Test func thePredictHarnessModelsLoad() throws {
        let blocks = try Self.text("fuzz/PredictFuzz.swift").components(separatedBy: "\"\"\"")
        let models = stride(from: 1, to: blocks.count, by: 2).map { blocks[$0] }
        #expect(models.count == 3)
        let tasks = try models.map { try TrainedModel.decode(Array($0.utf8), path: "PredictFuzz.swift").task }
        #expect(tasks == [.classification, .binary, .regression])
    }

    /// The `seeds=(...)` folders of both scripts exist and hold files.
    @Test(arguments: ["fuzz/run.sh", "fuzz/run-data.sh"])
    func everySeedFolderExists(script: String) throws {
        let text = try Self.text(script)
        var folders: [String] = []
        var rest = Substring(text)
        while let range = rest.range(of: "seeds=(") {
            let list = rest[range.upperBound...].prefix { $0 != ")" }
            folders += list.split(separator: " ").map(String.init)
            rest = rest[range.upperBound...]
        }
        #expect(folders.count >= 3)
        for folder in folders {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: Self.repository + "/" + folder)) ?? []
            #expect(!files.isEmpty, "\(script): seed folder \(folder) is missing or empty")
        }
    }
}
