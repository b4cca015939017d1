import Foundation
import Testing
@testable import Pipeline

/// Inputs found by the model and predict fuzz targets (fuzz/run-data.sh model|predict), replayed.
@Suite struct ModelFuzzFindingsTests {
    /// An IDX header with 0 images bounds nothing by its element count (0 × anything = 0), yet
    /// predict and evaluate multiply out the sample shape to compare it with the model's inputs:
    /// 4294967295 × 4294967295 overflowed Int and trapped. The header reader now refuses a sample
    /// shape beyond what it reads, as it refuses such a file with images.
    @Test func emptyIDXWithAnOverflowingShapeIsRefused() throws {
        let scratch = try DataScratch()
        let model = try scratch.write("m.json", """
            {"format": 2, "task": "classification", "inputs": 1,
             "layers": [{"units": 2, "activation": "softmax", "weights": [[1, -1]], "bias": [0, 0]}],
             "features": ["x"], "classes": ["a", "b"], "loss": "cross_entropy", "precision": "float64"}
            """)
        let images = try scratch.write("images.idx", bytes: idxBytes([0, 0xFFFF_FFFF, 0xFFFF_FFFF], []))
        let labels = try scratch.write("labels.idx", bytes: idxBytes([0], []))
        let expected = "\(images): error: the IDX header declares 0 x 4294967295 x 4294967295 elements, more than bp-pipeline reads"
        let loaded = try TrainedModel.load(path: model)
        let predicted = try #require(throws: PipelineError.self) {
            try Prediction.run(loaded, dataPath: images, format: "auto", scale: 255) { _ in }
        }
        #expect(predicted.description == expected)
        #expect(predicted.exitCode == .dataError)
        let evaluated = try #require(throws: PipelineError.self) {
            try Evaluation(Evaluation.Request(modelPath: model, dataPath: images, labelsPath: labels, scale: 255))
        }
        #expect(evaluated.description == expected)
        #expect(evaluated.exitCode == .dataError)
    }
}
