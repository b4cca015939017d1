import BackpropCore

/// The trained network measured on one part of the data.
public struct PartEvaluation: Sendable {
    /// "test", "validation" or "training".
    public let part: String
    public let samples: Int
    /// Mean loss per sample with the final parameters (the loss the network trained with).
    public let loss: Double
    /// Classification only: the fraction predicted right and the confusion matrix,
    /// `confusion[true class][predicted class]` = number of samples.
    public let accuracy: Double?
    public let confusion: [[Int]]?
    /// Regression only: MSE, RMSE, MAE and R² of the outputs against the targets.
    public var regression: RegressionMetrics? = nil
}

extension RunReport {
    /// Evaluates the final network on `dataset`: mean loss, and for classification accuracy and
    /// the confusion matrix (argmax of the outputs, a 0.5 threshold for a single output).
    public func evaluate(_ dataset: Dataset, part: String) -> PartEvaluation {
        Self.evaluate(dataset, part: part, network: network, data: data, loss: definition.loss)
    }

    static func evaluate(_ dataset: Dataset, part: String, network: Network, data: LoadedData,
                         loss: any Loss) -> PartEvaluation {
        // One forward pass gives both the loss and the outputs.
        let (loss, predictions) = network.lossAndPredictions(on: dataset, loss: loss)
        guard let classes = data.task.classNames, dataset.count > 0 else {
            var evaluation = PartEvaluation(part: part, samples: dataset.count, loss: loss, accuracy: nil, confusion: nil)
            if dataset.count > 0 {
                evaluation.regression = RegressionMetrics(predictions: predictions, targets: dataset.targets)
            }
            return evaluation
        }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
        var correct = 0
        for r in 0..<dataset.count {
            let truth = Network.predictedClass(dataset.targets.row(r))
            let guess = Network.predictedClass(predictions.row(r))
            if truth == guess { correct += 1 }
            if truth < classes.count && guess < classes.count { confusion[truth][guess] += 1 }
        }
        return PartEvaluation(part: part, samples: dataset.count, loss: loss,
                              accuracy: Double(correct) / Double(dataset.count), confusion: confusion)
    }

    /// Regression only: each part's metrics with the final parameters, by metrics.json prefix
    /// (`train`, `val`, `test`), in that order; empty for classification.
    var regressionMetrics: [(prefix: String, metrics: RegressionMetrics)] {
        guard data.task == .regression else { return [] }
        let parts: [(String, PartEvaluation?)] = [
            ("train", evaluate(data.training, part: "training")),
            ("val", data.validation.map { evaluate($0, part: "validation") }),
            ("test", testEvaluation),
        ]
        return parts.compactMap { prefix, evaluation in evaluation?.regression.map { (prefix, $0) } }
    }

    /// metrics.json members that come from the data's parts: test figures, sample counts, class
    /// names and a confusion matrix (rows = true class, columns = predicted class) for the test
    /// part, else the validation part, else the training part, named by `confusion_matrix_part`.
    /// MetricsOutput places them after the training and validation figures.
    var dataMetrics: [(String, JSON)] {
        var members: [(String, JSON)] = []
        let test = testEvaluation
        if let test {
            members.append(("test_loss", .number(test.loss)))
            if let accuracy = test.accuracy { members.append(("test_accuracy", .number(accuracy))) }
            members.append(("test_samples", .integer(test.samples)))
        }
        if let validation = data.validation { members.append(("validation_samples", .integer(validation.count))) }
        if let classes = data.task.classNames {
            members.append(("classes", .array(classes.map(JSON.string))))
            let shown = test ?? data.validation.map { evaluate($0, part: "validation") } ?? evaluate(data.training, part: "training")
            if let confusion = shown.confusion {
                members.append(("confusion_matrix_part", .string(shown.part)))
                members.append(("confusion_matrix", .array(confusion.map { .array($0.map(JSON.integer)) })))
            }
        }
        if let normalization = data.normalization { members.append(("normalize", .string(normalization.method.rawValue))) }
        for (prefix, metrics) in regressionMetrics { members += metrics.members(prefix: prefix) }
        return members
    }
}
