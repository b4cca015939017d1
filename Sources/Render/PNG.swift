import CPNG
import CPNGShim
@preconcurrency import Glibc

/// A PNG file could not be written or read: the path and libpng's (or the OS's) message.
public struct RenderError: Error, Equatable, CustomStringConvertible {
    /// The file that was being written or read.
    public let path: String
    /// libpng's or the operating system's message, for example "cannot open output file: Permission denied".
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// PNG encoding and decoding through libpng. The only file that touches libpng's C types.
///
/// Writing goes through the `CPNGShim` C target, which owns libpng's setjmp and writes text
/// chunks (the simplified png_image API cannot); reading uses the simplified API, which reports
/// errors by return value.
public enum PNG {
    /// Writes `image` as an 8-bit PNG, RGB when every pixel is opaque and RGBA otherwise, with one
    /// text chunk per pair, in order.
    ///
    /// Keys must be 1-79 Latin-1 characters (PNG's rule). Values that are not Latin-1 go into
    /// an iTXt chunk (UTF-8), the rest into tEXt. No timestamp is written: identical images and
    /// text give identical bytes. A partially written file is removed on failure.
    public static func write(_ image: RasterImage, to path: String, text: [(key: String, value: String)] = []) throws {
        guard image.width > 0, image.height > 0, image.pixels.count == image.width * image.height * 4 else {
            throw RenderError(path: path, message: "cannot write an empty image (\(image.width)x\(image.height))")
        }
        for pair in text {
            if pair.key.isEmpty || pair.key.utf8.count > 79 {
                throw RenderError(path: path, message: "PNG text key '\(pair.key)' must be 1 to 79 characters")
            }
            if pair.key.unicodeScalars.contains(where: { $0.value > 0xFF || $0.value < 0x20 }) {
                throw RenderError(path: path, message: "PNG text key '\(pair.key)' must be printable Latin-1")
            }
        }
        // Keys go to libpng as Latin-1 bytes (checked above). Values go as UTF-8: an ASCII value
        // is valid Latin-1 and becomes tEXt; any byte >= 0x80 makes the shim write iTXt, whose
        // text is UTF-8 by definition.
        let keyBytes = text.map { cBytes(latin1: $0.key) }
        let valueBytes = text.map { cBytes(utf8: $0.value) }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        let status = withCStringArray(keyBytes) { keys in
            withCStringArray(valueBytes) { values in
                image.pixels.withUnsafeBufferPointer { rgba in
                    errorBuffer.withUnsafeMutableBufferPointer { err in
                        pngshim_write_rgba(path, rgba.baseAddress, Int32(image.width), Int32(image.height),
                                           keys, values, Int32(text.count), err.baseAddress, Int32(err.count))
                    }
                }
            }
        }
        if status != 0 {
            throw RenderError(path: path, message: string(fromCChars: errorBuffer))
        }
    }

    /// Reads any PNG libpng understands, converted to 8-bit straight RGBA.
    public static func read(path: String) throws -> RasterImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let message = imageMessage(&image)
            png_image_free(&image)
            throw RenderError(path: path, message: message)
        }
        // PNG_FORMAT_RGBA is a function-like macro Swift does not import; these are its flags.
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        let width = Int(image.width)
        let height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        let ok = pixels.withUnsafeMutableBytes { buffer in
            png_image_finish_read(&image, nil, buffer.baseAddress, Int32(width * 4), nil)
        }
        guard ok != 0 else {
            let message = imageMessage(&image)
            png_image_free(&image)
            throw RenderError(path: path, message: message)
        }
        png_image_free(&image)
        guard let raster = RasterImage(width: width, height: height, pixels: pixels) else {
            throw RenderError(path: path, message: "decoded size does not match \(width)x\(height)")
        }
        return raster
    }

    /// The tEXt and uncompressed iTXt chunks of a PNG file, in file order (zTXt and compressed
    /// iTXt are skipped). Walks the chunk list directly: length (4 bytes, big-endian), type (4),
    /// data (length), CRC (4).
    public static func textChunks(path: String) throws -> [(key: String, value: String)] {
        let bytes = try readFile(path: path)
        let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else {
            throw RenderError(path: path, message: "not a PNG file (bad signature)")
        }
        var result: [(key: String, value: String)] = []
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let start = offset + 8
            let end = start + length
            guard length >= 0, end + 4 <= bytes.count else {
                throw RenderError(path: path, message: "truncated \(type) chunk at byte \(offset)")
            }
            let data = Array(bytes[start..<end])
            if type == "tEXt", let zero = data.firstIndex(of: 0) {
                result.append((latin1(data[0..<zero]), latin1(data[(zero + 1)...])))
            } else if type == "iTXt", let entry = internationalText(data) {
                result.append(entry)
            }
            if type == "IEND" { break }
            offset = end + 4
        }
        return result
    }

    // iTXt data: keyword 0 compression-flag compression-method language 0 translated-keyword 0 text.
    private static func internationalText(_ data: [UInt8]) -> (key: String, value: String)? {
        guard let zero = data.firstIndex(of: 0), zero + 2 < data.count, data[zero + 1] == 0 else { return nil }
        var index = zero + 3
        for _ in 0..<2 {
            guard let next = data[index...].firstIndex(of: 0) else { return nil }
            index = next + 1
        }
        return (latin1(data[0..<zero]), String(decoding: data[index...], as: UTF8.self))
    }

    private static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(b)) }
        return String(s)
    }

    private static func cBytes(latin1 string: String) -> [CChar] {
        string.unicodeScalars.map { CChar(bitPattern: UInt8(truncatingIfNeeded: $0.value)) } + [0]
    }

    private static func cBytes(utf8 string: String) -> [CChar] {
        string.utf8.map { CChar(bitPattern: $0) } + [0]
    }

    private static func string(fromCChars chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func imageMessage(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Calls `body` with a C array of pointers to NUL-terminated strings kept alive for the call.
    private static func withCStringArray<R>(_ strings: [[CChar]], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        var storage: [UnsafeMutablePointer<CChar>] = []
        storage.reserveCapacity(strings.count)
        for s in strings {
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: s.count)
            p.initialize(from: s, count: s.count)
            storage.append(p)
        }
        defer { for p in storage { p.deallocate() } }
        let pointers: [UnsafePointer<CChar>?] = storage.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    private static func readFile(path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw RenderError(path: path, message: "cannot open file: " + String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 65536, file) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < 65536 {
                if ferror(file) != 0 {
                    throw RenderError(path: path, message: "cannot read file: " + String(cString: strerror(errno)))
                }
                break
            }
        }
        return bytes
    }
}
