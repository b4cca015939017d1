import BackpropCore
import Foundation
import Testing
@testable import Pipeline

/// `idx` and the gzip reader under it, on small generated files.
@Suite struct DataIDXTests {
    /// Five 2x3 images whose pixel k of image i is 10·i + k, and labels 0, 1, 2, 1, 0.
    static let pixels: [UInt8] = (0..<5).flatMap { i in (0..<6).map { UInt8(10 * i + $0) } }
    static let images = idxBytes([5, 2, 3], pixels)
    static let labels = idxBytes([5], [0, 1, 2, 1, 0])

    @Test(arguments: [false, true])
    func loadsImagesAndLabels(gzip: Bool) throws {
        let scratch = try DataScratch()
        let suffix = gzip ? ".gz" : ""
        try scratch.write("i" + suffix, bytes: gzip ? try GzipInflater.compress(Self.images) : Self.images)
        try scratch.write("l" + suffix, bytes: gzip ? try GzipInflater.compress(Self.labels) : Self.labels)
        let data = try scratch.load("type: idx\nimages: i\(suffix)\nlabels: l\(suffix)")
        #expect(data.training.count == 5)
        #expect(data.training.featureCount == 6)
        #expect(data.training.inputs.storage == Self.pixels.map { Double($0) / 255 })
        #expect(data.training.targets.nested == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])
        #expect(data.task.classNames == ["0", "1", "2"])
        #expect(data.featureNames == ["r0c0", "r0c1", "r0c2", "r1c0", "r1c1", "r1c2"])
    }

    @Test func scaleLimitClassNamesAndTestPart() throws {
        let scratch = try DataScratch()
        try scratch.write("i", bytes: Self.images)
        try scratch.write("l", bytes: Self.labels)
        try scratch.write("ti.gz", bytes: try GzipInflater.compress(idxBytes([1, 2, 3], [6, 5, 4, 3, 2, 1])))
        try scratch.write("tl.gz", bytes: try GzipInflater.compress(idxBytes([1], [3])))
        let data = try scratch.load("""
            type: idx
            images: i
            labels: l
            scale: 2
            limit: 2
            classes: [a, b, c, d]
            test: {images: ti.gz, labels: tl.gz}
            """)
        #expect(data.training.inputs.nested == [[0, 0.5, 1, 1.5, 2, 2.5], [5, 5.5, 6, 6.5, 7, 7.5]])
        #expect(data.task.classNames == ["a", "b", "c", "d"])
        let test = try #require(data.test)
        #expect(test.inputs.storage == [3, 2.5, 2, 1.5, 1, 0.5])
        #expect(test.targets.nested == [[0, 0, 0, 1]])
    }

    /// The images stay one byte a pixel, decoded per batch; normalising, splitting and the
    /// float32 conversion keep them bytes, and every decoded value is the float64 arithmetic the
    /// dense matrix gets: (b / scale − shift) / σ, bit for bit.
    /// The memory estimate counts IDX pixels as the bytes they stay in memory, not as float64:
    /// 1000 images of 28×28 with 10 classes hold 1000 · (784 · 1 + 10 · 8) = 864,000 bytes of data
    /// (6,352,000 as float64). The whole estimate, 14,151,120 bytes (network 7,850 · 7 · 8 =
    /// 439,600; buffers 1000 rows in flight · (2·784 + 3·10) · 8 + a gathered batch of 10 ·
    /// 794 · 8), fits a 14 MB limit that the float64 count (19,639,120) would have refused.
    @Test func theMemoryEstimateCountsPixelsAsBytes() throws {
        let scratch = try DataScratch()
        try scratch.write("i", bytes: idxBytes([1000, 28, 28], (0..<784_000).map { UInt8($0 % 251) }))
        try scratch.write("l", bytes: idxBytes([1000], (0..<1000).map { UInt8($0 % 10) }))
        let spec = try scratch.write("spec.yaml", """
            data: {type: idx, images: i, labels: l, classes: [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9]}
            network: {inputs: 784, layers: [{units: 10}]}
            activation: sigmoid
            loss: half_squared_error
            learning_rate: 0.1
            training: {epochs: 1, optimizer: sgd, batch_size: 10}
            """)
        let definition = try Engine.load(RunRequest(specPath: spec, outputDirectory: scratch.folder + "/out"))
        let idx = try #require(definition.data as? IDXData)
        #expect(idx.inputBytes == 1)
        let shape = try #require(try idx.estimatedShape())
        #expect(shape.samples == 1000 && shape.features == 784)
        let bytes = MemoryEstimate.estimate(definition.network, samples: 1000, features: 784, targets: 10, batchSize: 10, inputBytes: 1)
        #expect(bytes.dataBytes == 864_000)
        #expect(bytes.total == 14_151_120)
        let float64 = MemoryEstimate.estimate(definition.network, samples: 1000, features: 784, targets: 10, batchSize: 10)
        #expect(float64.total == 19_639_120)
        let prepared = try Engine.prepare(definition, maximumMemory: 14_200_000)
        #expect(prepared.data.training.count == 1000)
    }

    @Test func imagesStayBytesAndDecodeAsTheDenseMatrixWould() throws {
        let scratch = try DataScratch()
        try scratch.write("i", bytes: Self.images)
        try scratch.write("l", bytes: Self.labels)
        let data = try scratch.load("type: idx\nimages: i\nlabels: l\nscale: 3\nnormalize: standardize\nvalidation: 0.4")
        guard case .bytes(let bytes) = data.training.inputStorage else {
            Issue.record("the training images were decoded at load time")
            return
        }
        #expect(bytes.bytes.count == data.training.count * 6)
        guard case .bytes = try #require(data.validation).inputStorage else {
            Issue.record("the validation images were decoded at load time")
            return
        }
        // The same samples as a dense float64 matrix, normalised the way CSV data is.
        let dense = Matrix(rows: data.training.count, columns: 6, storage: bytes.bytes.map { Double($0) / 3 })
        let normalization = try #require(data.normalization)
        #expect(normalization == Normalization.fit(.standardize, on: dense))
        var expected = dense
        normalization.apply(to: &expected)
        var batch = Matrix(rows: 0, columns: 0)
        data.training.gatherInputs([2, 0], into: &batch)
        #expect(batch.nested == [expected.nested[2], expected.nested[0]])
        #expect(data.training.inputs == expected)
        #expect(data.training.subset([1]).inputs.nested == [expected.nested[1]])
        let single = DatasetOf<Float>(converting: data.training)
        guard case .bytes = single.inputStorage else {
            Issue.record("the float32 conversion decoded the images")
            return
        }
        #expect(single.inputs.storage == expected.storage.map { Float($0) })
    }

    struct BadFile: CustomStringConvertible, Sendable {
        let name: String
        let images: [UInt8]
        let labels: [UInt8]
        let gzip: Bool
        let keys: String
        let message: String
        var description: String { name }
    }

    static let badFiles: [BadFile] = [
        BadFile(name: "not IDX", images: Array("P5 28 28\n".utf8), labels: labels, gzip: false, keys: "",
                message: "{dir}/i: error: not an IDX file: it starts with bytes 50 35, an IDX file with 00 00"),
        BadFile(name: "float elements", images: [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], labels: labels, gzip: false, keys: "",
                message: "{dir}/i: error: element type 0d (32-bit float) is not supported; bp-pipeline reads unsigned-byte IDX files (type 08)"),
        BadFile(name: "too short for a header", images: [0, 0], labels: labels, gzip: false, keys: "",
                message: "{dir}/i: error: too short for an IDX file: 2 bytes, the header alone needs at least 8"),
        BadFile(name: "header cut off", images: [0, 0, 8, 3, 0, 0, 0, 5, 0, 0], labels: labels, gzip: false, keys: "",
                message: "{dir}/i: error: the file ends inside the IDX header (10 of 16 bytes)"),
        BadFile(name: "raw file shorter than its header says", images: Array(images.dropLast(4)), labels: labels, gzip: false, keys: "",
                message: "{dir}/i: error: the header declares 5 x 2 x 3 = 30 bytes of data, so the file should be 46 bytes, but it is 42"),
        BadFile(name: "raw file longer than its header says", images: images + [1], labels: labels, gzip: false, keys: "",
                message: "{dir}/i: error: the header declares 5 x 2 x 3 = 30 bytes of data, so the file should be 46 bytes, but it is 47"),
        BadFile(name: "gzip data shorter than its header says", images: Array(images.dropLast(4)), labels: labels, gzip: true, keys: "",
                message: "{dir}/i: error: the header declares 5 x 2 x 3 = 30 bytes of data but the file ends after 26"),
        BadFile(name: "gzip data longer than its header says", images: images + [1, 2], labels: labels, gzip: true, keys: "",
                message: "{dir}/i: error: 2 bytes follow the 30 bytes of data the header declares (5 x 2 x 3)"),
        BadFile(name: "counts differ", images: images, labels: idxBytes([4], [0, 1, 2, 1]), gzip: false, keys: "",
                message: "{dir}/l: error: has 4 labels but {dir}/i has 5 images"),
        BadFile(name: "labels with three dimensions", images: images, labels: images, gzip: false, keys: "",
                message: "{dir}/l: error: a label file has 1 dimension (the sample count); this one has 3"),
        BadFile(name: "a label without a class name", images: images, labels: labels, gzip: false, keys: "classes: [a, b]",
                message: "{dir}/l: error: label 2 of sample 2 is out of range: 'classes' names 2"),
        BadFile(name: "one class", images: images, labels: idxBytes([5], [0, 0, 0, 0, 0]), gzip: false, keys: "",
                message: "{dir}/l: error: every label is 0; classification needs at least two classes"),
    ]

    @Test(arguments: badFiles)
    func badFile(_ bad: BadFile) throws {
        let scratch = try DataScratch()
        try scratch.write("i", bytes: bad.gzip ? try GzipInflater.compress(bad.images) : bad.images)
        try scratch.write("l", bytes: bad.gzip ? try GzipInflater.compress(bad.labels) : bad.labels)
        let (code, message) = try scratch.failure("type: idx\nimages: i\nlabels: l\n" + bad.keys)
        #expect(message == bad.message)
        #expect(code == .dataError)
    }

    @Test func missingImageFileExits66() throws {
        let scratch = try DataScratch()
        try scratch.write("l", bytes: Self.labels)
        let (code, message) = try scratch.failure("type: idx\nimages: gone.gz\nlabels: l")
        #expect(code == .noInput)
        #expect(message == "{dir}/gone.gz: error: cannot open: no such file")
    }

    @Test func testPartKeysAreChecked() throws {
        let scratch = try DataScratch()
        let (code, message) = try scratch.failure("type: idx\nimages: i\nlabels: l\ntest: {images: a, label: b}")
        #expect(code == .usage)
        #expect(message.hasPrefix("{dir}/spec.yaml:6:21: error: missing required key 'labels' in 'data.test'; found 'label': did you mean 'labels'?"))
    }

    /// Larger than one 256 KiB input chunk and one output read, split across two gzip members.
    @Test func gzipStreamsAcrossChunksAndMembers() throws {
        var bytes = [UInt8](repeating: 0, count: 3_000_000)
        var state: UInt32 = 1
        for i in bytes.indices {
            state = state &* 1_103_515_245 &+ 12345
            bytes[i] = i % 3 == 0 ? UInt8(state >> 24) : UInt8(i % 251)
        }
        let scratch = try DataScratch()
        let first = try GzipInflater.compress(Array(bytes[..<1_000_000]))
        let second = try GzipInflater.compress(Array(bytes[1_000_000...]), level: 1)
        let path = try scratch.write("big.gz", bytes: first + second)
        let file = try DataFile(path: path)
        #expect(file.isGzip)
        var result = [UInt8](repeating: 0, count: bytes.count + 10)
        let count = try result.withUnsafeMutableBytes { try file.readFully(into: $0) }
        #expect(count == bytes.count)
        #expect(Array(result[..<count]) == bytes)
    }

    @Test func rawFilesPassThroughUnchanged() throws {
        let scratch = try DataScratch()
        let path = try scratch.write("raw", bytes: [0x1F, 0x00, 7])
        let file = try DataFile(path: path)
        #expect(!file.isGzip)
        var result = [UInt8](repeating: 0, count: 8)
        #expect(try result.withUnsafeMutableBytes { try file.readFully(into: $0) } == 3)
        #expect(Array(result.prefix(3)) == [0x1F, 0x00, 7])
    }
}
