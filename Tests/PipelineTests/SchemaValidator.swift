import Foundation
import PipelineSpec
import TestSupport
@testable import Pipeline

/// A real draft-07 validator for `bp-pipeline schema`: Python's jsonschema (Debian's
/// python3-jsonschema, installed by Scripts/install-packages.sh), run once for a whole batch of
/// instances. Missing python3 or jsonschema is an error, never a skip.
///
/// Specs become JSON through bp-pipeline's own YAML reader, which follows the YAML 1.2 core
/// schema as yaml-language-server does (PyYAML's YAML 1.1 would read `1e-8` as a string and
/// `yes` as true).
enum SchemaValidator {
    /// One leaf of the validator's error tree: where, which keyword, and jsonschema's message.
    struct Failure: Equatable, CustomStringConvertible {
        let path: String
        let keyword: String
        let message: String
        var description: String { "\(path.isEmpty ? "(top)" : path): \(keyword): \(message)" }
    }

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Checks the schema against the draft-07 meta-schema, then lists the failures of each instance.
    /// An anyOf's failure is reported as the failures of its branches (its leaves).
    static let script = #"""
        import json, sys
        try:
            import jsonschema
        except ImportError as error:
            sys.exit("python3 has no jsonschema module (%s): install python3-jsonschema (Scripts/install-packages.sh)" % error)
        schema = json.load(open(sys.argv[1]))
        try:
            jsonschema.Draft7Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as error:
            sys.exit("not a valid draft-07 schema: %s at %s" % (error.message, "/".join(map(str, error.path))))
        validator = jsonschema.Draft7Validator(schema)
        def leaves(error):
            return [leaf for child in error.context for leaf in leaves(child)] if error.context else [error]
        results = []
        for instance in json.load(open(sys.argv[2])):
            found = [leaf for error in validator.iter_errors(instance) for leaf in leaves(error)]
            results.append(sorted({"/".join(map(str, leaf.absolute_path)) + "\t" + leaf.validator + "\t" + leaf.message for leaf in found}))
        json.dump(results, open(sys.argv[3], "w"))
        """#

    /// The failures of each instance against `schema` (default: this build's schema), in order.
    static func failures(of instances: [JSON], schema: String = SpecSchema.text()) throws -> [[Failure]] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bp-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let schemaURL = folder.appendingPathComponent("schema.json"), instancesURL = folder.appendingPathComponent("instances.json")
        let resultsURL = folder.appendingPathComponent("results.json"), errorsURL = folder.appendingPathComponent("stderr")
        try schema.write(to: schemaURL, atomically: true, encoding: .utf8)
        try JSON.array(instances).serialized().write(to: instancesURL, atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: errorsURL.path, contents: nil)
        let errors = try FileHandle(forWritingTo: errorsURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, schemaURL.path, instancesURL.path, resultsURL.path]
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        process.waitUntilExit()
        try errors.close()
        let stderr = (try? String(contentsOf: errorsURL, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 {
                throw Unavailable(description: "python3 is not on PATH; the schema tests need python3 and python3-jsonschema (Scripts/install-packages.sh): \(stderr)")
            }
            throw Unavailable(description: "the validator failed (exit \(process.terminationStatus)): \(stderr)")
        }
        guard let results = try JSONReader.parse(String(contentsOf: resultsURL, encoding: .utf8)) as? [[String]] else {
            throw Unavailable(description: "the validator wrote no list of results")
        }
        return results.map { lines in
            lines.map { line in
                let parts = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
                return Failure(path: parts[0], keyword: parts[1], message: parts[2])
            }
        }
    }

    /// A spec tree as yaml-language-server sees it: plain scalars resolved by the YAML 1.2 core
    /// schema exactly as bp-pipeline resolves them, quoted scalars strings.
    static func json(_ node: SpecNode) -> JSON {
        switch node.value {
        case .mapping(let entries): return .object(entries.map { ($0.key.scalarString ?? "", json($0.value)) })
        case .sequence(let items): return .array(items.map(json))
        case .scalar(let text, _):
            switch node.kindName {
            case "null": return .null
            case "a boolean": return .bool(text.lowercased() == "true")
            case "a number":
                if let integer = Int(text) { return .integer(integer) }
                if let number = Double(text), number.isFinite { return .number(number) }
                // .inf and .nan have no JSON form; as strings they fail every number schema, as the tool refuses them.
                return .string(text)
            default: return .string(text)
            }
        }
    }
}
