import CZlib

/// A fault in a gzip stream, in zlib's words ("incorrect header check", "invalid distance too far back").
struct GzipError: Error, Equatable {
    let message: String
}

/// Decompresses a gzip stream (RFC 1952) piece by piece: the one file that touches zlib.
///
/// Compressed bytes come from `source` (a closure that fills a buffer and returns how many bytes
/// it wrote, 0 at the end of the file), so a 26 MB `.gz` is never held whole. Concatenated gzip
/// members (what `cat a.gz b.gz` makes) decode as one stream, as gzip(1) does.
final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    private var sourceEnded = false
    private var streamEnded = false
    /// Compressed bytes consumed so far, for messages.
    private(set) var compressedOffset = 0

    init(chunkSize: Int = 1 << 18, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: chunkSize, alignment: 16)
        self.source = source
        // inflateInit2 is a macro; 16 + MAX_WBITS asks zlib for a gzip wrapper (not zlib's own).
        let status = inflateInit2_(stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            stream.deallocate()
            throw GzipError(message: "zlib could not start (status \(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        input.deallocate()
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Fills `output` with decompressed bytes; returns how many, fewer only at the end of the stream.
    func read(into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = output.baseAddress, output.count > 0 else { return 0 }
        stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        while stream.pointee.avail_out > 0 && !streamEnded {
            if stream.pointee.avail_in == 0 {
                if sourceEnded { throw GzipError(message: "the gzip stream ends early (truncated file)") }
                let count = try source(input)
                compressedOffset += count
                if count == 0 {
                    sourceEnded = true
                    continue
                }
                stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(count)
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                // Another member may follow; anything else after the trailer is ignored, as gzip does
                // with trailing zeros, only when it does not start a new member.
                if try nextMemberFollows() {
                    inflateReset(stream)
                } else {
                    streamEnded = true
                }
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw GzipError(message: "corrupt gzip data: \(reason)")
            }
        }
        return output.count - Int(stream.pointee.avail_out)
    }

    /// True when the bytes after a member's trailer begin another gzip member (1f 8b).
    private func nextMemberFollows() throws -> Bool {
        if stream.pointee.avail_in == 0 && !sourceEnded {
            let count = try source(input)
            compressedOffset += count
            if count == 0 {
                sourceEnded = true
            } else {
                stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(count)
            }
        }
        guard stream.pointee.avail_in >= 1, let next = stream.pointee.next_in else { return false }
        if next[0] != 0x1F { return false }
        // A lone 0x1f at the very end of a chunk is taken as the start of a member; inflate then
        // reports a precise error if it is not one.
        return stream.pointee.avail_in < 2 || next[1] == 0x8B
    }

    /// gzip-compresses `bytes` in one call (deterministic: no name, no time stamp). Used to make
    /// small `.gz` files for tests and examples.
    static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        let status = deflateInit2_(&stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError(message: "zlib could not start (status \(status))") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        var input = bytes
        let result: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { throw GzipError(message: "gzip compression failed (status \(result))") }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }
}
