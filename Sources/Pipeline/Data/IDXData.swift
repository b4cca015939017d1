import BackpropCore
import PipelineSpec

/// Images and labels in the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed.
///
/// An IDX file is a 4-byte magic number (0, 0, element type, number of dimensions), one
/// big-endian 32-bit size per dimension, then the elements in row-major order. Images are
/// (count, d1, d2, ...) unsigned bytes, flattened to d1·d2·... inputs and divided by `scale`;
/// labels are (count) unsigned bytes, class k = output unit k.
public struct IDXData: DataStage, StagePlugin {
    public static let description = StageDescription(
        name: "idx",
        summary: "IDX image and label files (the MNIST format), raw or gzip-compressed",
        parameters: [images, labels, scale, limit, classes] + DataOptions.parameters(test: test),
        example: """
        data:
          type: idx
          images: /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
          labels: /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz
          limit: 1000
          test:
            images: /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
            labels: /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
            limit: 500
        """)

    static let images = Parameter<SpecNode>.required("images", type: "string", "the image file (count, rows, columns) of unsigned bytes")
    static let labels = Parameter<SpecNode>.required("labels", type: "string", "the label file (count) of unsigned bytes")
    static let scale = Parameter("scale", default: 255.0, range: .positive, "inputs are pixel / scale, so 255 gives [0, 1]; saved in model.json as input_scale")
    static let limit = Parameter<Int?>.optional("limit", shown: "all", range: .atLeast(1),
                                                "read only the first N training samples (data.test takes its own limit)")
    static let classes = Parameter<SpecNode?>.optional("classes", shown: "'0', '1', ...", type: "list of strings",
                                                       "names of the classes 0, 1, ... for metrics")
    static let test = DataOptions.test("{images, labels, limit}")

    let images: String
    let labels: String
    let test: (images: String, labels: String, limit: Int?)?
    let scale: Double
    /// The `scale` key, or the data mapping when it is not written: where a scale that
    /// contradicts the starting model's is reported.
    let scaleLocation: SourceLocation
    let limit: Int?
    let classNames: [String]?
    let options: DataOptions

    public init(_ arguments: PluginArguments) throws {
        let context = arguments.context
        func file(_ node: SpecNode, _ key: String) throws -> String {
            let path = try node.string(key)
            guard !path.isEmpty else { throw SpecError("'\(key)' of idx is empty", at: node.location) }
            return context.resolve(path)
        }
        images = try file(try arguments.read(Self.images), "images")
        labels = try file(try arguments.read(Self.labels), "labels")
        scale = try arguments.read(Self.scale)
        scaleLocation = (arguments.optional("scale") ?? arguments.node).location
        limit = try arguments.read(Self.limit)
        if let node = try arguments.read(Self.classes) {
            let names = try node.list("classes").enumerated().map { try $1.string("classes[\($0)]") }
            guard names.count >= 2 else { throw SpecError("'classes' of idx needs at least two names", at: node.location) }
            classNames = names
        } else {
            classNames = nil
        }
        options = try DataOptions(arguments, test: Self.test)
        if let node = options.testNode {
            let reader = try MappingReader(node, "data.test")
            let testImages = try file(try reader.required("images"), "images")
            let testLabels = try file(try reader.required("labels"), "labels")
            var testLimit: Int?
            if let limitNode = reader.optional("limit"), !limitNode.isNull {
                let n = try limitNode.int("limit")
                guard n >= 1 else { throw SpecError("'limit' of data.test must be at least 1, found \(n)", at: limitNode.location) }
                testLimit = n
            }
            test = (testImages, testLabels, testLimit)
            try reader.finish()
        } else {
            test = nil
        }
    }

    public func load(_ request: DataRequest) throws -> LoadedData {
        // Fine-tuning a whole network keeps what the model's pixels were divided by, as it keeps
        // the normalisation (DataOptions): another scale would feed its weights other inputs.
        if let model = request.startingModel, let modelScale = model.inputScale, modelScale != scale {
            throw SpecError("scale is \(TrainedModel.plain(scale)) but \(model.file) (network.init from_model) was trained on pixels / \(TrainedModel.plain(modelScale)); fine-tuning keeps the model's input scaling, so write scale: \(TrainedModel.plain(modelScale))",
                            at: scaleLocation)
        }
        let (training, shape) = try readPart(images: images, labels: labels, limit: limit, maximumBytes: request.maximumMemory)
        let classCount = classNames?.count ?? (Int(training.labels.max() ?? 0) + 1)
        let names = classNames ?? (0..<classCount).map(String.init)
        guard classCount >= 2 else {
            throw PipelineError.data("every label is 0; classification needs at least two classes", path: labels)
        }
        let trainingSet = try dataset(training, classCount: classCount, labelsPath: labels)
        var testSet: Dataset?
        if let test {
            let (part, testShape) = try readPart(images: test.images, labels: test.labels, limit: test.limit,
                                                 maximumBytes: request.maximumMemory)
            guard testShape == shape else {
                throw PipelineError.data("test images are \(testShape.map(String.init).joined(separator: " x ")) but training images are \(shape.map(String.init).joined(separator: " x "))",
                                         path: test.images)
            }
            testSet = try dataset(part, classCount: classCount, labelsPath: test.labels)
        }
        let featureNames = shape.count == 2
            ? (0..<(shape[0] * shape[1])).map { "r\($0 / shape[1])c\($0 % shape[1])" }
            : (0..<shape.reduce(1, *)).map { "x\($0)" }
        var loaded = try options.assemble(request, training: trainingSet, test: testSet, task: .classification(classes: names),
                                          featureNames: featureNames, source: images)
        loaded.inputScale = scale
        return loaded
    }

    /// Pixels (count · width bytes, as in the file) and labels of one pair of files.
    struct Part {
        var pixels: [UInt8]
        var labels: [UInt8]
        var width: Int
    }

    /// `maximumBytes` bounds what a gzip file may inflate to (the --max-memory budget), so bytes
    /// after the data are counted only that far.
    private func readPart(images: String, labels: String, limit: Int?, maximumBytes: Int) throws -> (Part, shape: [Int]) {
        let imageFile = try DataFile(path: images, maximumBytes: maximumBytes)
        let imageDims = try IDXReader.header(imageFile, expectedDimensions: nil)
        let labelFile = try DataFile(path: labels, maximumBytes: maximumBytes)
        let labelDims = try IDXReader.header(labelFile, expectedDimensions: 1)
        guard imageDims[0] == labelDims[0] else {
            throw PipelineError.data("has \(labelDims[0]) labels but \(images) has \(imageDims[0]) images", path: labels)
        }
        guard imageDims[0] > 0 else { throw PipelineError.data("the IDX header declares 0 images", path: images) }
        let count = min(imageDims[0], limit ?? Int.max)
        let shape = Array(imageDims.dropFirst())
        let width = shape.reduce(1, *)
        let pixels = try IDXReader.bytes(imageFile, dimensions: imageDims, reading: count * width)
        let labelBytes = try IDXReader.bytes(labelFile, dimensions: labelDims, reading: count)
        return (Part(pixels: pixels, labels: labelBytes, width: width), shape)
    }

    private func dataset(_ part: Part, classCount: Int, labelsPath: String) throws -> Dataset {
        let count = part.labels.count
        var targets = Matrix(rows: count, columns: classCount)
        for (i, label) in part.labels.enumerated() {
            guard Int(label) < classCount else {
                let why = classNames != nil ? "'classes' names \(classCount)" : "the training labels go up to \(classCount - 1)"
                throw PipelineError.data("label \(label) of sample \(i) is out of range: \(why)", path: labelsPath)
            }
            targets[i, Int(label)] = 1
        }
        // Kept as bytes (an eighth of float64) and decoded, divided by `scale`, a batch at a time.
        return Dataset(bytes: ByteInputs(rows: count, columns: part.width, bytes: part.pixels, divisor: scale), targets: targets)
    }
}

/// The IDX format's header and element reading, with every size checked before it is trusted.
enum IDXReader {
    /// Largest element count accepted (16 GiB of bytes): a corrupt header must not allocate wildly.
    static let maximumElements = 1 << 34

    /// Reads the magic number and dimensions; checks the element type (unsigned byte only) and,
    /// for raw regular files, that the file size is exactly header + elements.
    static func header(_ file: DataFile, expectedDimensions: Int?) throws -> [Int] {
        var magic = [UInt8](repeating: 0, count: 4)
        let got = try magic.withUnsafeMutableBytes { try file.readFully(into: $0) }
        guard got == 4 else {
            throw PipelineError.data("too short for an IDX file: \(got) byte\(got == 1 ? "" : "s"), the header alone needs at least 8", path: file.path)
        }
        guard magic[0] == 0 && magic[1] == 0 else {
            throw PipelineError.data("not an IDX file: it starts with bytes \(hex(magic[0])) \(hex(magic[1])), an IDX file with 00 00", path: file.path)
        }
        guard magic[2] == 0x08 else {
            let names: [UInt8: String] = [0x09: "signed byte", 0x0B: "16-bit integer", 0x0C: "32-bit integer", 0x0D: "32-bit float", 0x0E: "64-bit float"]
            let name = names[magic[2]].map { " (\($0))" } ?? ""
            throw PipelineError.data("element type \(hex(magic[2]))\(name) is not supported; bp-pipeline reads unsigned-byte IDX files (type 08)",
                                     path: file.path)
        }
        let dimensionCount = Int(magic[3])
        guard dimensionCount >= 1 else { throw PipelineError.data("the IDX header declares 0 dimensions", path: file.path) }
        if let expectedDimensions, dimensionCount != expectedDimensions {
            throw PipelineError.data("a label file has 1 dimension (the sample count); this one has \(dimensionCount)", path: file.path)
        }
        var sizes = [UInt8](repeating: 0, count: 4 * dimensionCount)
        let read = try sizes.withUnsafeMutableBytes { try file.readFully(into: $0) }
        guard read == sizes.count else {
            throw PipelineError.data("the file ends inside the IDX header (\(4 + read) of \(4 + sizes.count) bytes)", path: file.path)
        }
        let dims = (0..<dimensionCount).map { d in
            sizes[(4 * d)..<(4 * d + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        var elements = 1
        // The sample shape first, the count last: with 0 samples the total is 0 whatever the
        // shape, and callers still multiply the shape out (an image's width).
        for size in dims.dropFirst() + dims.prefix(1) {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumElements else {
                throw PipelineError.data("the IDX header declares \(describe(dims)) elements, more than bp-pipeline reads", path: file.path)
            }
            elements = product
        }
        guard dims.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw PipelineError.data("the IDX header declares an empty sample shape, \(describe(dims))", path: file.path)
        }
        if file.lengthIsKnown {
            let expected = 4 + 4 * dimensionCount + elements
            if file.sizeOnDisk != expected {
                throw PipelineError.data("the header declares \(describe(dims)) = \(elements) bytes of data, so the file should be \(expected) bytes, but it is \(file.sizeOnDisk)",
                                         path: file.path)
            }
        }
        return dims
    }

    /// The first `count` elements as bytes.
    static func bytes(_ file: DataFile, dimensions: [Int], reading count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        let got = try result.withUnsafeMutableBytes { try file.readFully(into: $0) }
        try checkEnd(file, dimensions: dimensions, read: got, wanted: count)
        return result
    }

    /// A gzip file's (or a pipe's) data must be exactly as long as its header says (raw files were
    /// checked by size); when every element was read, nothing may follow.
    private static func checkEnd(_ file: DataFile, dimensions: [Int], read: Int, wanted: Int) throws {
        let total = dimensions.reduce(1, *)
        if read < wanted {
            throw PipelineError.data("the header declares \(describe(dimensions)) = \(total) bytes of data but the file ends after \(read)",
                                     path: file.path)
        }
        if wanted == total && !file.lengthIsKnown {
            let extra = try file.countRemaining()
            if extra > 0 {
                throw PipelineError.data("\(extra) byte\(extra == 1 ? "" : "s") follow the \(total) bytes of data the header declares (\(describe(dimensions)))",
                                         path: file.path)
            }
        }
    }

    static func describe(_ dims: [Int]) -> String { dims.map(String.init).joined(separator: " x ") }

    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
