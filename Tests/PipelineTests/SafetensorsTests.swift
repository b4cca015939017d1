import BackpropCore
import Foundation
import TestSupport
import XCTest
@testable import Pipeline

/// `model.safetensors`: the layout read back byte by byte against the trained network, and the
/// file loaded by an independent reader (numpy, and PyTorch's load_state_dict where torch is
/// importable) reproducing the network's outputs on raw rows.
final class SafetensorsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bp-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    /// Trains SafetensorsReader.irisSpec into `name/`.
    func train(precision: String = "float64", name: String = "run") throws -> RunResult {
        let spec = temporary.appendingPathComponent("\(name).yaml")
        try SafetensorsReader.irisSpec(iris: "\(Self.root.path)/Data/iris.csv", precision: precision)
            .write(to: spec, atomically: true, encoding: .utf8)
        let request = RunRequest(specPath: spec.path, outputDirectory: temporary.appendingPathComponent(name).path)
        return try Engine.run(try Engine.prepare(try Engine.load(request)))
    }

    struct Parsed {
        let headerLength: Int
        let headerText: String
        let header: [String: Any]
        let data: [UInt8]
    }

    func parse(_ path: String) throws -> Parsed {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertGreaterThan(bytes.count, 8)
        let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertLessThanOrEqual(8 + length, bytes.count)
        let headerBytes = Array(bytes[8..<(8 + length)])
        let text = try XCTUnwrap(String(bytes: headerBytes, encoding: .utf8))
        let header = try XCTUnwrap(try JSONReader.parse(headerBytes) as? [String: Any])
        return Parsed(headerLength: length, headerText: text, header: header, data: Array(bytes[(8 + length)...]))
    }

    func testLayoutHeaderAndBytesMatchTheNetworkExactly() throws {
        let result = try train()
        let network = result.report.network
        let parsed = try parse(result.outputDirectory + "/model.safetensors")
        // Padded with spaces to a multiple of 8, the JSON itself ending in '}'.
        XCTAssertEqual(parsed.headerLength % 8, 0)
        XCTAssertTrue(parsed.headerText.hasPrefix("{\"__metadata__\":"))
        let trimmed = parsed.headerText.replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        XCTAssertTrue(trimmed.hasSuffix("}"))
        XCTAssertLessThan(parsed.headerText.count - trimmed.count, 8)

        let names = ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
        XCTAssertEqual(Set(parsed.header.keys), Set(names + ["__metadata__"]))
        // Header order is data order.
        let positions = names.map { parsed.headerText.range(of: "\"\($0)\"")!.lowerBound }
        XCTAssertEqual(positions, positions.sorted())

        var offset = 0
        for (index, layer) in network.layers.enumerated() {
            for (suffix, shape) in [("weight", [layer.unitCount, layer.inputCount]), ("bias", [layer.unitCount])] {
                let name = "\(2 * index).\(suffix)"
                let entry = try XCTUnwrap(parsed.header[name] as? [String: Any], name)
                XCTAssertEqual(entry["dtype"] as? String, "F64", name)
                XCTAssertEqual((entry["shape"] as? [Any])?.compactMap { $0 as? Int }, shape, name)
                let offsets = try XCTUnwrap((entry["data_offsets"] as? [Any])?.compactMap { $0 as? Int }, name)
                XCTAssertEqual(offsets, [offset, offset + 8 * shape.reduce(1, *)], name)
                // nn.Linear's weight is [out, in]: element (k, j) is w_jk of the seed's orientation.
                var expected: [Double] = []
                if suffix == "weight" {
                    for k in 0..<layer.unitCount { for j in 0..<layer.inputCount { expected.append(layer.weights.value[j, k]) } }
                } else {
                    expected = layer.bias.value.storage
                }
                let stored = stride(from: offsets[0], to: offsets[1], by: 8).map { start in
                    Double(bitPattern: parsed.data[start..<(start + 8)].enumerated()
                        .reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
                }
                XCTAssertEqual(stored.map(\.bitPattern), expected.map(\.bitPattern), name)
                offset = offsets[1]
            }
        }
        XCTAssertEqual(offset, parsed.data.count, "the data ends where the last tensor does")

        let metadata = try XCTUnwrap(parsed.header["__metadata__"] as? [String: String])
        XCTAssertEqual(metadata["format"], "pt")
        XCTAssertEqual(metadata["task"], "classification")
        XCTAssertEqual(metadata["label"], "species")
        XCTAssertEqual(metadata["loss"], "cross_entropy")
        XCTAssertNil(metadata["targets"])
        XCTAssertEqual(metadata["precision"], "float64")
        XCTAssertEqual(metadata["inputs"], "4")
        XCTAssertEqual(metadata["features"], #"["sepal_length","sepal_width","petal_length","petal_width"]"#)
        XCTAssertEqual(metadata["classes"], #"["setosa","versicolor","virginica"]"#)
        XCTAssertEqual(metadata["activations"], #"[{"type":"leaky_relu","alpha":0.1},"tanh","softmax"]"#)
        XCTAssertEqual(metadata["pytorch"],
                       "nn.Sequential(nn.Linear(4, 6), nn.LeakyReLU(negative_slope=0.1), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3), nn.Softmax(dim=1))")
        let normalization = try XCTUnwrap(try JSONReader.parse(try XCTUnwrap(metadata["normalization"])) as? [String: Any])
        let fitted = try XCTUnwrap(result.report.data.normalization)
        XCTAssertEqual(normalization["method"] as? String, "standardize")
        XCTAssertEqual((normalization["shift"] as? [Double])?.map(\.bitPattern), fitted.shift.map(\.bitPattern))
        XCTAssertEqual((normalization["scale"] as? [Double])?.map(\.bitPattern), fitted.scale.map(\.bitPattern))
    }

    func testFloat32RunsWriteF32Tensors() throws {
        let result = try train(precision: "float32")
        let parsed = try parse(result.outputDirectory + "/model.safetensors")
        let layer = result.report.network.layers[2]
        let entry = try XCTUnwrap(parsed.header["4.weight"] as? [String: Any])
        XCTAssertEqual(entry["dtype"] as? String, "F32")
        let offsets = try XCTUnwrap((entry["data_offsets"] as? [Any])?.compactMap { $0 as? Int })
        XCTAssertEqual(offsets[1] - offsets[0], 4 * 15)
        XCTAssertEqual(offsets[1] + 4 * 3, parsed.data.count)
        let stored = stride(from: offsets[0], to: offsets[1], by: 4).map { start in
            parsed.data[start..<(start + 4)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        }
        var expected: [UInt32] = []
        for k in 0..<3 { for j in 0..<5 { expected.append(Float(layer.weights.value[j, k]).bitPattern) } }
        XCTAssertEqual(stored, expected)
        // The float32 weights widened to Double and back are exact.
        XCTAssertEqual(expected.map { Double(Float(bitPattern: $0)) }, (0..<3).flatMap { k in (0..<5).map { layer.weights.value[$0, k] } })
        let metadata = try XCTUnwrap(parsed.header["__metadata__"] as? [String: String])
        XCTAssertEqual(metadata["precision"], "float32")
    }

    /// Regression and a single sigmoid unit: the task, the targets, no classes or normalisation,
    /// and a linear output as nn.Identity.
    func testRegressionAndBinaryMetadata() throws {
        let cases: [(data: String, head: String, loss: String, expected: [String: String])] = [
            ("{type: synthetic, dataset: sine, samples: 20}", "{units: 1, activation: linear}", "mse",
             ["task": "regression", "targets": #"["y"]"#, "features": #"["x"]"#, "loss": "mse",
              "pytorch": "nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1), nn.Identity())"]),
            ("{type: synthetic, dataset: xor, samples: 20}", "{units: 1, activation: sigmoid}", "binary_cross_entropy",
             ["task": "binary", "classes": #"["negative","positive"]"#, "features": #"["x1","x2"]"#, "loss": "binary_cross_entropy",
              "pytorch": "nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())"]),
        ]
        for (index, item) in cases.enumerated() {
            let spec = temporary.appendingPathComponent("case\(index).yaml")
            try """
            seed: 1
            data: \(item.data)
            network: {inputs: \(item.data.contains("sine") ? 1 : 2), layers: [{units: 4, activation: tanh}, \(item.head)]}
            loss: \(item.loss)
            learning_rate: {type: constant, value: 0.1}
            training: {epochs: 2}
            outputs: [{type: safetensors}]
            """.write(to: spec, atomically: true, encoding: .utf8)
            let out = temporary.appendingPathComponent("case\(index)").path
            _ = try Engine.run(try Engine.prepare(try Engine.load(RunRequest(specPath: spec.path, outputDirectory: out))))
            let metadata = try XCTUnwrap(try parse(out + "/model.safetensors").header["__metadata__"] as? [String: String])
            for (key, value) in item.expected { XCTAssertEqual(metadata[key], value, "\(item.data) \(key)") }
            let absent = item.data.contains("sine") ? ["classes", "label", "normalization"] : ["targets", "label", "normalization"]
            for key in absent { XCTAssertNil(metadata[key], "\(item.data) \(key)") }
        }
    }

    /// python3 on PATH (with numpy: required), else, for torch, $BP_TORCH_PYTHON or the
    /// benchmarks' virtual environment when they exist. The reader (TestSupport) must agree with
    /// the network to 1e-12: the outputs are probabilities in [0, 1] after three layers of 4–6
    /// term sums, so numpy's and OpenBLAS's different summation orders and libm's last-bit
    /// differences stay within ~1e-15.
    func runReader(_ file: String, rows: [[Double]], python: String) throws -> [String: Any] {
        let answer = try SafetensorsReader.run(file, rows: rows, python: python, folder: temporary)
        guard answer.status == 0 else {
            XCTFail("\(python) failed (exit \(answer.status)); the test needs python3 with numpy (python3-numpy, Scripts/install-packages.sh): \(answer.stderr)")
            return [:]
        }
        return try XCTUnwrap(answer.outputs)
    }

    func testNumpyAndTorchReproduceTheNetworksOutputs() throws {
        let result = try train()
        let file = result.outputDirectory + "/model.safetensors"
        // Raw rows of each species (Data/iris.csv rows 1, 51, 101, 150) and one outside the data.
        let rows: [[Double]] = [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5], [5.9, 3.0, 5.1, 1.8], [9, 1, 9, 4]]
        var inputs = Matrix(rows)
        try XCTUnwrap(result.report.data.normalization).apply(to: &inputs)
        let expected = result.report.network.forward(inputs)

        func check(_ outputs: Any?, _ reader: String) {
            guard let outputs = outputs as? [[Double]] else { return XCTFail("\(reader) gave no outputs") }
            XCTAssertEqual(outputs.count, rows.count, reader)
            for (r, row) in outputs.enumerated() {
                XCTAssertEqual(row.count, 3, reader)
                for (k, value) in row.enumerated() { XCTAssertEqual(value, expected[r, k], accuracy: 1e-12, "\(reader) row \(r) class \(k)") }
            }
        }
        let answer = try runReader(file, rows: rows, python: "python3")
        check(answer["numpy"], "numpy")
        var torchChecked = false
        if answer["torch"] is [[Double]] {
            check(answer["torch"], "torch")
            torchChecked = true
        } else {
            let candidates: [String?] = [ProcessInfo.processInfo.environment["BP_TORCH_PYTHON"],
                              Self.root.appendingPathComponent("Benchmarks/.venv/bin/python").path]
            for case let python? in candidates where FileManager.default.isExecutableFile(atPath: python) {
                let other = try runReader(file, rows: rows, python: python)
                check(other["numpy"], "numpy (\(python))")
                if other["torch"] is [[Double]] {
                    check(other["torch"], "torch (\(python))")
                    torchChecked = true
                    break
                }
            }
        }
        if !torchChecked {
            print("SafetensorsTests: torch is not importable (python3, $BP_TORCH_PYTHON, Benchmarks/.venv); checked with numpy only")
        }
    }
}
