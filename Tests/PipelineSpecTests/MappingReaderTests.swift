import Testing
@testable import PipelineSpec

private func training(_ yaml: String) throws -> SpecNode {
    try #require(try SpecLoader.load(text: "training:\n" + yaml, path: "m.yaml")["training"])
}

@Test func unknownKeyWithDidYouMean() throws {
    let reader = try MappingReader(training("  epochz: 5\n  batch_size: 2\n"), "training")
    #expect(reader.optional("epochs") == nil)
    #expect(try reader.required("batch_size").int("training.batch_size") == 2)
    let error = try #require(throws: SpecError.self) { try reader.finish() }
    #expect(error.description == """
        m.yaml:2:3: error: unknown key 'epochz' in 'training'; did you mean 'epochs'?
              epochz: 5
              ^
        """)
}

@Test func unknownKeyWithoutACloseNameListsTheKnownOnes() throws {
    let reader = try MappingReader(training("  epochs: 5\n  colour: red\n"), "training")
    _ = reader.optional("epochs")
    _ = reader.optional("batch_size")
    let error = try #require(throws: SpecError.self) { try reader.finish() }
    #expect(error.description == """
        m.yaml:3:3: error: unknown key 'colour' in 'training'
              colour: red
              ^
            hint: known keys: 'epochs', 'batch_size'
        """)
}

@Test func missingRequiredKeyPointsAtTheMapping() throws {
    let reader = try MappingReader(training("  epochs: 5\n"), "training")
    let error = try #require(throws: SpecError.self) { try reader.required("optimizer") }
    #expect(error.description == "m.yaml:2:3: error: missing required key 'optimizer' in 'training'\n      epochs: 5\n      ^")
}

@Test func notAMapping() throws {
    let error = try #require(throws: SpecError.self) { try MappingReader(training("  - 1\n"), "training") }
    #expect(error.description == "m.yaml:2:3: error: expected a mapping for 'training', found a list\n      - 1\n      ^")
}

@Test func nullValuesAreReturnedNotHidden() throws {
    let reader = try MappingReader(training("  epochs:\n  seed: ~\n"), "training")
    #expect(reader.optional("epochs")?.isNull == true)
    #expect(reader.optional("seed")?.isNull == true)
    #expect(reader.keys == ["epochs", "seed"])
    try reader.finish()
}

@Test func allowedKeysPassFinish() throws {
    let reader = try MappingReader(training("  type: sgd\n  momentum: 0.9\n"), "training")
    _ = reader.optional("type")
    reader.allow(["momentum"])
    try reader.finish()
}

@Test func aMisspellingOfAnOptionalKeyIsReportedAsUnknownBeforeFinish() throws {
    let reader = try MappingReader(training("  units: 3\n  activaton: tanh\n"), "layer 1")
    _ = reader.optional("units")
    #expect(reader.optional("activation") == nil)
    let error = try #require(throws: SpecError.self) { try reader.rejectMisspelling(of: "activation") }
    #expect(error.description == """
        m.yaml:3:3: error: unknown key 'activaton' in layer 1; did you mean 'activation'?
              activaton: tanh
              ^
        """)
    // Keys that are not near the name are left for finish().
    let other = try MappingReader(training("  units: 3\n  colour: red\n"), "layer 1")
    try other.rejectMisspelling(of: "activation")
    _ = other.optional("units")
    let unknown = try #require(throws: SpecError.self) { try other.finish() }
    #expect(unknown.description.hasPrefix("m.yaml:3:3: error: unknown key 'colour' in layer 1\n"))
}
