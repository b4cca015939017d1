import BackpropCore
import Foundation
import PipelineSpec
import Testing
@testable import Pipeline

/// model.json format 2: written by a run, read back by `TrainedModel.load`, old files too.
@Suite struct TrainedModelTests {
    static let repository = DataPipelineTests.repository

    /// Trains `spec` into `scratch/out` and returns the run's report.
    func train(_ scratch: DataScratch, _ spec: String) throws -> RunReport {
        let path = try scratch.write("spec.yaml", spec)
        return try Engine.run(try Engine.prepare(try Engine.load(RunRequest(specPath: path, outputDirectory: scratch.folder + "/out")))).report
    }

    /// Train, write, load: the loaded network gives the trained network's outputs bit for bit, and
    /// every key of format 2 holds what the run used.
    @Test func classificationRoundTripIsBitExact() throws {
        let scratch = try DataScratch()
        let report = try train(scratch, """
            seed: 3
            data: {type: csv, path: \(Self.repository)/Data/iris.csv, label: species, normalize: standardize}
            network:
              inputs: 4
              layers:
                - {units: 5, activation: {type: leaky_relu, alpha: 0.125}}
                - {units: 3, activation: softmax}
            loss: cross_entropy
            learning_rate: {type: constant, value: 0.05}
            training: {epochs: 3, optimizer: adam, precision: float32}
            outputs: [{type: model}]
            """)
        let model = try TrainedModel.load(path: scratch.folder + "/out/model.json")
        #expect(model.format == 2)
        #expect(model.task == .classification)
        #expect(model.features == ["sepal_length", "sepal_width", "petal_length", "petal_width"])
        #expect(model.classes == ["setosa", "versicolor", "virginica"])
        #expect(model.targets == nil)
        #expect(model.label == "species")
        #expect(model.loss?.name == "cross_entropy")
        #expect(model.precision == .float32)
        #expect(model.normalization == report.data.normalization)
        #expect(model.layers.map(\.activation.name) == ["leaky_relu", "softmax"])
        #expect(model.layers[0].activation.parameters == ["alpha": 0.125])

        let inputs = report.data.training.inputs
        let trained = report.network.predict(inputs)
        let loaded = model.network().predict(inputs)
        #expect(loaded.storage.map(\.bitPattern) == trained.storage.map(\.bitPattern))
        #expect(model.network().parameters.map { $0.value.storage } == report.network.parameters.map { $0.value.storage })
    }

    /// Regression from CSV: task regression, the target column's name, no classes.
    @Test func regressionRecordsTargets() throws {
        let scratch = try DataScratch()
        try scratch.write("r.csv", "a,b,y,z\n0,1,2,3\n1,0,1,4\n2,2,0,5\n3,1,1,6\n")
        let report = try train(scratch, """
            data: {type: csv, path: r.csv, task: regression, targets: [z, y]}
            network: {inputs: 2, layers: [{units: 2, activation: linear}]}
            loss: mse
            learning_rate: {type: constant, value: 0.01}
            training: {epochs: 2, optimizer: sgd}
            outputs: [{type: model}]
            """)
        let model = try TrainedModel.load(path: scratch.folder + "/out/model.json")
        #expect(model.task == .regression)
        #expect(model.targets == ["z", "y"])
        #expect(model.classes == nil)
        #expect(model.loss?.name == "mse")
        #expect(model.normalization == nil)
        let inputs = report.data.training.inputs
        #expect(model.network().predict(inputs).storage.map(\.bitPattern) == report.network.predict(inputs).storage.map(\.bitPattern))
    }

    /// A synthetic set with one sigmoid output is a binary model over its two classes.
    @Test func singleSigmoidIsBinary() throws {
        let scratch = try DataScratch()
        _ = try train(scratch, """
            data: {type: synthetic, dataset: xor, samples: 20}
            network: {inputs: 2, layers: [{units: 3, activation: tanh}, {units: 1, activation: sigmoid}]}
            loss: binary_cross_entropy
            learning_rate: {type: constant, value: 0.1}
            training: {epochs: 1, optimizer: sgd}
            outputs: [{type: model}]
            """)
        let model = try TrainedModel.load(path: scratch.folder + "/out/model.json")
        #expect(model.task == .binary)
        #expect(model.classes == ["negative", "positive"])
    }

    /// Every registered activation, as its documented example builds it (leaky_relu with alpha
    /// 0.1, ...), survives model.json: the same name and parameters, the same outputs bit for bit.
    @Test func everyActivationRoundTrips() throws {
        let inputs = Matrix([[0.5, -1.25], [-2, 3], [0, 0]])
        for plugin in Registry.activations.plugins {
            let root = try SpecLoader.load(text: plugin.description.example + "\n", path: "example")
            let activation = try Registry.activations.make(from: try PluginParameterTests.node(at: "activation", in: root),
                                                           context: SpecContext(directory: ".", seed: 0)).product
            let network = Network(inputCount: 2, layers: [
                DenseLayer(index: 1, weights: Matrix([[0.5, -1, 2], [1.5, 0.25, -0.75]]), bias: [0.1, -0.2, 0.3], activation: activation),
            ])
            let model = TrainedModel(format: 2, task: .regression, inputs: 2,
                                     layers: [TrainedModel.Layer(activation: activation, weights: network.layers[0].weights.value, bias: [0.1, -0.2, 0.3])],
                                     features: ["a", "b"], classes: nil, label: nil, targets: ["x", "y", "z"], normalization: nil,
                                     loss: MeanSquaredError(), precision: .float64)
            let loaded = try TrainedModel.decode(Array(model.json.serialized().utf8), path: "m.json")
            #expect(loaded.layers[0].activation.name == activation.name, "\(plugin.description.name)")
            #expect(loaded.layers[0].activation.parameters == activation.parameters, "\(plugin.description.name)")
            #expect(loaded.network().predict(inputs).storage.map(\.bitPattern) == network.predict(inputs).storage.map(\.bitPattern),
                    "\(plugin.description.name)")
        }
    }

    /// A format 1 file (what earlier versions wrote: no format, task, targets, loss, precision).
    static let formatOne = """
        {
          "inputs": 2,
          "layers": [
            {
              "units": 2,
              "activation": "elu",
              "alpha": 0.5,
              "weights": [[1.0, -2.0], [0.5, 0.25]],
              "bias": [0.0, 1.0]
            },
            {
              "units": 2,
              "activation": "softmax",
              "weights": [[1.0, 0.0], [0.0, 1.0]],
              "bias": [0.0, 0.0]
            }
          ],
          "features": ["u", "v"],
          "normalization": {"method": "standardize", "shift": [1.0, 2.0], "scale": [2.0, 4.0]},
          "classes": ["no", "yes"]
        }

        """

    @Test func formatOneLoadsWithTheTaskInferred() throws {
        let scratch = try DataScratch()
        let path = try scratch.write("old.json", Self.formatOne)
        let model = try TrainedModel.load(path: path)
        #expect(model.format == 1)
        #expect(model.task == .classification)
        #expect(model.loss == nil)
        #expect(model.precision == .float64)
        #expect(model.layers[0].activation.parameters == ["alpha": 0.5])
        #expect(model.normalization == Normalization(method: .standardize, shift: [1, 2], scale: [2, 4]))
        // Without classes the same file is a regression model with unnamed targets.
        let regression = try TrainedModel.load(path: try scratch.write("r.json", Self.formatOne.replacingOccurrences(of: ",\n  \"classes\": [\"no\", \"yes\"]", with: "")))
        #expect(regression.task == .regression)
        #expect(regression.targets == nil)
    }

    /// Faults name the file, line:column and the JSON path; missing files exit 66, the rest 65.
    @Test(arguments: [
        ("{\"inputs\": 2,\n  \"layers\": [1, }", ExitCode.dataError, "{f}:2:17: error: not valid JSON: unexpected character '}'"),
        ("[", .dataError, "{f}:1:2: error: not valid JSON: the file ends where a value should be"),
        ("", .dataError, "{f}: error: the model file is empty"),
        ("[1]", .dataError, "{f}:1:1: error: expected an object, found a list"),
        (String(repeating: "[", count: 100), .dataError, "{f}:1:65: error: not valid JSON: nested deeper than 64 levels"),
        ("{\"format\": 3}", .dataError, "{f}:1:12: error: format: format 3 is newer than this bp-pipeline reads (1 to 2)"),
        ("{\"inputs\": 1.5}", .dataError, "{f}:1:12: error: inputs: expected an integer, found 1.5"),
        ("{\"inputs\": 2}", .dataError, "{f}:1:1: error: the model has no 'layers'"),
        ("{\"inputs\": 2, \"layers\": [{\"units\": 1, \"activation\": \"sigmoid\",\n \"weights\": [[1], [2, 3]], \"bias\": [0]}]}", .dataError,
         "{f}:2:19: error: layers[0].weights[1]: expected 1 numbers (one per unit), found 2"),
        ("{\"inputs\": 1, \"layers\": [{\"units\": 1, \"activation\": \"sigmoid\", \"weights\": [[\"x\"]], \"bias\": [0]}]}", .dataError,
         "{f}:1:77: error: layers[0].weights[0][0]: expected a number, found a string"),
        ("{\"inputs\": 1, \"layers\": [{\"units\": 1000000000000000, \"activation\": \"sigmoid\", \"weights\": [[1]], \"bias\": [0]}]}", .dataError,
         "{f}:1:91: error: layers[0].weights[0]: expected 1000000000000000 numbers (one per unit), found 1"),
        ("{\"inputs\": 1, \"layers\": [{\"units\": 1, \"activation\": \"sigmoid\", \"weights\": [[1e999]], \"bias\": [0]}]}", .dataError,
         "{f}:1:77: error: not valid JSON: the number 1e999 is out of range for a double"),
        ("{\"inputs\": 1, \"layers\": [{\"units\": 1, \"activation\": \"sigmoid\", \"weights\": [[1]], \"bias\": [0]}], \"features\": [\"x\"], \"input_scale\": 0}", .dataError,
         "{f}:1:131: error: input_scale: must be a positive number (it divides), found 0.0"),
    ])
    func faults(text: String, code: ExitCode, message: String) throws {
        let scratch = try DataScratch()
        let path = try scratch.write("m.json", text)
        let error = try #require(throws: PipelineError.self) { try TrainedModel.load(path: path) }
        #expect(error.exitCode == code)
        #expect(error.description == message.replacingOccurrences(of: "{f}", with: path))
    }

    /// An unknown activation goes through the registry: the spec renderer's message with a suggestion.
    @Test func unknownActivationSuggests() throws {
        let scratch = try DataScratch()
        let path = try scratch.write("m.json", Self.formatOne.replacingOccurrences(of: "\"elu\"", with: "\"eluu\""))
        let error = try #require(throws: PipelineError.self) { try TrainedModel.load(path: path) }
        #expect(error.exitCode == .dataError)
        #expect(error.description.hasPrefix("\(path):6:21: error: unknown activation 'eluu'; did you mean 'elu'?"), "\(error.description)")
        let missing = try #require(throws: PipelineError.self) { try TrainedModel.load(path: scratch.folder + "/none.json") }
        #expect(missing.exitCode == .noInput)
        #expect(missing.description == "\(scratch.folder)/none.json: error: cannot open: no such file")
    }
}
