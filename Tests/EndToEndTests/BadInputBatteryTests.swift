import Foundation
import XCTest

/// The bad-input battery (bad specs, bad data files under `Fixtures/specs/data`, bad command
/// lines): every `Fixtures/specs/NAME.case` runs the real binary on `NAME.yaml`
/// (or the `spec:` it names) with its `args:` and must end with exactly its `exit:` code and
/// exactly the stderr after its `stderr:` line, print nothing on stdout, and leave nothing new on
/// disk. A crash, a trap's stack trace or a hang fails the case.
final class BadInputBatteryTests: XCTestCase {
    struct Case {
        var name: String
        var spec: String?
        var arguments: [String]
        var exit: Int32
        var stderr: String
    }

    struct CaseFileError: Error { var message: String }

    /// Reads a `.case` file: `# note` lines, then `spec:`, `args:`, `exit:` and `stderr:` (the
    /// rest of the file, byte for byte).
    static func parse(_ name: String, _ text: String) throws -> Case {
        var spec: String? = name + ".yaml"
        var arguments: [String] = []
        var exit: Int32?
        var rest = Substring(text)
        while let newline = rest.firstIndex(of: "\n") {
            let line = rest[..<newline]
            rest = rest[rest.index(after: newline)...]
            if line.hasPrefix("#") { continue }
            if line == "stderr:" {
                return Case(name: name, spec: spec, arguments: arguments,
                            exit: try XCTUnwrap(exit, "\(name).case: no exit: line"), stderr: String(rest))
            }
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual(parts.count, 2, "\(name).case: cannot read '\(line)'")
            switch parts.first {
            case "spec": spec = parts[1].isEmpty ? nil : parts[1]
            case "args": arguments = try words(parts[1])
            case "exit": exit = Int32(parts[1])
            default: XCTFail("\(name).case: unknown field '\(line)'")
            }
        }
        throw CaseFileError(message: "\(name).case: no 'stderr:' line")
    }

    /// Splits on spaces; single quotes group (`''` is an empty argument), as a shell would.
    static func words(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false, started = false
        for character in text {
            if character == "'" { quoted.toggle(); started = true; continue }
            if character == " " && !quoted {
                if started { words.append(current) }
                current = ""
                started = false
                continue
            }
            current.append(character)
            started = true
        }
        XCTAssertFalse(quoted, "unbalanced quote in '\(text)'")
        if started { words.append(current) }
        return words
    }

    static func cases() throws -> [Case] {
        let folder = Binary.fixtures.appendingPathComponent("specs")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".case") }.sorted()
            .map { file in
                let text = String(decoding: try Data(contentsOf: folder.appendingPathComponent(file)), as: UTF8.self)
                return try parse(String(file.dropLast(".case".count)), text)
            }
    }

    func testEveryBadInputGetsItsExactMessageAndExitCode() throws {
        let cases = try Self.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 40)
        let folder = try Binary.copyOfFixtures("specs")
        defer { try? FileManager.default.removeItem(at: folder) }

        // Every fixture is one change away from this spec, which must itself be valid.
        let valid = try Binary.run(["validate", "valid.yaml"], in: folder)
        XCTAssertEqual(valid.status, 0, valid.stderr)

        let before = Binary.listing(folder)
        var exitCodes: Set<Int32> = []
        for item in cases {
            let result = try Binary.run((item.spec.map { [$0] } ?? []) + item.arguments, in: folder)
            XCTAssertFalse(result.signalled, "\(item.name): killed by signal \(result.status)")
            XCTAssertEqual(result.status, item.exit, "\(item.name): exit code; stderr:\n\(result.stderr)")
            XCTAssertEqual(result.stderr, item.stderr, "\(item.name): stderr")
            XCTAssertEqual(result.stdout, "", "\(item.name): stdout")
            for trap in ["Fatal error", "Backtracing", "Program crashed", "Stack dump"] {
                XCTAssertFalse(result.stderr.contains(trap), "\(item.name): \(trap)")
            }
            XCTAssertEqual(Binary.listing(folder), before, "\(item.name) left files behind")
            exitCodes.insert(result.status)
        }
        XCTAssertEqual(exitCodes, [64, 65, 66, 73], "the battery covers each input exit code")
    }

    func testCaseFilesParse() throws {
        XCTAssertEqual(try Self.words("--out '' --set a=b"), ["--out", "", "--set", "a=b"])
        let item = try Self.parse("x", "# note\nargs: --out 'a b'\nexit: 73\nstderr:\nline 1\n  line 2\n")
        XCTAssertEqual(item.spec, "x.yaml")
        XCTAssertEqual(item.arguments, ["--out", "a b"])
        XCTAssertEqual(item.exit, 73)
        XCTAssertEqual(item.stderr, "line 1\n  line 2\n")
    }
}
