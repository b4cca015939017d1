import Foundation
import XCTest

/// `bp-pipeline schema` and the shell completion scripts, through the real binary.
final class SchemaCommandTests: XCTestCase {
    static let root = Binary.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The contract: the JSON Schema on stdout, nothing on stderr, exit 0; byte for byte the
    /// repository's copy that `Pipelines/*.yaml` name (its freshness against the registry is a
    /// PipelineTests test).
    func testSchemaPrintsTheCommittedSchemaOnStdout() throws {
        let result = try Binary.run(["schema"], in: Self.root)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let committed = try String(contentsOf: Self.root.appendingPathComponent("bp-pipeline.schema.json"), encoding: .utf8)
        XCTAssertTrue(result.stdout == committed, "bp-pipeline schema differs from bp-pipeline.schema.json")
        XCTAssertTrue(result.stdout.hasPrefix("{\n  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n"), result.stdout)
    }

    func testSchemaTakesNoArguments() throws {
        let result = try Binary.run(["schema", "Pipelines/xor.yaml"], in: Self.root)
        XCTAssertEqual(result.status, 64)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.hasPrefix("Error: Unexpected argument 'Pipelines/xor.yaml'\n"), result.stderr)
    }

    /// The README's completion scripts: each shell's script offers every command.
    func testCompletionScriptsOfferEveryCommand() throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try Binary.run(["--generate-completion-script", shell], in: Self.root)
            XCTAssertEqual(result.status, 0, "\(shell): \(result.stderr)")
            for command in ["validate", "plugins", "gradcheck", "schema"] {
                XCTAssertTrue(result.stdout.contains(command), "the \(shell) script offers \(command)")
            }
        }
    }
}
