import BackpropCore
import Foundation
import TestSupport
import Testing
@testable import Pipeline

/// The tests' JSON reader (TestSupport) against the project's writer: every double written reads
/// back bit for bit, so tests can compare a file with the values in memory exactly.
@Suite struct JSONReaderTests {
    /// Doubles over the whole finite range (random bit patterns) and the value of issue 9.
    /// Foundation's JSONSerialization misreads about 4 in 10 of these on Linux.
    @Test func everyWrittenDoubleReadsBackBitForBit() throws {
        var generator = SeededGenerator(seed: 9)
        var values: [Double] = [-3.8929771988657245, 3.510187782978859e-05, 0.1, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        while values.count < 20000 {
            let value = Double(bitPattern: generator.next())
            if value.isFinite { values.append(value) }
        }
        let text = JSON.object([("values", JSON.numbers(values))]).serialized()
        let read = try #require(try JSONReader.parse(text) as? [String: Any])
        let doubles = try #require(read["values"] as? [Double])
        #expect(doubles.count == values.count)
        let mismatches = zip(doubles, values).filter { $0.bitPattern != $1.bitPattern }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }

    /// JSON.integer (no "." or exponent) reads as Int, JSON.number as Double, as the writer means them.
    @Test func integersStayIntegersAndEveryKindReads() throws {
        let written = JSON.object([
            ("epochs", .integer(10000)), ("loss", .number(1)), ("shift", .numbers([0, 10])), ("big", .number(1e300)),
            ("name", .string("tab\t \"quoted\" \\ é \u{1}")), ("done", .bool(true)), ("none", .null),
            ("rows", .array([.array([.integer(1), .integer(2)]), .array([])])), ("empty", .object([])),
        ]).serialized()
        let read = try #require(try JSONReader.parse(written) as? [String: Any])
        #expect(read["epochs"] as? Int == 10000)
        #expect(read["loss"] as? Double == 1)
        #expect(read["loss"] as? Int == nil)
        #expect(read["shift"] as? [Double] == [0, 10])
        #expect(read["big"] as? Double == 1e300)
        #expect(read["name"] as? String == "tab\t \"quoted\" \\ é \u{1}")
        #expect(read["done"] as? Bool == true)
        #expect(read["none"] is NSNull)
        #expect(read["rows"] as? [[Int]] == [[1, 2], []])
        #expect((read["empty"] as? [String: Any])?.isEmpty == true)
        #expect(try JSONReader.parse(#"["\u00e9\ud83d\ude00\/"]"#) as? [String] == ["é😀/"])
    }

    @Test(arguments: [
        ("{\"a\": 1} x", "byte 9: text after the value"),
        ("[01]", "byte 3: a number with a leading zero"),
        ("[1.]", "byte 3: expected digits after '.'"),
        ("{\"a\": 1, \"a\": 2}", "byte 9: duplicate key 'a'"),
        ("\"open", "byte 5: unterminated string"),
        ("[1, 2", "byte 5: expected ']'"),
        ("[nan]", "byte 1: expected 'null'"),
        ("", "byte 0: unexpected end of text"),
    ])
    func malformedTextIsRefusedWithItsOffset(text: String, expected: String) {
        do {
            _ = try JSONReader.parse(text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect("\(error)" == expected)
        }
    }
}
