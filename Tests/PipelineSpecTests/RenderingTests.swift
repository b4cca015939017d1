import Testing
@testable import PipelineSpec

@Test func errorWithoutLocation() {
    let error = SpecError("no such file", path: "Pipelines/none.yaml", kind: .fileNotFound)
    #expect(error.description == "Pipelines/none.yaml: error: no such file")
    #expect(error.kind == .fileNotFound)
}

@Test func theBriefsExampleRendersExactly() {
    let source = SourceFile(path: "Pipelines/xor.yaml", text: "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nactivation:\n    type: relu6\n")
    let error = SpecError("unknown activation 'relu6'; did you mean 'relu'?",
                          at: SourceLocation(source: source, line: 7, column: 11))
    #expect(error.description == """
        Pipelines/xor.yaml:7:11: error: unknown activation 'relu6'; did you mean 'relu'?
                type: relu6
                      ^
        """)
    #expect(error.path == "Pipelines/xor.yaml")
}

@Test func tabsInTheShownLineBecomeSingleSpaces() {
    let source = SourceFile(path: "t.yaml", text: "\tkey:\tvalue\n")
    let error = SpecError("bad", at: SourceLocation(source: source, line: 1, column: 7), hint: "a hint")
    #expect(error.description == "t.yaml:1:7: error: bad\n     key: value\n          ^\n    hint: a hint")
}

@Test func commandLineSourcesNameTheArgument() {
    let source = SourceFile(path: "training.epochz=5", text: "training.epochz=5", kind: .commandLine)
    let error = SpecError("unknown key 'epochz' in 'training'; did you mean 'epochs'?",
                          at: SourceLocation(source: source, line: 1, column: 10))
    #expect(error.description == """
        --set 'training.epochz=5': error: unknown key 'epochz' in 'training'; did you mean 'epochs'?
            training.epochz=5
                     ^
        """)
}

@Test(arguments: [
    // Window of 160 characters starting 80 before the caret: column 150 -> index 149 -> start 69.
    (150, 149 - 69 + 3),
    // Near the end the window is the last 160 characters: start 300 - 160 = 140.
    (250, 249 - 140 + 3),
])
func longLinesShowAWindowAroundTheColumn(column: Int, caret: Int) {
    let line = String(repeating: "x", count: 300)
    let source = SourceFile(path: "long.yaml", text: line)
    let error = SpecError("here", at: SourceLocation(source: source, line: 1, column: column))
    let expected = "long.yaml:1:\(column): error: here\n    ..." + String(repeating: "x", count: 160)
        + "\n    " + String(repeating: " ", count: caret) + "^"
    #expect(error.description == expected)
}

@Test func aShortLineIsShownWhole() {
    let source = SourceFile(path: "s.yaml", text: String(repeating: "y", count: 160))
    let error = SpecError("end", at: SourceLocation(source: source, line: 1, column: 161))
    #expect(error.description == "s.yaml:1:161: error: end\n    " + String(repeating: "y", count: 160)
            + "\n    " + String(repeating: " ", count: 160) + "^")
}

@Test func aLocationPastTheTextShowsOnlyTheHeader() {
    let source = SourceFile(path: "s.yaml", text: "a: 1")
    let error = SpecError("far", at: SourceLocation(source: source, line: 5, column: 1))
    #expect(error.description == "s.yaml:5:1: error: far")
}
