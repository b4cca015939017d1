import Foundation
import XCTest

/// `bp-pipeline plugins` as a user reads it: each key with its type, range or words, and
/// default, as the plugin's builder reads it.
final class PluginsCatalogueTests: XCTestCase {
    func testEachKeyShowsItsTypeRangeAndDefault() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bp-catalogue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Binary.run(["plugins"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        /// The key lines under `plugin`, up to the next plugin.
        func keys(of plugin: String) -> [String] {
            guard let start = lines.firstIndex(where: { $0.hasPrefix("  \(plugin) ") || $0.hasPrefix("  \(plugin), ") }) else { return [] }
            return Array(lines[(start + 1)...].prefix { $0.hasPrefix("      ") })
        }
        XCTAssertEqual(keys(of: "rmsprop"), [
            "      alpha: number in [0, 1) (default 0.99) - α, smoothing of s",
            "      epsilon: number > 0 (default 1e-8) - ε added to the root",
            "      momentum: number ≥ 0 (default 0) - μ: b ← μb + g/r; w ← w − ηb",
            "      centered: boolean (default false) - divide by the variance estimate √(s − ḡ²)",
            "      weight_decay: number ≥ 0 (default 0) - λ: adds λ·w to the gradient",
        ])
        XCTAssertEqual(keys(of: "sgd").first, "      momentum: number ≥ 0 (default 0) - μ")
        XCTAssertEqual(keys(of: "confusion_matrix"), [
            "      file: string (default confusion_matrix.png) - file name in the output folder (.png)",
            "      width: integer in [200, 8000] (default 1000) - image width in pixels",
            "      height: integer in [150, 8000] (default 800) - image height in pixels",
            "      title: string (default the spec's name) - chart title",
            "      part: auto | test | validation | training (default auto) - the data part counted; auto: test, else validation, else training",
        ])
        XCTAssertTrue(keys(of: "loss_curve").contains("      height: integer in [150, 8000] (default 640) - image height in pixels"))
        XCTAssertTrue(keys(of: "step").contains("      step_size: integer ≥ 1 (required) - epochs between reductions"))
        XCTAssertTrue(keys(of: "he_normal").contains("      mode: fan_in | fan_out (default fan_in) - the fan the variance is computed from"))
    }
}
