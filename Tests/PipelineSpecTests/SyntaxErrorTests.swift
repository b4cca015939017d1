import Testing
@testable import PipelineSpec

/// The rendered error for a spec text, or "OK" when it loads.
func loadError(_ text: String, path: String = "Pipelines/bad.yaml") -> String {
    do {
        _ = try SpecLoader.load(text: text, path: path)
        return "OK"
    } catch {
        return String(describing: error)
    }
}

/// Every structural problem a spec file can have, with its exact rendering.
let syntaxCases: [(name: String, text: String, expected: String)] = [
    ("flow sequence left open", "name: xor\nlayers: [1, 2\nseed: 3\n", """
        Pipelines/bad.yaml:3:5: error: did not find expected ',' or ']' (while parsing a flow sequence started at line 2, column 9)
            seed: 3
                ^
        """),
    ("flow sequence open at the end of a text without a final newline", "a: [1, 2", """
        Pipelines/bad.yaml:1:9: error: did not find expected ',' or ']' (while parsing a flow sequence started at line 1, column 4)
            a: [1, 2
                    ^
        """),
    ("mapping value inside a scalar", "data:\n  type: inline\n    inputs: [1]\n", """
        Pipelines/bad.yaml:3:11: error: mapping values are not allowed in this context
                inputs: [1]
                      ^
        """),
    ("tab indentation", "data:\n\ttype: inline\n", """
        Pipelines/bad.yaml:2:1: error: found character that cannot start any token (while scanning for the next token started at line 2, column 1)
             type: inline
            ^
            hint: indent with spaces; YAML does not allow tabs
        """),
    ("tab inside a list item's indentation", "layers:\n  - units: 2\n\t  bias: 1\n", """
        Pipelines/bad.yaml:3:1: error: found a tab character that violates indentation (while scanning a plain scalar started at line 2, column 12)
               bias: 1
            ^
            hint: indent with spaces; YAML does not allow tabs
        """),
    ("list dedented below its key", "a:\n  - 1\n - 2\n", """
        Pipelines/bad.yaml:3:2: error: did not find expected key (while parsing a block mapping started at line 1, column 1)
             - 2
             ^
        """),
    ("unterminated quoted string", "name: \"xor\n", """
        Pipelines/bad.yaml:2:1: error: found unexpected end of stream (while scanning a quoted scalar started at line 1, column 7)
            \("")
            ^
        """),
    ("unknown escape", "a: \"\\q\"\n", """
        Pipelines/bad.yaml:1:5: error: found unknown escape character (while parsing a quoted scalar started at line 1, column 4)
            a: "\\q"
                ^
        """),
    ("duplicate key", "training:\n  epochs: 10\n  batch_size: full\n  epochs: 20\n", """
        Pipelines/bad.yaml:4:3: error: duplicate key 'epochs' (first at line 2)
              epochs: 20
              ^
        """),
    ("empty text", "", "Pipelines/bad.yaml: error: the spec is empty"),
    ("only comments", "# nothing here\n\n", "Pipelines/bad.yaml: error: the spec is empty"),
    ("only a document marker", "---\n", "Pipelines/bad.yaml: error: the spec is empty"),
    ("two documents", "seed: 1\n---\nseed: 2\n", """
        Pipelines/bad.yaml:2:1: error: a spec must be one YAML document; a second one starts here
            ---
            ^
            hint: remove the '---' line, or split the documents into separate files
        """),
    ("a list instead of a mapping", "- 1\n- 2\n", """
        Pipelines/bad.yaml:1:1: error: a spec must be a mapping of keys such as 'data:' and 'network:', found a list
            - 1
            ^
        """),
    ("a scalar instead of a mapping", "hello\n", """
        Pipelines/bad.yaml:1:1: error: a spec must be a mapping of keys such as 'data:' and 'network:', found a string
            hello
            ^
        """),
    ("unknown anchor", "activation: *act\n", """
        Pipelines/bad.yaml:1:13: error: unknown anchor 'act' in alias '*act'
            activation: *act
                        ^
            hint: define '&act' before using '*act'
        """),
    ("alias inside its own anchor", "a: &loop\n  b: *loop\n", """
        Pipelines/bad.yaml:2:6: error: alias '*loop' refers to a node that contains it
              b: *loop
                 ^
        """),
    ("merge key", "base: &b {units: 2}\nlayer:\n  <<: *b\n", """
        Pipelines/bad.yaml:3:3: error: merge keys (<<) are not supported
              <<: *b
              ^
            hint: write the keys out in full
        """),
    ("list as a key", "[1, 2]: x\n", """
        Pipelines/bad.yaml:1:1: error: a mapping key must be a string, found a list
            [1, 2]: x
            ^
        """),
    ("mapping as a key", "? {a: 1}\n: x\n", """
        Pipelines/bad.yaml:1:3: error: a mapping key must be a string, found a mapping
            ? {a: 1}
              ^
        """),
    ("control character (shown as a space)", "name: a\u{1}b\n", """
        Pipelines/bad.yaml:1:8: error: control characters are not allowed (U+0001)
            name: a b
                   ^
        """),
    ("custom tag", "seed: !custom 1\n", """
        Pipelines/bad.yaml:1:7: error: the tag '!custom' is not supported
            seed: !custom 1
                  ^
            hint: remove the tag; plain values are read by the key they belong to
        """),
    ("nesting deeper than the cap", "a: " + String(repeating: "[", count: 250), """
        Pipelines/bad.yaml:1:203: error: the spec nests deeper than 200 levels
            ...\(String(repeating: "[", count: 160))
            \(String(repeating: " ", count: 112))^
        """),
    // The mapping and 60 lists are open at the alias; it adds 150 levels more.
    ("nesting deeper than the cap through an alias",
     "a: &a " + String(repeating: "[", count: 150) + String(repeating: "]", count: 150) + "\n"
        + "b: " + String(repeating: "[", count: 60) + "*a" + String(repeating: "]", count: 60) + "\n", """
        Pipelines/bad.yaml:2:64: error: the spec nests deeper than 200 levels (through alias '*a')
            b: \(String(repeating: "[", count: 60))*a\(String(repeating: "]", count: 60))
            \(String(repeating: " ", count: 63))^
        """),
    ("windows line endings keep lines and columns", "a: 1\r\nb: 2\r\na: 3\r\n", """
        Pipelines/bad.yaml:3:1: error: duplicate key 'a' (first at line 1)
            a: 3
            ^
        """),
]

@Test(arguments: syntaxCases)
func syntaxErrorRendering(name: String, text: String, expected: String) {
    #expect(loadError(text) == expected, "\(name)")
}

/// Ten anchors, each a list repeating the one before ten times ("billion laughs").
@Test func aliasBombStopsAtTheNodeCap() throws {
    var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in 1...9 {
        let alias = "*a\(level - 1)"
        lines.append("a\(level): &a\(level) [" + Array(repeating: alias, count: 10).joined(separator: ", ") + "]")
    }
    let text = lines.joined(separator: "\n") + "\n"
    let error = try #require(throws: SpecError.self) { try SpecLoader.load(text: text, path: "bomb.yaml") }
    #expect(error.message == "the spec expands to more than 1000000 nodes (anchors/aliases)")
    #expect(error.kind == .invalid)
    // a_k holds (10^(k+2) - 1) / 9 nodes: a4 has 111_111, a5 would have 1_111_111.
    #expect(error.location?.line == 6)
}

@Test func aliasesBelowTheCapShareTheAnchoredNode() throws {
    let root = try SpecLoader.load(text: "a: &x [1, 2]\nb: *x\n", path: "alias.yaml")
    let b = try #require(root["b"])
    #expect(try b.doubles("b") == [1, 2])
    // The repeated node keeps the location of its definition.
    #expect(b.location.line == 1)
    #expect(b.location.column == 4)
}

@Test func standardTagsAreAcceptedAndStrMakesAString() throws {
    let root = try SpecLoader.load(text: "a: !!str 5\nb: !!int \"7\"\nc: !!seq [1]\n", path: "tags.yaml")
    #expect(root["a"]?.kindName == "a string")
    #expect(try root["b"]?.int("b") == 7)
    #expect(try root["c"]?.doubles("c") == [1])
}
