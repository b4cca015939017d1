@preconcurrency import Glibc

/// An input file read front to back in chunks, decompressed on the fly when it starts with the
/// gzip magic bytes (1f 8b), whatever its name. Errors name the file as the user wrote it.
///
/// Opening faults (missing, a folder, no permission) exit 66; a corrupt gzip stream exits 65.
/// A stream whose length is not known from the disk (gzip, a named pipe, a device such as
/// /dev/zero) may give at most `maximumBytes` decoded bytes, so a gzip bomb or an endless device
/// stops with exit 65 instead of running until memory or patience ends.
final class DataFile {
    /// The path as shown in messages (resolved against the spec's folder).
    let path: String
    let isGzip: Bool
    /// A regular file (not a named pipe or a device): its size on disk is its length.
    let isRegular: Bool
    /// Size on disk in bytes (compressed size for gzip; 0 for pipes and devices).
    let sizeOnDisk: Int
    /// The most decoded bytes read from a stream of unknown length (see the type's summary).
    let maximumBytes: Int
    /// Decoded bytes handed out so far.
    private(set) var offset = 0
    private let descriptor: Int32
    private var inflater: GzipInflater?
    /// Bytes read to sniff the format, handed out before anything else.
    private var sniffed: [UInt8]

    /// True when the file's length is its size on disk, so a header's sizes can be checked up front.
    var lengthIsKnown: Bool { isRegular && !isGzip }

    init(path: String, maximumBytes: Int = Int.max) throws {
        self.path = path
        self.maximumBytes = maximumBytes
        // O_NONBLOCK: opening a named pipe nobody writes to would otherwise wait forever. It is
        // cleared right after, so reads wait for a writer's data as usual; with no writer at
        // all a pipe reads as empty.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw PipelineError.noInput("cannot open: \(Self.reason(errno))", path: path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw PipelineError.noInput("cannot read: \(Self.reason(code))", path: path)
        }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR {
            close(fd)
            throw PipelineError.noInput("cannot read: it is a folder, not a file", path: path)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        descriptor = fd
        isRegular = type == S_IFREG
        sizeOnDisk = isRegular ? Int(info.st_size) : 0
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        while got < 2 {
            let count = head.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress.map { $0 + got }, 2 - got)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                close(fd)
                throw PipelineError.noInput("cannot read: \(Self.reason(code))", path: path)
            }
            if count == 0 { break }
            got += count
        }
        sniffed = Array(head.prefix(got))
        isGzip = got == 2 && head[0] == 0x1F && head[1] == 0x8B
        if isGzip {
            inflater = try GzipInflater { [unowned self] buffer in try self.readRaw(into: buffer) }
        }
    }

    deinit { close(descriptor) }

    /// Fills `buffer` with the file's (decompressed) bytes; fewer than asked only at the end, 0 after it.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var count: Int
        if let inflater {
            // Never more than one byte past the limit: enough to tell that it was passed.
            let left = max(0, maximumBytes - offset)
            let room = left < buffer.count ? left + 1 : buffer.count
            do {
                count = try inflater.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<room]))
            } catch let error as GzipError {
                throw PipelineError.data(error.message, path: path)
            }
        } else {
            count = try readRaw(into: buffer)
        }
        offset += count
        if offset > maximumBytes && !lengthIsKnown { throw overLimit() }
        return count
    }

    /// "inflates to more than 100.0 MiB (the --max-memory limit) after 97.7 KiB of its 9.8 MiB".
    private func overLimit() -> PipelineError {
        let limit = MemoryEstimate.format(maximumBytes)
        let advice = "give a larger --max-memory if the data is real"
        guard let inflater else {
            return PipelineError.data("gives more than \(limit) of data (the --max-memory limit) and has not ended; "
                                      + "bp-pipeline reads a pipe or device only up to that; \(advice)", path: path)
        }
        var read = MemoryEstimate.format(inflater.compressedOffset)
        if isRegular { read += " of its \(MemoryEstimate.format(sizeOnDisk))" }
        return PipelineError.data("the gzip data inflates to more than \(limit) (the --max-memory limit) after \(read); "
                                  + advice, path: path)
    }

    /// Reads until `buffer` is full or the file ends; returns the count.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Counts the bytes left without keeping them (for "N extra bytes" messages).
    func countRemaining() throws -> Int {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { scratch.deallocate() }
        var total = 0
        while true {
            let count = try read(into: scratch)
            if count == 0 { return total }
            total += count
        }
    }

    /// The bytes on disk, after the sniffed ones.
    private func readRaw(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if !sniffed.isEmpty {
            let count = min(sniffed.count, buffer.count)
            for i in 0..<count { buffer[i] = sniffed[i] }
            sniffed.removeFirst(count)
            return count
        }
        while true {
            let count = Glibc.read(descriptor, base, buffer.count)
            if count >= 0 { return count }
            let code = errno
            if code != EINTR { throw PipelineError.noInput("cannot read: \(Self.reason(code))", path: path) }
        }
    }

    private static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES: return "permission denied"
        case EISDIR: return "it is a folder, not a file"
        default: return strerror(code).map { String(cString: $0) } ?? "error \(code)"
        }
    }
}
