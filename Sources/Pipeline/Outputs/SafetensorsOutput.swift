import BackpropCore

/// `model.safetensors`: the trained weights in Hugging Face's safetensors layout, named so
/// PyTorch's `load_state_dict` of the equivalent `nn.Sequential` takes them.
///
/// Layout (the format's own): an 8-byte little-endian unsigned header length N; N bytes of UTF-8
/// JSON `{"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}`
/// padded with spaces to a multiple of 8 (as the reference implementation pads, so every tensor
/// starts 8-byte aligned); then the tensors' raw little-endian bytes, contiguous, in header order,
/// offsets counted from the first byte after the header.
///
/// Names: layer l (1-based) is the Sequential's modules 2(l−1) (`nn.Linear`) and 2(l−1)+1 (its
/// activation, `nn.Identity` for linear), so its tensors are `{2(l−1)}.weight`, shape
/// [units, inputs], and `{2(l−1)}.bias`, shape [units]. `nn.Linear` computes x·Wᵀ + b, so its
/// weight is the transpose of the seed's weights[j][k] (from input j to unit k): weight[k][j] = w_jk.
public struct SafetensorsOutput: OutputStage, StagePlugin {
    public static let description = StageDescription(
        name: "safetensors", summary: "model.safetensors: the weights for PyTorch's nn.Sequential (0.weight [out, in], 0.bias, 2.weight, ...), F64 or F32 as trained; features, classes, normalisation and activations in __metadata__",
        parameters: [file],
        example: "- type: safetensors\n  file: model.safetensors")
    public let file: String
    public init(_ arguments: PluginArguments) throws { file = try arguments.outputFile(Self.file) }
    static let file = Parameter("file", default: "model.safetensors", "file name in the output folder")

    public func write(_ report: RunReport, to path: String) throws {
        try writeBytes(Self.bytes(report.network, precision: report.definition.training.precision,
                                  metadata: Self.metadata(report)), to: path)
    }

    /// One tensor: its name, shape and values in row-major order.
    struct Tensor {
        let name: String
        let shape: [Int]
        let values: [Double]
    }

    /// The state_dict of `nn.Sequential(nn.Linear, activation, nn.Linear, activation, ...)`.
    static func tensors(_ network: Network) -> [Tensor] {
        network.layers.enumerated().flatMap { index, layer -> [Tensor] in
            let (inputs, units) = (layer.inputCount, layer.unitCount)
            let w = layer.weights.value
            // (in, out) -> (out, in): weight[k][j] = w_jk.
            var transposed = [Double](repeating: 0, count: inputs * units)
            for k in 0..<units { for j in 0..<inputs { transposed[k * inputs + j] = w[j, k] } }
            return [
                Tensor(name: "\(2 * index).weight", shape: [units, inputs], values: transposed),
                Tensor(name: "\(2 * index).bias", shape: [units], values: layer.bias.value.storage),
            ]
        }
    }

    /// The whole file. float32 runs' values are float32 numbers widened to Double, so narrowing
    /// them back is exact.
    static func bytes(_ network: Network, precision: Precision, metadata: [(String, String)]) -> [UInt8] {
        let tensors = tensors(network)
        let (dtype, width) = precision == .float32 ? ("F32", 4) : ("F64", 8)
        var entries: [(String, JSON)] = [("__metadata__", .object(metadata.map { ($0.0, .string($0.1)) }))]
        var offset = 0
        for tensor in tensors {
            let end = offset + tensor.values.count * width
            entries.append((tensor.name, .object([
                ("dtype", .string(dtype)),
                ("shape", .array(tensor.shape.map(JSON.integer))),
                ("data_offsets", .array([.integer(offset), .integer(end)])),
            ])))
            offset = end
        }
        var header = Array(JSON.object(entries).compactText().utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        out += header
        for tensor in tensors {
            for value in tensor.values {
                if precision == .float32 {
                    withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { out += $0 }
                } else {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 }
                }
            }
        }
        return out
    }

    /// `__metadata__`: what applying the weights needs besides them, from the same `TrainedModel`
    /// model.json is written from, each value a string (the format allows nothing else),
    /// structured ones as compact JSON.
    static func metadata(_ report: RunReport) -> [(String, String)] {
        let model = TrainedModel(report)
        let network = report.network
        func list(_ names: [String]) -> String { JSON.array(names.map(JSON.string)).compactText() }
        var members: [(String, String)] = [
            // safetensors' own convention for a PyTorch state_dict.
            ("format", "pt"),
            ("software", "bp-pipeline \(report.version)"),
            ("task", model.task.rawValue),
            ("precision", model.precision.rawValue),
            ("inputs", String(model.inputs)),
            ("activations", JSON.array(network.layers.map { activationJSON($0.activation) }).compactText()),
            ("features", list(model.features)),
        ]
        if let sequential = pytorchSequential(network) { members.append(("pytorch", sequential)) }
        if let classes = model.classes { members.append(("classes", list(classes))) }
        if let label = model.label { members.append(("label", label)) }
        if let targets = model.targets { members.append(("targets", list(targets))) }
        // Shortest round-trip text, as in model.json: raw inputs / input_scale, then the normalisation.
        if let inputScale = model.inputScale { members.append(("input_scale", JSON.number(inputScale).compactText())) }
        if let normalization = model.normalization {
            members.append(("normalization", JSON.object([
                ("method", .string(normalization.method.rawValue)),
                ("shift", .numbers(normalization.shift)),
                ("scale", .numbers(normalization.scale)),
            ]).compactText()))
        }
        if let loss = model.loss { members.append(("loss", loss.name)) }
        return members
    }

    /// An activation with its parameters: "tanh", or {"type": "leaky_relu", "alpha": 0.1}.
    static func activationJSON(_ activation: any Activation) -> JSON {
        let parameters = activation.parameters.sorted { $0.key < $1.key }
        if parameters.isEmpty { return .string(activation.name) }
        return .object([("type", .string(activation.name))] + parameters.map { ($0.key, JSON.number($0.value)) })
    }

    /// The equivalent module as PyTorch source, e.g.
    /// `nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.Softmax(dim=1))`.
    /// nil when an activation has no PyTorch module.
    static func pytorchSequential(_ network: Network) -> String? {
        var modules: [String] = []
        for layer in network.layers {
            guard let activation = pytorchModule(layer.activation) else { return nil }
            modules += ["nn.Linear(\(layer.inputCount), \(layer.unitCount))", activation]
        }
        return "nn.Sequential(" + modules.joined(separator: ", ") + ")"
    }

    /// Each activation's PyTorch module, computing the same function (gelu: PyTorch's default is
    /// the exact erf form, as here; swish is SiLU).
    static func pytorchModule(_ activation: any Activation) -> String? {
        let alpha = activation.parameters["alpha"].map { "\($0)" } ?? ""
        switch activation.name {
        case "sigmoid": return "nn.Sigmoid()"
        case "tanh": return "nn.Tanh()"
        case "relu": return "nn.ReLU()"
        case "leaky_relu": return "nn.LeakyReLU(negative_slope=\(alpha))"
        case "elu": return "nn.ELU(alpha=\(alpha))"
        case "selu": return "nn.SELU()"
        case "softplus": return "nn.Softplus()"
        case "gelu": return "nn.GELU()"
        case "swish": return "nn.SiLU()"
        case "softmax": return "nn.Softmax(dim=1)"
        case "linear": return "nn.Identity()"
        default: return nil
        }
    }
}

extension JSON {
    /// On one line with no spaces: `{"a":[1,2]}` (headers and metadata values).
    func compactText() -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let n): return String(n)
        case .number(let x): return x.isFinite ? "\(x)" : "null"
        case .string(let s): return JSON.quote(s)
        case .array(let items): return "[" + items.map { $0.compactText() }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { JSON.quote($0.0) + ":" + $0.1.compactText() }.joined(separator: ",") + "}"
        }
    }
}
