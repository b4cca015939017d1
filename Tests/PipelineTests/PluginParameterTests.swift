import BackpropCore
import Foundation
import PipelineSpec
import Render
import XCTest
@testable import Pipeline

/// Every plugin's declared parameters against what its builder does, and every plugin's
/// documented example run through the engine. The tables come from the registry, so a new
/// plugin is covered without touching this file.
final class PluginParameterTests: XCTestCase {
    /// One plugin of any family, with a way to build it that reports what its builder read.
    struct Entry: Sendable {
        let kind: StageKind
        let description: StageDescription
        /// Builds the plugin a node names; returns that plugin's name and what its builder read.
        let build: @Sendable (SpecNode, SpecContext) throws -> (name: String, read: [ParameterDescription])

        var name: String { description.name }
        var declared: [ParameterDescription] { description.parameters }

        /// The example as a spec fragment and the path of the plugin's node in it: output
        /// examples are list items, so they go under `outputs:`.
        var fragment: (text: String, path: String) {
            let example = description.example
            if example.hasPrefix("- ") { return ("outputs:\n" + indent(example), "outputs.0") }
            return (example, String(example.prefix { $0 != ":" }))
        }
    }

    static let entries: [Entry] = {
        func entries<P>(_ family: PluginFamily<P>) -> [Entry] {
            family.plugins.map { plugin in
                Entry(kind: family.kind, description: plugin.description) { node, context in
                    let (found, arguments) = try family.resolve(node, context: context)
                    _ = try found.make(arguments)
                    try arguments.reader?.finish()
                    return (found.description.name, arguments.readParameters)
                }
            }
        }
        return entries(Registry.data) + entries(Registry.activations) + entries(Registry.losses)
            + entries(Registry.initializers) + entries(Registry.schedules) + entries(Registry.optimizers)
            + entries(Registry.outputs)
    }()

    static func indent(_ text: String, by spaces: Int = 2) -> String {
        let margin = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { margin + $0 }.joined(separator: "\n")
    }

    static func node(at path: String, in root: SpecNode) throws -> SpecNode {
        var node = root
        for part in path.split(separator: ".").map(String.init) {
            if case .sequence(let items) = node.value, let index = Int(part), items.indices.contains(index) {
                node = items[index]
            } else {
                node = try MappingReader(node, part).required(part)
            }
        }
        return node
    }

    /// The example with `KEY.PATH=VALUE` overrides applied (a bare plugin name first becomes
    /// `{type: name}` so keys can be added), built; returns what the builder read.
    static func build(_ entry: Entry, setting overrides: [(key: String, value: String)] = [],
                      context: SpecContext = SpecContext(directory: ".", seed: 1)) throws -> (name: String, read: [ParameterDescription]) {
        let (text, path) = entry.fragment
        var root = try SpecLoader.load(text: text, path: "\(entry.name) example")
        if !overrides.isEmpty, case .scalar = try node(at: path, in: root).value {
            try root.apply(try SpecOverride(parsing: "\(path)={type: \(entry.name)}"))
        }
        for (key, value) in overrides {
            try root.apply(try SpecOverride(parsing: "\(path).\(key)=\(value)"))
        }
        return try entry.build(try node(at: path, in: root), context)
    }

    /// Builds with one key set; it may be refused, but by no message containing any of `reasons`.
    func assertNotRefused(_ entry: Entry, setting: (key: String, value: String), for reasons: [String],
                          file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try Self.build(entry, setting: [setting])
        } catch {
            let message = String(describing: error)
            XCTAssertFalse(reasons.contains { message.contains($0) }, "\(entry.name).\(setting.key) = \(setting.value): \(message)",
                           file: file, line: line)
        }
    }

    func testTheRegistryHasEveryFamily() {
        XCTAssertEqual(Set(Self.entries.map(\.kind)), Set(StageKind.allCases))
        XCTAssertEqual(Self.entries.count, Registry.catalogue().map(\.plugins.count).reduce(0, +))
    }

    /// What `bp-pipeline plugins` prints is `description.parameters`; the builder reads through
    /// `Parameter`s. They must be the same declarations: a key read but not listed, listed but
    /// never read, or read with another default or range than listed fails here.
    func testEachBuilderReadsExactlyTheParametersItsDescriptionLists() throws {
        for entry in Self.entries {
            let (built, read) = try Self.build(entry)
            XCTAssertEqual(built, entry.name, "the example of \(entry.kind) '\(entry.name)' builds '\(built)'")
            let declared = entry.declared
            XCTAssertEqual(Set(declared.map(\.name)).count, declared.count, "\(entry.name) lists a key twice")
            for parameter in read {
                XCTAssertTrue(declared.contains(parameter),
                              "\(entry.kind) \(entry.name) reads '\(parameter.name)' (\(parameter)) as its description does not list it")
            }
            for parameter in declared {
                XCTAssertTrue(read.contains { $0.name == parameter.name }, "\(entry.kind) \(entry.name) lists '\(parameter.name)' but never reads it")
            }
        }
    }

    /// Calls `body` for each declared parameter of every plugin that `include` selects, and
    /// checks there were at least `minimum` (so an emptied table fails instead of passing).
    func forEachParameter(atLeast minimum: Int, where include: (ParameterDescription) -> Bool = { _ in true },
                          _ body: (Entry, ParameterDescription) throws -> Void) rethrows {
        var count = 0
        for entry in Self.entries {
            for parameter in entry.declared where include(parameter) {
                try body(entry, parameter)
                count += 1
            }
        }
        XCTAssertGreaterThanOrEqual(count, minimum)
    }

    /// For every declared range, a value just outside each bound is refused with a message that
    /// names the key, the plugin, the bound and the value, and the bound itself (or a value just
    /// inside an open bound) is not refused for its range.
    func testAValueJustOutsideADeclaredRangeIsRefusedAndTheBoundIsNot() throws {
        try forEachParameter(atLeast: 40, where: { $0.bounds != nil }) { entry, parameter in
            guard let bounds = parameter.bounds else { return }
            let step = parameter.type == "integer" ? 1.0 : 0.001
            func text(_ x: Double) -> String { parameter.type == "integer" ? String(Int(x)) : String(x) }
            let sides = [bounds.lower.map { ($0, bounds.lowerIncluded, -step) },
                         bounds.upper.map { ($0, bounds.upperIncluded, step) }].compactMap { $0 }
            for (bound, included, outward) in sides {
                let outside = text(included ? bound + outward : bound)
                let rangeMessage = "'\(parameter.name)' of \(entry.name) must be"
                XCTAssertThrowsError(try Self.build(entry, setting: [(parameter.name, outside)]),
                                     "\(entry.name).\(parameter.name) = \(outside) is outside \(bounds.text)") { error in
                    let message = String(describing: error)
                    XCTAssertTrue(message.contains(rangeMessage), message)
                    XCTAssertTrue(message.contains(Bounds.format(bound)), "the message names the bound \(bound): \(message)")
                    XCTAssertTrue(message.contains("found \(outside)"), message)
                }
                // Another rule may refuse it (nesterov needs momentum > 0), never the range.
                assertNotRefused(entry, setting: (parameter.name, text(included ? bound : bound - outward)), for: [rangeMessage])
            }
        }
    }

    /// Every declared choice refuses a word that is not one, listing the declared words.
    func testAWordOutsideADeclaredChoiceIsRefusedWithTheChoices() throws {
        try forEachParameter(atLeast: 12, where: { $0.choices != nil }) { entry, parameter in
            let choices = parameter.choices ?? []
            let word = choices[0] + "x"
            XCTAssertThrowsError(try Self.build(entry, setting: [(parameter.name, word)])) { error in
                let listed = choices.map { "'\($0)'" }.joined(separator: ", ")
                XCTAssertTrue(String(describing: error).contains(
                    "'\(parameter.name)' of \(entry.name) must be one of \(listed), found '\(word)'; did you mean '\(choices[0])'?"),
                    String(describing: error))
            }
            for choice in choices {
                // task: regression without targets is refused, but not as a bad word.
                assertNotRefused(entry, setting: (parameter.name, choice), for: ["must be one of"])
            }
        }
    }

    /// A misspelt key is refused with the declared key it is nearest to.
    func testAMisspeltDeclaredKeyIsAnUnknownKeyWithDidYouMean() throws {
        try forEachParameter(atLeast: 60, where: { $0.name.count >= 4 }) { entry, parameter in
            let typo = String(parameter.name.dropLast()) + "z"
            XCTAssertThrowsError(try Self.build(entry, setting: [(typo, "1")]), "\(entry.name).\(typo)") { error in
                let message = String(describing: error)
                // beta1 and beta2 are equally near 'betaz': both are offered.
                XCTAssertTrue(message.contains("unknown key '\(typo)' in '\(entry.kind.rawValue)'; did you mean '"), message)
                XCTAssertTrue(message.contains("'\(parameter.name)'"), message)
            }
        }
    }

    /// A declared default, written out, passes the key's own checks (its type, range and
    /// choices); another rule may still refuse it (the sgd example's nesterov needs momentum > 0).
    func testEveryDeclaredDefaultWrittenOutPassesItsOwnChecks() throws {
        try forEachParameter(atLeast: 60, where: { $0.writtenDefault != nil }) { entry, parameter in
            assertNotRefused(entry, setting: (parameter.name, parameter.writtenDefault ?? ""),
                             for: ["'\(parameter.name)' of \(entry.name) must be", "for '\(parameter.name)'"])
        }
    }
}

