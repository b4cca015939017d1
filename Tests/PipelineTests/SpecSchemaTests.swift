import Foundation
import PipelineSpec
import TestSupport
import XCTest
@testable import Pipeline

/// `bp-pipeline schema` against a real draft-07 validator and against the tool itself: every spec
/// the tool accepts validates, and spec errors a schema can express (misspelt keys, wrong types,
/// values out of range, unknown plugins) fail it, found where the tool finds them.
final class SpecSchemaTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What the tool says of a spec tree: nil when it decodes, else the error's first line.
    static func toolError(_ root: SpecNode) -> String? {
        do {
            // A sweep's spec is accepted when every one of its runs is.
            if let plan = try SweepPlan.plan(root, request: RunRequest(specPath: "/specs/base.yaml")) {
                _ = try plan.definitions()
            } else {
                _ = try PipelineDefinition.decode(root, specPath: "/specs/base.yaml", specDigest: "", overrides: [])
            }
            return nil
        } catch {
            return String(describing: error).split(separator: "\n").first.map(String.init) ?? "error"
        }
    }

    /// A small spec the tool accepts, in which every plugin kind and fixed section has a place:
    /// both layers name their activation (so the top-level one can be anything, or null), the
    /// loss constrains no activation, and the data holds out a validation part (monitors of
    /// val_loss are valid).
    static let base = """
        name: base
        seed: 1
        data:
          type: inline
          inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]
          targets: [[0], [1], [1], [0]]
          validation: 0.5
        network:
          inputs: 2
          layers:
            - units: 3
              activation: tanh
            - units: 1
              activation: sigmoid
        activation: sigmoid
        loss: mse
        learning_rate: {type: constant, value: 0.1}
        training:
          epochs: 2
        outputs:
          - type: metrics
        """

    /// The base with `--set` overrides applied (`training.epochs=0`; `KEY=` sets null).
    static func spec(_ overrides: [String]) throws -> SpecNode {
        var root = try SpecLoader.load(text: base, path: "/specs/base.yaml")
        for argument in overrides { try root.apply(try SpecOverride(parsing: argument)) }
        return root
    }

    func testTheSchemaIsDraft07WithItsIdentity() throws {
        let document = SpecSchema.document().members
        XCTAssertEqual(document.prefix(3).map(\.0), ["$schema", "$id", "title"])
        XCTAssertEqual(document.first { $0.0 == "$schema" }?.1, .string("http://json-schema.org/draft-07/schema#"))
        // The validator checks it against the draft-07 meta-schema before validating anything.
        let base = try Self.spec([])
        XCTAssertEqual(try SchemaValidator.failures(of: [SchemaValidator.json(base)]), [[]])
        XCTAssertNil(Self.toolError(base))
    }

    /// Every example, every fixture the tool accepts and every plugin's documented example,
    /// placed in a spec, validate without a single failure.
    func testEverySpecTheToolAcceptsValidates() throws {
        var specs: [(String, SpecNode)] = []
        let manager = FileManager.default
        for folder in ["Pipelines", "Tests/EndToEndTests/Fixtures/outcomes", "Tests/EndToEndTests/Fixtures/specs"] {
            let url = Self.root.appendingPathComponent(folder)
            for file in try manager.contentsOfDirectory(atPath: url.path).sorted() where file.hasSuffix(".yaml") {
                let path = url.appendingPathComponent(file).path
                guard let root = try? SpecLoader.load(path: path) else { continue }
                // A sweep's spec is accepted when its runs are (SweepPlan decodes each); the schema sees it whole.
                let accepted = root["sweep"] == nil
                    ? (try? PipelineDefinition.decode(root, specPath: path, specDigest: "", overrides: [])) != nil
                    : (try? SweepPlan.plan(root, request: RunRequest(specPath: path))?.definitions()) != nil
                if folder == "Pipelines" { XCTAssertTrue(accepted, "\(file) is an example, so the tool accepts it") }
                if accepted { specs.append(("\(folder)/\(file)", root)) }
            }
        }
        for entry in PluginParameterTests.entries {
            let text = PluginExampleRunTests.spec(entry, inputs: 2, outputs: 1)
            let root = try SpecLoader.load(text: text, path: "/specs/\(entry.name).yaml")
            XCTAssertNil(Self.toolError(root), "the example of \(entry.name)")
            specs.append(("example of \(entry.kind.rawValue) \(entry.name)", root))
        }
        let pipelines = specs.filter { $0.0.hasPrefix("Pipelines/") }.count
        XCTAssertEqual(pipelines, 10)
        XCTAssertGreaterThanOrEqual(specs.count - pipelines - PluginParameterTests.entries.count, 30, "the fixtures the tool accepts")
        let failures = try SchemaValidator.failures(of: specs.map { SchemaValidator.json($0.1) })
        for ((name, _), found) in zip(specs, failures) {
            XCTAssertEqual(found, [], name)
        }
    }

    /// Each line: the overrides, and the failure the schema reports (path, keyword, part of the
    /// message). The tool rejects every one of them too.
    static let mistakes: [(overrides: [String], path: String, keyword: String, message: String)] = [
        (["epoch=5"], "", "additionalProperties", "'epoch' was unexpected"),
        (["trainingg.epochs=2"], "", "additionalProperties", "'trainingg' was unexpected"),
        (["network.layers.0.unit=3"], "network/layers/0", "additionalProperties", "'unit' was unexpected"),
        (["activation={type: leaky_relu, alpah: 0.1}"], "activation", "additionalProperties", "'alpah' was unexpected"),
        (["training.optimizer={type: sgd, beta1: 0.9}"], "training/optimizer", "additionalProperties", "'beta1' was unexpected"),
        (["outputs.0={type: loss_curve, widht: 800}"], "outputs/0", "additionalProperties", "'widht' was unexpected"),
        (["training.epochs='100'"], "training/epochs", "type", "'100' is not of type 'integer'"),
        (["training.epochs=ten"], "training/epochs", "type", "'ten' is not of type 'integer'"),
        (["training.epochs=2.5"], "training/epochs", "type", "2.5 is not of type 'integer'"),
        (["training.shuffle=yes"], "training/shuffle", "type", "'yes' is not of type 'boolean'"),
        (["training.epochs="], "training/epochs", "type", "None is not of type 'integer'"),
        (["training.batch_size=all"], "training/batch_size", "const", "'full' was expected"),
        (["training.batch_size=0"], "training/batch_size", "minimum", "0 is less than the minimum of 1"),
        (["training.epochs=0"], "training/epochs", "minimum", "0 is less than the minimum of 1"),
        (["seed=-1"], "seed", "minimum", "-1 is less than the minimum of 0"),
        (["learning_rate.value=0"], "learning_rate/value", "exclusiveMinimum", "0 is less than or equal to the minimum of 0"),
        (["learning_rate=0"], "learning_rate", "exclusiveMinimum", "0 is less than or equal to the minimum of 0"),
        (["training.optimizer={type: adam, beta1: 1}"], "training/optimizer/beta1", "exclusiveMaximum", "1 is greater than or equal to the maximum of 1"),
        (["outputs.0={type: loss_curve, width: 100}"], "outputs/0/width", "minimum", "100 is less than the minimum of 200"),
        (["data.validation=1"], "data/validation", "exclusiveMaximum", "1 is greater than or equal to the maximum of 1"),
        (["activation=relu6"], "activation", "enum", "'relu6' is not one of ['sigmoid'"),
        (["training.optimizer={type: adamm}"], "training/optimizer/type", "enum", "'adamm' is not one of ['sgd'"),
        (["network.init={type: he_uniform, mode: fan_avg}"], "network/init/mode", "enum", "'fan_avg' is not one of ['fan_in', 'fan_out']"),
        (["outputs.0={type: loss_curve, scale: logarithmic}"], "outputs/0/scale", "enum", "'logarithmic' is not one of"),
        // constant needs its value, so it has no bare form.
        (["learning_rate=constant"], "learning_rate", "type", "'constant' is not of type 'object'"),
        (["learning_rate={type: step, value: 0.1}"], "learning_rate", "required", "'step_size' is a required property"),
        (["outputs={type: metrics}"], "outputs", "type", "is not of type 'array', 'null'"),
        (["sweep={activation.type: relu}"], "sweep/activation.type", "type", "'relu' is not of type 'array'"),
        (["sweep={activation.type: []}"], "sweep/activation.type", "minItems", "[] should be non-empty"),
        (["sweep={seeds: [1, -1]}"], "sweep/seeds/1", "minimum", "-1 is less than the minimum of 0"),
        (["sweep={seeds: [2, 2]}"], "sweep/seeds", "uniqueItems", "has non-unique elements"),
        (["sweep={output_dir: [a, b]}"], "sweep", "not", "should not be valid"),
        (["sweep={seed: [1, 2]}"], "sweep", "not", "should not be valid"),
        (["sweep={}"], "sweep", "minProperties", "{} should be non-empty"),
    ]

    /// `learning_rate: 0.05` is `{type: constant, value: 0.05}`: the schema accepts it, the tool
    /// builds the constant schedule, and a bad number gets the constant schedule's message at it.
    func testABareLearningRateIsAConstantSchedule() throws {
        func spec(_ learningRate: String) throws -> SpecNode {
            try SpecLoader.load(text: Self.base.replacingOccurrences(of: "learning_rate: {type: constant, value: 0.1}", with: "learning_rate: \(learningRate)"),
                                path: "/specs/base.yaml")
        }
        let root = try spec("0.05")
        XCTAssertEqual(try SchemaValidator.failures(of: [SchemaValidator.json(root)]), [[]])
        let definition = try PipelineDefinition.decode(root, specPath: "/specs/base.yaml", specDigest: "", overrides: [])
        XCTAssertEqual(definition.schedule.name, "constant")
        XCTAssertEqual(definition.schedule.baseRate, 0.05)
        XCTAssertEqual((1...3).map { definition.schedule.rate(epoch: $0, previous: nil) }, [0.05, 0.05, 0.05])
        let line = try XCTUnwrap(Self.base.split(separator: "\n").firstIndex { $0.hasPrefix("learning_rate:") }) + 1
        // The number is where the written form's value is (column 16 against 40): the same message there.
        XCTAssertEqual(Self.toolError(try spec("0")), "/specs/base.yaml:\(line):16: error: 'value' of constant must be greater than 0, found 0")
        XCTAssertEqual(Self.toolError(try spec("{type: constant, value: 0}")), "/specs/base.yaml:\(line):40: error: 'value' of constant must be greater than 0, found 0")
        // A word is still a schedule's name.
        let fast = Self.toolError(try spec("fast")) ?? ""
        XCTAssertTrue(fast.hasPrefix("/specs/base.yaml:\(line):16: error: unknown learning rate schedule 'fast'"), fast)
    }

    func testMisspeltKeysWrongTypesRangesAndUnknownPluginsFail() throws {
        let roots = try Self.mistakes.map { try Self.spec($0.overrides) }
        let failures = try SchemaValidator.failures(of: roots.map(SchemaValidator.json))
        for (index, mistake) in Self.mistakes.enumerated() {
            let name = mistake.overrides.joined(separator: " ")
            XCTAssertNotNil(Self.toolError(roots[index]), "the tool rejects \(name)")
            XCTAssertTrue(failures[index].contains { $0.path == mistake.path && $0.keyword == mistake.keyword && $0.message.contains(mistake.message) },
                          "\(name): \(failures[index])")
        }
    }

    /// Where each plugin kind sits in the base spec.
    static let places: [StageKind: String] = [
        .data: "data", .activation: "activation", .loss: "loss", .initializer: "network.init",
        .learningRate: "learning_rate", .optimizer: "training.optimizer", .output: "outputs.0",
    ]

    /// A value inside a key's range, for the keys a plugin requires.
    static func sample(_ parameter: ParameterDescription) -> String? {
        if let choice = parameter.choices?.first { return choice }
        switch parameter.type {
        case "number", "integer":
            let bounds = parameter.bounds
            let low = bounds?.lower, high = bounds?.upper
            let x = low.map { l in high.map { ($0 + l) / 2 } ?? l + 1 } ?? high.map { $0 - 1 } ?? 0.5
            return parameter.type == "integer" ? String(Int(x.rounded(.up))) : String(x)
        case "string": return "x.bin"
        case "list of rows": return "[[0, 1]]"
        case "list of integers": return "[2, 4]"
        default: return nil
        }
    }

    /// Values to try for a key whose value schema is `value`: null, a mapping, the edges of
    /// its range and just inside and outside them, a quoted number, a fraction for an integer,
    /// YAML 1.1's `yes` for a boolean.
    static func trials(for value: JSON) -> [String] {
        var values = ["", "{zz: 1}"]
        let members = value.members
        func number(_ key: String) -> Double? {
            switch members.first(where: { $0.0 == key })?.1 {
            case .integer(let n)?: return Double(n)
            case .number(let x)?: return x
            default: return nil
            }
        }
        if members.contains(where: { $0.0 == "enum" }) { values.append("zz_word") }
        guard case .string(let type)? = members.first(where: { $0.0 == "type" })?.1 else { return values }
        let step = type == "integer" ? 1.0 : 0.001
        func written(_ x: Double) -> String { type == "integer" ? String(Int(x)) : String(x) }
        switch type {
        case "number", "integer":
            values += ["'1'"]
            if type == "integer" { values.append("1.5") }
            for key in ["minimum", "exclusiveMinimum"] { if let low = number(key) { values += [low - step, low, low + step].map(written) } }
            for key in ["maximum", "exclusiveMaximum"] { if let high = number(key) { values += [high - step, high, high + step].map(written) } }
        case "boolean": values += ["yes", "false"]
        default: break
        }
        return values
    }

    /// Every key of every plugin and fixed section, with values around its declaration: the schema
    /// accepts exactly the values the tool accepts. Also every plugin by bare name and unknown
    /// names. Rules between keys are kept out of the way by the base spec.
    func testTheSchemaAgreesWithTheToolKeyByKey() throws {
        var cases: [(name: String, root: SpecNode)] = []
        func add(_ overrides: [String]) throws {
            cases.append((overrides.joined(separator: " "), try Self.spec(overrides)))
        }
        for entry in PluginParameterTests.entries {
            let place = try XCTUnwrap(Self.places[entry.kind])
            // cross_entropy reads softmax outputs (a check between keys).
            let head = entry.name == "cross_entropy" ? ["network.layers.1.activation=softmax"] : []
            var required = ["type: \(entry.name)"]
            for parameter in entry.declared where parameter.defaultValue == nil {
                required.append("\(parameter.name): \(try XCTUnwrap(Self.sample(parameter), "a sample of \(parameter.type)"))")
            }
            let plugin = head + ["\(place)={\(required.joined(separator: ", "))}"]
            try add(plugin)
            for name in [entry.name] + entry.description.aliases { try add(head + ["\(place)=\(name)"]) }
            try add(plugin + ["\(place).\(entry.declared.first?.name ?? "type")x=1"])
            for parameter in entry.declared {
                for value in Self.trials(for: SpecSchema.value(of: parameter)) {
                    try add(plugin + ["\(place).\(parameter.name)=\(value)"])
                }
            }
        }
        for (kind, place) in Self.places {
            try add(["\(place)=zz_unknown"])
            try add(["\(place)={type: zz_unknown}"])
            try add(["\(place)={\(kind == .output ? "file" : "value"): 1}"])
        }
        // training.validation and data.validation together are an error between keys.
        let sections: [(String, [SpecSchema.Key], [String])] = [
            ("", SpecSchema.topLevelKeys, []), ("network", SpecSchema.networkKeys, []),
            ("network.layers.0", SpecSchema.layerKeys, []), ("training", SpecSchema.trainingKeys, ["data.validation="]),
            ("training.early_stopping", SpecSchema.earlyStoppingKeys, []),
            ("training.regularization", SpecSchema.regularizationKeys, []),
        ]
        for (place, keys, head) in sections {
            let prefix = place.isEmpty ? "" : place + "."
            try add(head + ["\(prefix)zz_unknown=1"])
            for key in keys {
                for value in Self.trials(for: key.value) { try add(head + ["\(prefix)\(key.name)=\(value)"]) }
            }
        }
        for value in ["full", "'full'", "1", "0", "all", "2.5"] { try add(["training.batch_size=\(value)"]) }

        let failures = try SchemaValidator.failures(of: cases.map { SchemaValidator.json($0.root) })
        var accepted = 0
        for (index, (name, root)) in cases.enumerated() {
            let tool = Self.toolError(root)
            if tool == nil { accepted += 1 }
            if tool == nil {
                XCTAssertEqual(failures[index], [], "the tool accepts \(name); the schema must too")
            } else {
                XCTAssertFalse(failures[index].isEmpty, "the tool rejects \(name) (\(tool!)); the schema accepts it")
            }
        }
        // Both verdicts occur often: the agreement is not everything accepted, or everything refused.
        XCTAssertGreaterThan(accepted, 150)
        XCTAssertGreaterThan(cases.count - accepted, 300)
    }

    /// The readers' own lists of keys (the "known keys" hint of an unknown key) are the schema's.
    func testTheFixedSectionsHaveTheKeysTheirReadersRead() throws {
        let sections: [(String, [SpecSchema.Key], [String])] = [
            ("the spec", SpecSchema.topLevelKeys, ["zz_unknown=1"]),
            ("'network'", SpecSchema.networkKeys, ["network.zz_unknown=1"]),
            ("layer 1", SpecSchema.layerKeys, ["network.layers.0.zz_unknown=1"]),
            ("'training'", SpecSchema.trainingKeys, ["training.zz_unknown=1"]),
            ("'early_stopping'", SpecSchema.earlyStoppingKeys, ["training.early_stopping.zz_unknown=1"]),
            ("'regularization'", SpecSchema.regularizationKeys, ["training.regularization.zz_unknown=1"]),
        ]
        for (place, keys, overrides) in sections {
            let root = try Self.spec(overrides)
            do {
                _ = try PipelineDefinition.decode(root, specPath: "/specs/base.yaml", specDigest: "", overrides: [])
                XCTFail("\(overrides) decoded")
            } catch let error as SpecError {
                XCTAssertEqual(error.message, "unknown key 'zz_unknown' in \(place)")
                let known = try XCTUnwrap(error.hint?.split(separator: ":", maxSplits: 1).last)
                    .split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " '")) }
                XCTAssertEqual(Set(known), Set(keys.map(\.name)), place)
                XCTAssertEqual(known.count, keys.count, place)
            }
        }
    }

    static func member(_ json: JSON, _ key: String) -> JSON? { json.members.first { $0.0 == key }?.1 }

    static func strings(_ json: JSON?) -> [String] {
        guard case .array(let items)? = json else { return [] }
        return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }

    /// A family's definition: its forms (bare names, then the mapping) and the mapping's
    /// branches as (names of the `if`, the `then`).
    static func family(_ kind: StageKind) throws -> (forms: [JSON], branches: [(names: [String], then: JSON)]) {
        let definitions = try XCTUnwrap(member(SpecSchema.document(), "definitions"))
        let definition = try XCTUnwrap(member(definitions, kind.rawValue), kind.rawValue)
        guard case .array(let forms)? = member(definition, "anyOf"), let mapping = forms.last,
              case .array(let branches)? = member(mapping, "allOf") else { throw SchemaValidator.Unavailable(description: "\(kind) has no forms") }
        return (forms, try branches.map { branch in
            let condition = try XCTUnwrap(member(try XCTUnwrap(member(try XCTUnwrap(member(branch, "if")), "properties")), "type"))
            return (strings(member(condition, "enum")), try XCTUnwrap(member(branch, "then")))
        })
    }

    /// Generated from the registry: every plugin of `Registry.catalogue()` under its kind, with
    /// exactly its declared keys, their defaults, ranges, choices and required ones.
    func testEveryPluginAndParameterOfTheRegistryIsInTheSchema() throws {
        var checked = 0
        for family in Registry.catalogue() {
            let (forms, branches) = try Self.family(family.kind)
            let names = family.plugins.flatMap { [$0.name] + $0.aliases }
            let mapping = try XCTUnwrap(forms.last)
            XCTAssertEqual(Self.strings(Self.member(try XCTUnwrap(Self.member(mapping, "properties")).members[0].1, "enum")), names)
            let bare = family.plugins.filter { $0.parameters.allSatisfy { $0.defaultValue != nil } }.flatMap { [$0.name] + $0.aliases }
            XCTAssertEqual(forms.count == 2 ? Self.strings(Self.member(forms[0], "enum")) : [], bare, family.kind.rawValue)
            XCTAssertEqual(branches.count, family.plugins.count)
            for (plugin, branch) in zip(family.plugins, branches) {
                XCTAssertEqual(branch.names, [plugin.name] + plugin.aliases)
                XCTAssertEqual(Self.member(branch.then, "additionalProperties"), .bool(false))
                let properties = try XCTUnwrap(Self.member(branch.then, "properties")).members
                XCTAssertEqual(properties.map(\.0), ["type"] + plugin.parameters.map(\.name), plugin.name)
                XCTAssertEqual(Self.strings(Self.member(branch.then, "required")),
                               ["type"] + plugin.parameters.filter { $0.defaultValue == nil }.map(\.name), plugin.name)
                for (parameter, (_, property)) in zip(plugin.parameters, properties.dropFirst()) {
                    let what = "\(plugin.name).\(parameter.name)"
                    let written = parameter.writtenDefault.flatMap { SpecSchema.written($0, type: parameter.type) }
                    XCTAssertEqual(Self.member(property, "default"), written, what)
                    XCTAssertEqual(parameter.writtenDefault != nil, written != nil, what)
                    let detail = parameter.defaultValue.map { "default \($0)" } ?? "required"
                    XCTAssertEqual(Self.member(property, "description"), .string("\(parameter.summary) (\(parameter.valueText); \(detail))"), what)
                    // A key with a default reads null as absent: a choice is then anyOf [the words, null].
                    if let choices = parameter.choices {
                        var words = Self.member(property, "enum")
                        if case .array(let union)? = Self.member(property, "anyOf") { words = union.first.flatMap { Self.member($0, "enum") } }
                        XCTAssertEqual(Self.strings(words), choices, what)
                    }
                    if let bounds = parameter.bounds {
                        let low = bounds.lower.map { (bounds.lowerIncluded ? "minimum" : "exclusiveMinimum", $0) }
                        let high = bounds.upper.map { (bounds.upperIncluded ? "maximum" : "exclusiveMaximum", $0) }
                        for (keyword, limit) in [low, high].compactMap({ $0 }) {
                            let found = Self.member(property, keyword)
                            XCTAssertTrue(found == .integer(Int(limit)) || found == .number(limit), "\(what) \(keyword) \(String(describing: found))")
                        }
                    }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 70)
        // Spot checks, written out.
        func property(_ kind: StageKind, _ plugin: String, _ key: String) throws -> String {
            let then = try XCTUnwrap(try Self.family(kind).branches.first { $0.names.contains(plugin) }?.then)
            return try XCTUnwrap(Self.member(try XCTUnwrap(Self.member(then, "properties")), key)).serialized()
        }
        XCTAssertEqual(try property(.activation, "leaky_relu", "alpha"), """
            {
              "description": "slope for x ≤ 0 (number ≥ 0; default 0.01)",
              "type": ["number", "null"],
              "minimum": 0,
              "default": 0.01
            }

            """)
        XCTAssertEqual(try property(.optimizer, "adam", "beta1"), """
            {
              "description": "β₁, decay of the first moment (number in [0, 1); default 0.9)",
              "type": ["number", "null"],
              "minimum": 0,
              "exclusiveMaximum": 1,
              "default": 0.9
            }

            """)
        XCTAssertEqual(try property(.initializer, "he_uniform", "mode"), """
            {
              "description": "the fan the variance is computed from (fan_in | fan_out; default fan_in)",
              "anyOf": [
                {
                  "enum": ["fan_in", "fan_out"]
                },
                {
                  "type": "null"
                }
              ],
              "default": "fan_in"
            }

            """)
        XCTAssertEqual(try property(.learningRate, "step", "step_size"), """
            {
              "description": "epochs between reductions (integer ≥ 1; required)",
              "type": "integer",
              "minimum": 1
            }

            """)
    }

    /// Every type word of the catalogue stands for a JSON shape (an unknown one would be `{}`, anything).
    func testEveryParameterTypeHasAShape() {
        for family in Registry.catalogue() {
            for plugin in family.plugins {
                for parameter in plugin.parameters {
                    XCTAssertNotEqual(SpecSchema.value(of: parameter), .object([]), "\(plugin.name).\(parameter.name): \(parameter.type)")
                }
            }
        }
    }

    /// Editors read the committed copy (a fresh clone works without a build); it is exactly
    /// what this build prints, and every example names it on its first line.
    func testTheCommittedSchemaIsCurrentAndEveryExampleNamesIt() throws {
        let committed = try String(contentsOf: Self.root.appendingPathComponent(SpecSchema.fileName), encoding: .utf8)
        XCTAssertTrue(committed == SpecSchema.text(),
                      "\(SpecSchema.fileName) is stale: run `swift run bp-pipeline schema > \(SpecSchema.fileName)` and commit it")
        let folder = Self.root.appendingPathComponent("Pipelines")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(text.split(separator: "\n").first, "# yaml-language-server: $schema=../\(SpecSchema.fileName)", file)
        }
    }
}
