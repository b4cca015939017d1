import BackpropCore
import PipelineSpec
import XCTest
@testable import Pipeline

/// The registry: names, lookups, "did you mean", and every plugin's own example.
final class RegistryTests: XCTestCase {
    let context = SpecContext(directory: ".", seed: 1)

    func testNamesAreUniqueSnakeCaseWithinEachFamily() {
        for family in Registry.catalogue() {
            let names = family.plugins.flatMap { [$0.name] + $0.aliases }
            XCTAssertEqual(Set(names).count, names.count, "duplicate name in \(family.kind)")
            for name in names {
                XCTAssertNotNil(name.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression),
                                "\(family.kind) plugin '\(name)' is not snake_case")
            }
        }
    }

    func testLookupByNameAndAlias() {
        XCTAssertEqual(Registry.activations.plugin(named: "sigmoid")?.description.name, "sigmoid")
        XCTAssertEqual(Registry.activations.plugin(named: "identity")?.description.name, "linear")
        XCTAssertEqual(Registry.outputs.plugin(named: "history")?.description.name, "history")
        XCTAssertNil(Registry.activations.plugin(named: "relu6"))
    }

    func testUnknownNameSuggestsTheNearestKnownName() throws {
        let node = try SpecLoader.load(text: "activation:\n  type: relu6\n", path: "spec.yaml")
        let activation = try XCTUnwrap(MappingReader(node, "spec").optional("activation"))
        XCTAssertThrowsError(try Registry.activations.make(from: activation, context: context)) { error in
            let text = String(describing: error)
            XCTAssertEqual(text, """
                spec.yaml:2:9: error: unknown activation 'relu6'; did you mean 'relu'?
                      type: relu6
                            ^
                    hint: known: \(Registry.activations.names.joined(separator: ", "))
                """)
        }
    }

    func testBareNameAndMappingFormsBuildTheSamePlugin() throws {
        let spec = try SpecLoader.load(text: "a: tanh\nb: {type: tanh}\n", path: "a.yaml")
        let reader = try MappingReader(spec, "spec")
        XCTAssertEqual(try Registry.activations.make(from: try reader.required("a"), context: context).name, "tanh")
        XCTAssertEqual(try Registry.activations.make(from: try reader.required("b"), context: context).name, "tanh")
    }

    func testAnUnknownKeyInsideAPluginMappingIsAnError() throws {
        let spec = try SpecLoader.load(text: "lr: {type: constant, value: 0.5, valeu: 1}", path: "lr.yaml")
        let node = try MappingReader(spec, "spec").required("lr")
        XCTAssertThrowsError(try Registry.schedules.make(from: node, context: context)) { error in
            XCTAssertTrue(String(describing: error).contains("unknown key 'valeu'"), String(describing: error))
        }
    }

    /// Every plugin's description carries an example; each one must build as written.
    func testEveryPluginsExampleBuilds() throws {
        func node(of example: String, name: String) throws -> SpecNode {
            // Output examples are list items; give them a key so the fragment is a mapping.
            let text = example.hasPrefix("- ")
                ? "outputs:\n" + example.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
                : example
            let root = try SpecLoader.load(text: text, path: "\(name) example")
            switch root.value {
            case .mapping(let pairs) where pairs.count == 1:
                if case .sequence(let items) = pairs[0].value.value, items.count == 1 { return items[0] }
                return pairs[0].value
            default: return root
            }
        }
        func check<P>(_ family: PluginFamily<P>) throws {
            for plugin in family.plugins {
                let name = plugin.description.name
                XCTAssertFalse(plugin.description.example.isEmpty, "\(name) has no example")
                let built = try family.make(from: try node(of: plugin.description.example, name: name), context: context)
                XCTAssertEqual(built.name, name, "the example of '\(name)' builds '\(built.name)'")
            }
        }
        try check(Registry.data)
        try check(Registry.activations)
        try check(Registry.losses)
        try check(Registry.initializers)
        try check(Registry.schedules)
        try check(Registry.optimizers)
        try check(Registry.outputs)
    }
}
