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
                    hint: known: sigmoid, tanh, relu, leaky_relu, elu, selu, softplus, gelu, swish, linear, softmax
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

    /// The ranges that `bp-pipeline plugins` and the builders once stated differently, and the
    /// messages for the bounds of each shape (exact text, at the value's line and column).
    func testRangeMessagesAtTheirBounds() throws {
        let cases: [(family: String, text: String, message: String?)] = [
            // torch.optim.SGD only asks momentum ≥ 0; the catalogue used to say [0, 1).
            ("optimizer", "{type: sgd, momentum: 1.5}", nil),
            ("optimizer", "{type: sgd, momentum: -0.1}", "x.yaml:1:34: error: 'momentum' of sgd must be 0 or greater, found -0.1"),
            ("optimizer", "{type: sgd, dampening: 1.5}", "x.yaml:1:35: error: 'dampening' of sgd must be between 0 and 1, found 1.5"),
            // RMSprop's α = 1 never moves s from 0, so each step would be η·g/ε; it was accepted.
            ("optimizer", "{type: rmsprop, alpha: 1}", "x.yaml:1:35: error: 'alpha' of rmsprop must be at least 0 and less than 1, found 1"),
            ("optimizer", "{type: rmsprop, alpha: 0}", nil),
            ("optimizer", "{type: adam, beta2: 1.0}", "x.yaml:1:32: error: 'beta2' of adam must be at least 0 and less than 1, found 1.0"),
            ("learning_rate", "{type: reduce_on_plateau, value: 0.1, factor: 1}",
             "x.yaml:1:62: error: 'factor' of reduce_on_plateau must be strictly between 0 and 1, found 1"),
            ("learning_rate", "{type: step, value: 0.1, step_size: 0}", "x.yaml:1:52: error: 'step_size' of step must be at least 1, found 0"),
            ("learning_rate", "{type: step, value: 0.1}", "x.yaml:1:16: error: missing required key 'step_size' in 'learning_rate'"),
            ("learning_rate", "{type: exponential, value: 0.1, gamma: null}", "x.yaml:1:55: error: 'gamma' of exponential has no value"),
            ("output", "{type: loss_curve, width: 8001}", "x.yaml:1:35: error: 'width' of loss_curve must be between 200 and 8000, found 8001"),
            ("output", "{type: decision_boundary, resolution: 19}",
             "x.yaml:1:47: error: 'resolution' of decision_boundary must be between 20 and 1000, found 19"),
            ("init", "{type: uniform, low: 1}", "x.yaml:1:7: error: 'high' of uniform must be greater than 'low' (1), found 1"),
            ("init", "{type: he_normal, mode: fan_inn}",
             "x.yaml:1:31: error: 'mode' of he_normal must be one of 'fan_in', 'fan_out', found 'fan_inn'; did you mean 'fan_in'?"),
        ]
        for (family, text, message) in cases {
            let spec = try SpecLoader.load(text: "\(family): \(text)\n", path: "x.yaml")
            let node = try MappingReader(spec, "spec").required(family)
            func build() throws {
                switch family {
                case "optimizer": _ = try Registry.optimizers.make(from: node, context: context)
                case "learning_rate": _ = try Registry.schedules.make(from: node, context: context)
                case "output": _ = try Registry.outputs.make(from: node, context: context)
                default: _ = try Registry.initializers.make(from: node, context: context)
                }
            }
            guard let message else {
                XCTAssertNoThrow(try build(), text)
                continue
            }
            XCTAssertThrowsError(try build(), text) { error in
                XCTAssertEqual(String(describing: error).split(separator: "\n").first.map(String.init), message)
            }
        }
    }
}
