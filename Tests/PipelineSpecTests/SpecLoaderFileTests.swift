import Foundation
import Testing
@testable import PipelineSpec

/// A fresh empty folder for one test.
private func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "spec-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Test func missingFile() throws {
    let folder = try temporaryFolder()
    let error = try #require(throws: SpecError.self) { try SpecLoader.load(path: folder + "/none.yaml") }
    #expect(error.kind == .fileNotFound)
    #expect(error.description == "\(folder)/none.yaml: error: no such file")
}

@Test func aDirectoryIsUnreadable() throws {
    let folder = try temporaryFolder()
    let error = try #require(throws: SpecError.self) { try SpecLoader.load(path: folder) }
    #expect(error.kind == .unreadable)
    #expect(error.description == "\(folder): error: is a directory, not a spec file")
}

@Test func notUTF8() throws {
    let folder = try temporaryFolder()
    let path = folder + "/latin1.yaml"
    // "seed: 1\n" is 8 bytes, "name: caf" 9 more: the Latin-1 é is byte 17, line 2, column 10.
    try Data(Array("seed: 1\nname: caf".utf8) + [0xE9] + Array("\n".utf8)).write(to: URL(fileURLWithPath: path))
    let error = try #require(throws: SpecError.self) { try SpecLoader.load(path: path) }
    #expect(error.kind == .invalid)
    #expect(error.description == """
        \(path):2:10: error: the file is not UTF-8 text (byte 0xE9 at offset 17)
            name: caf\u{FFFD}
                     ^
            hint: save the spec as UTF-8
        """)
}

@Test func utf16IsNotUTF8() throws {
    let error = try #require(throws: SpecError.self) {
        try SourceFile.decoding([0xFF, 0xFE, 0x61, 0x00], path: "u16.yaml")
    }
    #expect(error.message == "the file is not UTF-8 text (byte 0xFF at offset 0)")
    #expect(error.location?.line == 1)
    #expect(error.location?.column == 1)
}

@Test func aByteOrderMarkTakesNoColumnInUTF8Errors() throws {
    let error = try #require(throws: SpecError.self) {
        try SourceFile.decoding([0xEF, 0xBB, 0xBF, 0x61, 0xC3], path: "bom.yaml")
    }
    #expect(error.message == "the file is not UTF-8 text (byte 0xC3 at offset 4)")
    #expect(error.location?.column == 2)
}

@Test func loadsAFileWithItsPathOnEveryNode() throws {
    let folder = try temporaryFolder()
    let path = folder + "/ok.yaml"
    try "seed: 1\nname: \"café\"\n".write(toFile: path, atomically: true, encoding: .utf8)
    let root = try SpecLoader.load(path: path)
    #expect(try root["name"]?.string("name") == "café")
    #expect(root["seed"]?.location.source.path == path)
    #expect(root["seed"]?.location.source.kind == .file)
}

@Test func anEmptyFileIsAnEmptySpec() throws {
    let folder = try temporaryFolder()
    let path = folder + "/empty.yaml"
    try Data().write(to: URL(fileURLWithPath: path))
    let error = try #require(throws: SpecError.self) { try SpecLoader.load(path: path) }
    #expect(error.description == "\(path): error: the spec is empty")
    #expect(error.kind == .invalid)
}
