import Testing
@testable import PipelineSpec

private let base = """
    training:
      epochs: 10
      optimizer:
        type: sgd
    activation:
    network:
      layers:
        - units: 2
        - units: 1

    """

/// The spec after applying `arguments` in order.
private func overridden(_ arguments: String...) throws -> SpecNode {
    var root = try SpecLoader.load(text: base, path: "o.yaml")
    for argument in arguments { try root.apply(SpecOverride(parsing: argument)) }
    return root
}

/// The rendered error of parsing and applying `argument`.
private func overrideError(_ argument: String) -> String {
    do {
        _ = try overridden(argument)
        return "OK"
    } catch {
        return String(describing: error)
    }
}

@Test func parsesPathAndValue() throws {
    let override = try SpecOverride(parsing: "network.layers.1.units=7")
    #expect(override.path == ["network", "layers", "1", "units"])
    #expect(override.pathLocations.map(\.column) == [1, 9, 16, 18])
    #expect(override.value.scalarString == "7")
    #expect(override.value.location.column == 24)
    #expect(override.value.location.source.kind == .commandLine)
    #expect(override.value.location.source.path == "network.layers.1.units=7")
}

@Test func replacesAValueAndPointsIntoTheArgument() throws {
    let root = try overridden("training.epochs=100")
    let epochs = try #require(root["training"]?["epochs"])
    #expect(try epochs.int("training.epochs") == 100)
    #expect(root["training"]?.entries?.map { $0.key.scalarString ?? "" } == ["epochs", "optimizer"])
    let wrong = try #require(try overridden("training.epochs=ten")["training"]?["epochs"])
    let error = try #require(throws: SpecError.self) { try wrong.int("training.epochs") }
    #expect(error.description == """
        --set 'training.epochs=ten': error: expected an integer for 'training.epochs', found 'ten'
            training.epochs=ten
                            ^
        """)
}

@Test func addsKeysAndIntermediateMappings() throws {
    let root = try overridden("training.momentum=0.9", "learning_rate.value=0.5", "activation.type=tanh")
    #expect(root["training"]?.entries?.map { $0.key.scalarString ?? "" } == ["epochs", "optimizer", "momentum"])
    #expect(try root["training"]?["momentum"]?.double("momentum") == 0.9)
    #expect(try root["learning_rate"]?["value"]?.double("value") == 0.5)
    // `activation:` was null; it becomes a mapping.
    #expect(try root["activation"]?["type"]?.string("type") == "tanh")
    let added = try #require(root.entries?.last?.key)
    #expect(added.scalarString == "learning_rate")
    #expect(added.location.source.kind == .commandLine)
    #expect(added.location.column == 1)
}

@Test func setsListItemsNumberedFromZero() throws {
    let root = try overridden("network.layers.0.units=5", "network.layers.1=[3, 4]")
    let layers = try #require(root["network"]?["layers"]).list("layers")
    #expect(try layers[0]["units"]?.int("units") == 5)
    #expect(try layers[1].doubles("layers[1]") == [3, 4])
}

@Test func aPluginNamedByABareWordExpandsToAMappingWithType() throws {
    var root = try SpecLoader.load(text: "activation: sigmoid\nloss: mse\n", path: "o.yaml")
    try root.apply(SpecOverride(parsing: "activation.type=tanh"))
    try root.apply(SpecOverride(parsing: "loss.reduction=mean"))
    #expect(try root["activation"]?["type"]?.string("type") == "tanh")
    #expect(try root["loss"]?["type"]?.string("type") == "mse")
    #expect(try root["loss"]?["reduction"]?.string("reduction") == "mean")
}

@Test func theIndexOnePastTheEndAppendsAnItem() throws {
    let root = try overridden("network.layers.2.units=7", "network.layers.2.activation=relu")
    let layers = try #require(root["network"]?["layers"]).list("layers")
    #expect(layers.count == 3)
    #expect(try layers[2]["units"]?.int("units") == 7)
    #expect(try layers[2]["activation"]?.string("activation") == "relu")
}

@Test(arguments: [
    ("5", "a number", true), ("'5'", "a string", false), ("\"x y\"", "a string", false), ("true", "a boolean", true),
])
func valuesAreReadAsYAML(value: String, kind: String, plain: Bool) throws {
    let override = try SpecOverride(parsing: "name=" + value)
    #expect(override.value.kindName == kind)
    guard case .scalar(_, let isPlain) = override.value.value else {
        Issue.record("expected a scalar")
        return
    }
    #expect(isPlain == plain)
}

@Test func quotedFiveIsAStringForTheIntReader() throws {
    let node = try SpecOverride(parsing: "training.epochs='5'").value
    let error = try #require(throws: SpecError.self) { try node.int("training.epochs") }
    #expect(error.message == "expected an integer for 'training.epochs', found the string '5'")
    #expect(error.hint == "remove the quotes to write a number")
}

@Test func anEmptyValueIsNull() throws {
    let override = try SpecOverride(parsing: "activation=")
    #expect(override.value.isNull)
    #expect(override.value.location.column == 12)
}

@Test(arguments: [
    ("network.layers.3.units=7", """
        --set 'network.layers.3.units=7': error: item 3 is out of range: 'network.layers' has 2 items (numbered from 0; 2 appends one)
            network.layers.3.units=7
                           ^
        """),
    ("network.layers.first.units=7", """
        --set 'network.layers.first.units=7': error: 'network.layers' is a list; expected an item number (from 0), found 'first'
            network.layers.first.units=7
                           ^
        """),
    ("network.layers.-1=7", """
        --set 'network.layers.-1=7': error: 'network.layers' is a list; expected an item number (from 0), found '-1'
            network.layers.-1=7
                           ^
        """),
    ("training.epochs.max=7", """
        --set 'training.epochs.max=7': error: cannot set 'training.epochs.max': 'training.epochs' is a number, not a mapping or list
            training.epochs.max=7
                            ^
        """),
    ("training.epochs", """
        --set 'training.epochs': error: missing '=' in --set argument
            training.epochs
                           ^
            hint: write KEY.PATH=VALUE, for example training.epochs=100
        """),
    ("=5", """
        --set '=5': error: missing key path before '=' in --set argument
            =5
            ^
            hint: write KEY.PATH=VALUE, for example training.epochs=100
        """),
    ("training..epochs=5", """
        --set 'training..epochs=5': error: empty name in the key path
            training..epochs=5
                     ^
            hint: separate names with single dots, for example network.layers.0.units
        """),
    ("training.epochs.=5", """
        --set 'training.epochs.=5': error: empty name in the key path
            training.epochs.=5
                            ^
            hint: separate names with single dots, for example network.layers.0.units
        """),
    ("training.epochs =5", """
        --set 'training.epochs =5': error: unexpected space in the key path
            training.epochs =5
                           ^
        """),
    ("training.epochs=[1, 2", """
        --set 'training.epochs=[1, 2': error: did not find expected ',' or ']' (while parsing a flow sequence started at line 1, column 17)
            training.epochs=[1, 2
                                 ^
        """),
    ("training.epochs=5\n---\n6", """
        --set 'training.epochs=5\\n---\\n6': error: a spec must be one YAML document; a second one starts here
            ---
            ^
            hint: remove the '---' line, or split the documents into separate files
        """),
])
func overrideErrors(argument: String, expected: String) {
    #expect(overrideError(argument) == expected)
}

@Test func aFailedOverrideLeavesTheTreeAsItWas() throws {
    var root = try SpecLoader.load(text: base, path: "o.yaml")
    for argument in ["training.optimizer.type.x=1", "network.layers.0.units.x=1", "network.layers.9=1"] {
        let override = try SpecOverride(parsing: argument)
        #expect(throws: SpecError.self) { try root.apply(override) }
    }
    #expect(root["training"]?.entries?.count == 2)
    #expect(try root["training"]?["optimizer"]?["type"]?.string("type") == "sgd")
    let layers = try #require(root["network"]?["layers"]).list("layers")
    #expect(layers.count == 2)
    #expect(try layers[0]["units"]?.int("units") == 2)
}
