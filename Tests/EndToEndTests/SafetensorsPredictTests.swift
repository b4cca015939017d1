import Foundation
import TestSupport
import XCTest

/// model.safetensors read by an independent reader (numpy, TestSupport's SafetensorsReader)
/// reproduces what the real `bp-pipeline predict` prints for the same raw rows.
final class SafetensorsPredictTests: XCTestCase {
    static let iris = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/iris.csv").path

    func testNumpyReproducesPredict() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bp-st-predict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try SafetensorsReader.irisSpec(iris: Self.iris).write(to: folder.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let run = try Binary.run(["spec.yaml", "--out", "run", "--quiet"], in: folder)
        XCTAssertEqual(run.status, 0, run.stderr)

        // Raw rows of each species (Data/iris.csv rows 1, 51, 101, 150) and one outside the data.
        let rows: [[Double]] = [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5], [5.9, 3.0, 5.1, 1.8], [9, 1, 9, 4]]
        let csv = "sepal_length,sepal_width,petal_length,petal_width\n" + rows.map { $0.map { "\($0)" }.joined(separator: ",") + "\n" }.joined()
        try csv.write(to: folder.appendingPathComponent("rows.csv"), atomically: true, encoding: .utf8)
        let predicted = try Binary.run(["predict", "run/model.json", "rows.csv"], in: folder)
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        let lines = predicted.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "prediction,p_setosa,p_versicolor,p_virginica")
        let probabilities = try lines.dropFirst().map { line in
            try line.split(separator: ",").dropFirst().map { try XCTUnwrap(Double($0), "\(line)") }
        }
        XCTAssertEqual(probabilities.count, rows.count)

        let answer = try SafetensorsReader.run(folder.appendingPathComponent("run/model.safetensors").path, rows: rows,
                                               python: "python3", folder: folder)
        XCTAssertEqual(answer.status, 0, "the test needs python3 with numpy (python3-numpy): \(answer.stderr)")
        let numpy = try XCTUnwrap(answer.outputs?["numpy"] as? [[Double]])
        XCTAssertEqual(numpy.count, rows.count)
        // Relative 1e-12: both compute the same float64 sums (4–6 terms a layer) in different
        // orders (numpy's matmul against OpenBLAS) with different exp/tanh (numpy's against glibc's
        // libm), each a few ulps (~1e-16 relative) per operation. A softmax probability's relative
        // error is the absolute error of its logit differences, here logits of size ~10 after three
        // layers: ~1e-14 at most, so 1e-12 holds on any CPU while a wrong weight, transpose or
        // normalisation is off by far more.
        for (r, row) in numpy.enumerated() {
            XCTAssertEqual(row.count, 3)
            for (k, value) in row.enumerated() {
                let printed = probabilities[r][k]
                XCTAssertLessThanOrEqual(abs(value - printed), 1e-12 * abs(printed), "row \(r + 1) class \(k): numpy \(value), predict \(printed)")
            }
        }
        // A trained model, not noise: the first row of each species gets its own.
        XCTAssertEqual(lines.dropFirst().prefix(3).map { $0.split(separator: ",")[0] }, ["setosa", "versicolor", "virginica"])
    }
}
