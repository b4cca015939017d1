import Foundation
import Testing
@testable import Render

struct PNGTests {
    static func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("render-tests-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    /// 3x2 pixels: opaque primaries, a half-transparent one and a fully transparent one.
    static let sample: RasterImage = {
        let bytes: [UInt8] = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255,
                              10, 20, 30, 128, 0, 0, 0, 0, 200, 201, 202, 255]
        return RasterImage(width: 3, height: 2, pixels: bytes) ?? RasterImage(width: 0, height: 0)
    }()

    @Test func writeThenReadGivesTheSamePixelsAndTextChunks() throws {
        let path = Self.temporaryPath("roundtrip.png")
        let text: [(key: String, value: String)] = [("Software", "bp-pipeline 0.1.0"), ("Title", "worked-example"),
                                                   ("Comment", "∂E/∂w¹₁₁ = 0.0822 ✓")]
        try PNG.write(Self.sample, to: path, text: text)
        let back = try PNG.read(path: path)
        #expect(back.width == 3)
        #expect(back.height == 2)
        #expect(back.pixels == Self.sample.pixels)
        #expect(back.pixel(x: 0, y: 1) == RGBA(r: 10, g: 20, b: 30, a: 128))
        let chunks = try PNG.textChunks(path: path)
        #expect(chunks.map(\.key) == ["Software", "Title", "Comment"])
        #expect(chunks.map(\.value) == ["bp-pipeline 0.1.0", "worked-example", "∂E/∂w¹₁₁ = 0.0822 ✓"])
    }

    @Test func asciiTextIsWrittenAsTEXtAndUnicodeAsITXt() throws {
        let path = Self.temporaryPath("chunks.png")
        try PNG.write(Self.sample, to: path, text: [("Software", "bp-pipeline"), ("Comment", "größe ∂")])
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let types = Self.chunkTypes([UInt8](bytes))
        #expect(types == ["IHDR", "tEXt", "iTXt", "IDAT", "IEND"])
    }

    @Test func identicalInputGivesByteIdenticalFiles() throws {
        let a = Self.temporaryPath("same-a.png")
        let b = Self.temporaryPath("same-b.png")
        let chart = LossCurveChart(title: "same", trainLoss: (1...200).map { 1 / Double($0) })
        try PNG.write(chart.render(), to: a, text: [("Software", "bp-pipeline")])
        try PNG.write(chart.render(), to: b, text: [("Software", "bp-pipeline")])
        let bytesA = try #require(FileManager.default.contents(atPath: a))
        let bytesB = try #require(FileManager.default.contents(atPath: b))
        #expect(bytesA == bytesB)
        #expect(!Self.chunkTypes([UInt8](bytesA)).contains("tIME"))
    }

    /// IHDR's colour type (byte 25 of the file: signature 8, length 4, type 4, width 4, height 4, depth 1).
    @Test func anOpaqueImageIsWrittenAsRGBAndOneWithTransparencyAsRGBA() throws {
        let opaque = try #require(RasterImage(width: 2, height: 2, pixels: [255, 0, 0, 255, 0, 255, 0, 255,
                                                                           1, 2, 3, 255, 250, 251, 252, 255]))
        let opaquePath = Self.temporaryPath("opaque.png"), transparentPath = Self.temporaryPath("transparent.png")
        try PNG.write(opaque, to: opaquePath)
        try PNG.write(Self.sample, to: transparentPath)
        let opaqueBytes = try #require(FileManager.default.contents(atPath: opaquePath))
        let transparentBytes = try #require(FileManager.default.contents(atPath: transparentPath))
        #expect(opaqueBytes[25] == 2)        // RGB
        #expect(transparentBytes[25] == 6)   // RGBA
        #expect(opaqueBytes[24] == 8 && transparentBytes[24] == 8)
        #expect(try PNG.read(path: opaquePath).pixels == opaque.pixels)
        // A chart: opaque, so RGB, and every pixel comes back with alpha 255.
        let chartPath = Self.temporaryPath("chart-rgb.png")
        let chart = LossCurveChart(title: "rgb", trainLoss: (1...50).map { 1 / Double($0) }).render()
        try PNG.write(chart, to: chartPath)
        let chartBytes = try #require(FileManager.default.contents(atPath: chartPath))
        #expect(chartBytes[25] == 2)
        #expect(try PNG.read(path: chartPath).pixels == chart.pixels)
    }

    @Test func unwritablePathThrowsWithTheOSMessage() {
        let path = "/nonexistent-render-dir/chart.png"
        #expect(throws: RenderError(path: path, message: "cannot open output file: No such file or directory")) {
            try PNG.write(Self.sample, to: path, text: [])
        }
    }

    @Test func invalidKeysAndEmptyImagesThrowBeforeWriting() {
        let path = Self.temporaryPath("invalid.png")
        #expect(throws: RenderError(path: path, message: "PNG text key '' must be 1 to 79 characters")) {
            try PNG.write(Self.sample, to: path, text: [("", "x")])
        }
        #expect(throws: RenderError(path: path, message: "PNG text key 'a∂' must be printable Latin-1")) {
            try PNG.write(Self.sample, to: path, text: [("a∂", "x")])
        }
        #expect(throws: RenderError(path: path, message: "cannot write an empty image (0x0)")) {
            try PNG.write(RasterImage(width: 0, height: 0), to: path, text: [])
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func libpngErrorsComeBackAsThrownErrorsAndRemoveThePartialFile() {
        // A key made only of a space passes the Swift-side checks; libpng rejects it from
        // inside png_write_info, so its error longjmps through the shim.
        let path = Self.temporaryPath("libpng-error.png")
        #expect(throws: RenderError(path: path, message: "tEXt: invalid keyword")) {
            try PNG.write(Self.sample, to: path, text: [(" ", "x")])
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func readingAMissingOrNonPNGFileThrows() throws {
        let missing = Self.temporaryPath("missing.png")
        #expect(throws: RenderError(path: missing, message: "No such file or directory")) {
            _ = try PNG.read(path: missing)
        }
        #expect(throws: RenderError(path: missing, message: "cannot open file: No such file or directory")) {
            _ = try PNG.textChunks(path: missing)
        }
        let text = Self.temporaryPath("not.png")
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(throws: RenderError(path: text, message: "not a PNG file (bad signature)")) {
            _ = try PNG.textChunks(path: text)
        }
        #expect(throws: RenderError.self) {
            _ = try PNG.read(path: text)
        }
    }

    static func chunkTypes(_ bytes: [UInt8]) -> [String] {
        var types: [String] = []
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            types.append(String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self))
            offset += 12 + length
        }
        return types
    }
}
