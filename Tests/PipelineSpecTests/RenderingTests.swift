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
    // Window of 160 characters starting 80 before the caret: column 150 -> index 149 -> start 69;
    // it ends at 229 of 300, so "..." marks the cut on both sides.
    (150, 149 - 69 + 3, "..."),
    // Near the end the window is the last 160 characters: start 300 - 160 = 140.
    (250, 249 - 140 + 3, ""),
])
func longLinesShowAWindowAroundTheColumn(column: Int, caret: Int, suffix: String) {
    let line = String(repeating: "x", count: 300)
    let source = SourceFile(path: "long.yaml", text: line)
    let error = SpecError("here", at: SourceLocation(source: source, line: 1, column: column))
    let expected = "long.yaml:1:\(column): error: here\n    ..." + String(repeating: "x", count: 160) + suffix
        + "\n    " + String(repeating: " ", count: caret) + "^"
    #expect(error.description == expected)
}

/// A megabyte-long `--set` argument is quoted, not echoed: 160 characters and the count of the rest.
@Test func aHugeOverrideArgumentIsCutInTheHeader() {
    let argument = "training.epochs=" + String(repeating: "9", count: 1_000_000)
    let source = SourceFile(path: argument, text: argument, kind: .commandLine)
    let error = SpecError("too large", at: SourceLocation(source: source, line: 1, column: 17))
    let lines = error.description.split(separator: "\n")
    #expect(lines[0] == "--set 'training.epochs=" + String(repeating: "9", count: 144) + "...' (999,856 more characters): error: too large")
    #expect(lines[1] == "    training.epochs=" + String(repeating: "9", count: 144) + "...")
    #expect(error.description.utf8.count < 600)
}

/// Names beyond about 200 characters are counted, not listed; each name is cut at 40.
@Test func boundedListsCountWhatTheyLeaveOut() {
    #expect(boundedList(["a", "b", "species"]) == "a, b, species")
    let columns = (0..<2_000_000).map { "c\($0)" }
    let shown = boundedList(columns)
    #expect(shown.hasSuffix(", ... and 1,999,958 more"))
    #expect(shown.hasPrefix("c0, c1, c2, "))
    #expect(boundedList([String(repeating: "n", count: 100)]) == String(repeating: "n", count: 40) + "...")
    #expect(grouped(0) == "0")
    #expect(grouped(999) == "999")
    #expect(grouped(1_000) == "1,000")
    #expect(grouped(-1_234_567) == "-1,234,567")
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

/// A megabyte-long key given twice: the message quotes 40 characters of it and the shown line is
/// a window, so the whole error stays a few hundred bytes.
@Test func aHugeDuplicateKeyIsQuotedShort() throws {
    let key = String(repeating: "k", count: 1_000_000)
    let error = try #require(throws: SpecError.self) {
        // Explicit keys (`? key`): libyaml refuses an implicit key longer than 1024 characters.
        try SpecLoader.parse(SourceFile(path: "big.yaml", text: "? \(key)\n: 1\n? \(key)\n: 2\n"))
    }
    let lines = error.description.split(separator: "\n")
    #expect(lines[0] == "big.yaml:3:3: error: duplicate key '\(String(repeating: "k", count: 40))...' (999,960 more characters) (first at line 1)")
    #expect(lines[1] == "    ? " + String(repeating: "k", count: 158) + "...")
    #expect(error.description.utf8.count < 500)
}
