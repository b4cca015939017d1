import Testing
@testable import PipelineSpec

private let smallSpec = """
    name: xor
    data:
      type: inline
      inputs: [[0, 1], [1, 0]]
    network:
      layers:
        - units: 2
          activation: "tanh"
        -   units: 1

    """

private func position(_ node: SpecNode?) -> String {
    guard let node else { return "missing" }
    return "\(node.location.line):\(node.location.column)"
}

@Test func nodesKnowWhereTheirValuesStart() throws {
    let root = try SpecLoader.load(text: smallSpec, path: "small.yaml")
    #expect(position(root) == "1:1")
    #expect(root.location.source.path == "small.yaml")
    #expect(position(root["name"]) == "1:7")
    #expect(position(root["data"]) == "3:3")
    #expect(position(root["data"]?["type"]) == "3:9")
    let inputs = try #require(root["data"]?["inputs"])
    #expect(position(inputs) == "4:11")
    let rows = try inputs.list("inputs")
    #expect(position(rows[1]) == "4:20")
    #expect(position(try rows[1].list("row")[1]) == "4:24")
    let layers = try #require(root["network"]?["layers"])
    #expect(position(layers) == "7:5")
    let items = try layers.list("layers")
    #expect(position(items[0]) == "7:7")
    #expect(position(items[0]["activation"]) == "8:19")
    #expect(position(items[1]) == "9:9")
    let keys = try #require(root.entries).map { "\($0.key.scalarString ?? "?")@\(position($0.key))" }
    #expect(keys == ["name@1:1", "data@2:1", "network@5:1"])
}

@Test func columnsCountCharactersNotBytes() throws {
    let root = try SpecLoader.load(text: "café: 1\nnom: \"é\"\nx: [é, 2]\n", path: "u.yaml")
    #expect(position(root["café"]) == "1:7")
    #expect(position(root["x"].flatMap { try? $0.list("x")[1] }) == "3:8")
}

@Test func aLeadingByteOrderMarkTakesNoColumn() throws {
    let root = try SpecLoader.load(text: "\u{FEFF}seed: 1\nname: x\n", path: "bom.yaml")
    #expect(position(root["seed"]) == "1:7")
    let error = root["seed"].map { $0.error("here") }
    #expect(error?.description == "bom.yaml:1:7: error: here\n    seed: 1\n          ^")
}

@Test func lineBreaksCountAsInLibyaml() throws {
    // CR alone, CRLF and NEL each end a line, for libyaml and for SourceFile alike.
    let root = try SpecLoader.load(text: "a: 1\rb: 2\r\nc: 3\u{85}d: 4\n", path: "breaks.yaml")
    #expect(position(root["b"]) == "2:4")
    #expect(position(root["c"]) == "3:4")
    #expect(position(root["d"]) == "4:4")
    let source = root.location.source
    #expect(source.line(4) == "d: 4")
    #expect(source.line(5) == "")
    #expect(source.line(6) == nil)
    #expect(source.line(0) == nil)
}

/// A node holding `yaml` as the value of `v` in a one-line spec; its column is 4.
private func value(_ yaml: String) throws -> SpecNode {
    try #require(try SpecLoader.load(text: "v: \(yaml)\n", path: "r.yaml")["v"])
}

/// The rendered error of reading `yaml` with `read`, or the value read.
private func read<T>(_ yaml: String, _ read: (SpecNode) throws -> T) throws -> String {
    let node = try value(yaml)
    do {
        return "\(try read(node))"
    } catch {
        return String(describing: error)
    }
}

/// Rendering of an error at column 4 of `v: <yaml>`.
private func at4(_ yaml: String, _ message: String, hint: String? = nil) -> String {
    "r.yaml:1:4: error: \(message)\n    v: \(yaml)\n       ^" + (hint.map { "\n    hint: \($0)" } ?? "")
}

@Test(arguments: [
    ("10", "10"), ("-3", "-3"), ("+7", "7"), ("0", "0"),
    ("ten", at4("ten", "expected an integer for 'epochs', found 'ten'")),
    ("'5'", at4("'5'", "expected an integer for 'epochs', found the string '5'",
                hint: "remove the quotes to write a number")),
    ("1e3", at4("1e3", "expected an integer for 'epochs', found '1e3'", hint: "write 1000")),
    ("2.5", at4("2.5", "expected an integer for 'epochs', found '2.5'")),
    ("1_000", at4("1_000", "expected an integer for 'epochs', found '1_000'")),
    ("~", at4("~", "expected an integer for 'epochs', found null")),
    ("[1]", at4("[1]", "expected an integer for 'epochs', found a list")),
    ("{a: 1}", at4("{a: 1}", "expected an integer for 'epochs', found a mapping")),
    ("99999999999999999999", at4("99999999999999999999",
                                 "the integer '99999999999999999999' is too large for 'epochs'")),
])
func intReader(yaml: String, expected: String) throws {
    #expect(try read(yaml) { try $0.int("epochs") } == expected)
}

@Test func anEmptyValueIsFoundAsNoValue() throws {
    let node = try #require(try SpecLoader.load(text: "epochs:\nseed: 1\n", path: "e.yaml")["epochs"])
    #expect(node.isNull)
    let error = try #require(throws: SpecError.self) { try node.int("epochs") }
    #expect(error.message == "expected an integer for 'epochs', found no value")
}

@Test(arguments: [
    ("0.5", "0.5"), (".5", "0.5"), ("1e-3", "0.001"), ("-2", "-2.0"), ("+2.", "2.0"), ("3E2", "300.0"),
    (".nan", at4(".nan", "'rate' must be a finite number, found '.nan'")),
    ("-.inf", at4("-.inf", "'rate' must be a finite number, found '-.inf'")),
    ("1e999", at4("1e999", "the number '1e999' is out of range for 'rate'")),
    ("\"0.5\"", at4("\"0.5\"", "expected a number for 'rate', found the string '0.5'",
                    hint: "remove the quotes to write a number")),
    ("0x10", at4("0x10", "expected a number for 'rate', found '0x10'")),
    ("nan", at4("nan", "expected a number for 'rate', found 'nan'")),
    ("true", at4("true", "expected a number for 'rate', found 'true'")),
])
func doubleReader(yaml: String, expected: String) throws {
    #expect(try read(yaml) { try $0.double("rate") } == expected)
}

@Test(arguments: [
    ("true", "true"), ("False", "false"), ("TRUE", "true"),
    ("yes", at4("yes", "expected true or false for 'train_bias', found 'yes'", hint: "write true or false")),
    ("off", at4("off", "expected true or false for 'train_bias', found 'off'", hint: "write true or false")),
    ("'true'", at4("'true'", "expected true or false for 'train_bias', found the string 'true'",
                   hint: "remove the quotes")),
    ("1", at4("1", "expected true or false for 'train_bias', found '1'")),
])
func boolReader(yaml: String, expected: String) throws {
    #expect(try read(yaml) { try $0.bool("train_bias") } == expected)
}

@Test(arguments: [
    ("xor", "xor"), ("123", "123"), ("'a b'", "a b"), ("\"tab\\there\"", "tab\there"),
    ("null", at4("null", "expected a string for 'name', found null")),
    ("{a: 1}", at4("{a: 1}", "expected a string for 'name', found a mapping")),
])
func stringReader(yaml: String, expected: String) throws {
    #expect(try read(yaml) { try $0.string("name") } == expected)
}

@Test func listReaders() throws {
    #expect(try value("[1, 2.5, -3]").doubles("bias") == [1, 2.5, -3])
    #expect(try value("[]").doubles("bias") == [])
    #expect(try value("[[1, 2], [3, 4]]").doubleMatrix("weights") == [[1, 2], [3, 4]])
    #expect(try read("5") { try $0.list("layers") } == at4("5", "expected a list for 'layers', found '5'"))
    #expect(try read("[1, x]") { try $0.doubles("bias") }
            == "r.yaml:1:8: error: expected a number for 'bias[1]', found 'x'\n    v: [1, x]\n           ^")
    #expect(try read("[[1, 2], [3]]") { try $0.doubleMatrix("weights") }
            == "r.yaml:1:13: error: 'weights[1]' has 1 number, but 'weights[0]' has 2\n    v: [[1, 2], [3]]\n                ^")
    #expect(try read("[1, 2]") { try $0.doubleMatrix("weights") }
            == "r.yaml:1:5: error: expected a list for 'weights[0]', found '1'\n    v: [1, 2]\n        ^")
}

@Test(arguments: [
    ("5", "a number"), ("-1.5e3", "a number"), (".inf", "a number"), ("'5'", "a string"), ("abc", "a string"),
    ("True", "a boolean"), ("~", "null"), ("''", "a string"), ("[1]", "a list"), ("{a: 1}", "a mapping"),
])
func kindNames(yaml: String, expected: String) throws {
    #expect(try value(yaml).kindName == expected)
}

@Test(arguments: [("~", true), ("null", true), ("Null", true), ("NULL", true), ("nULL", false),
                  ("''", false), ("'~'", false), ("0", false)])
func nullValues(yaml: String, expected: Bool) throws {
    #expect(try value(yaml).isNull == expected)
}

@Test func longScalarsAreShortenedInMessages() throws {
    let long = String(repeating: "a", count: 50)
    let error = try #require(throws: SpecError.self) { try value(long).int("n") }
    #expect(error.message == "expected an integer for 'n', found '\(String(repeating: "a", count: 40))...' (10 more characters)")
}
