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

    /// The bash script completes as a user's Tab does: commands by prefix, spec files (.yaml and
    /// .yml only, folders to descend into) after a command, folders for --out, --format's words.
    /// bash calls the completion function with (command, current word, previous word).
    func testBashCompletionCompletesCommandsSpecsAndFolders() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bp-completion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("runs"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["a.yaml", "b.yml", "c.txt"] { FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data()) }
        let script = try Binary.run(["--generate-completion-script", "bash"], in: folder)
        XCTAssertEqual(script.status, 0, script.stderr)
        try script.stdout.write(to: folder.appendingPathComponent("completion.bash"), atomically: true, encoding: .utf8)
        let driver = #"""
            source ./completion.bash
            complete() {
                COMP_LINE="$1"; read -ra COMP_WORDS <<< "$1"
                [[ "$1" == *" " ]] && COMP_WORDS+=("")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_POINT=${#COMP_LINE}; COMPREPLY=()
                _bp-pipeline bp-pipeline "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf '%s\n' "$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')"
            }
            complete "bp-pipeline va"
            complete "bp-pipeline run "
            complete "bp-pipeline validate a.yaml --out r"
            complete "bp-pipeline explain a.yaml --format "
            complete "bp-pipeline gradcheck a.yaml --tol"
            """#
        let result = try Binary.run(["-c", driver], in: folder, program: "/bin/bash")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n", omittingEmptySubsequences: false), [
            "validate ", "a.yaml b.yml runs ", "runs ", "latex markdown text ", "--tolerance ", "",
        ])
    }
}
