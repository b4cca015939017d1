import Foundation

/// A reader of `model.safetensors` independent of bp-pipeline's code, for the tests that check
/// the file against the network and against `bp-pipeline predict`.
public enum SafetensorsReader {
    /// The reader: numpy parses the header and maps each tensor with np.frombuffer, divides raw
    /// rows by the metadata's input_scale and normalises them with its shift and scale when the
    /// metadata has them, and applies the layers; with torch importable, load_state_dict(strict=True)
    /// into the Sequential the metadata names does the same. Arguments: the file, a JSON file of
    /// rows, the JSON file to write {"numpy": outputs, "torch": outputs or null} to.
    public static let script = #"""
        import json, struct, sys
        try:
            import numpy as np
        except ImportError as error:
            sys.exit("python3 has no numpy module (%s): install python3-numpy (Scripts/install-packages.sh)" % error)
        path, rows_path, out_path = sys.argv[1:4]
        blob = open(path, "rb").read()
        (n,) = struct.unpack("<Q", blob[:8])
        header = json.loads(blob[8:8 + n])
        meta = header.pop("__metadata__")
        dtypes = {"F64": "<f8", "F32": "<f4"}
        tensors = {}
        for name, entry in header.items():
            begin, end = entry["data_offsets"]
            tensors[name] = np.frombuffer(blob, dtype=dtypes[entry["dtype"]], count=(end - begin) // np.dtype(dtypes[entry["dtype"]]).itemsize,
                                          offset=8 + n + begin).reshape(entry["shape"]).astype(np.float64)
        x = np.array(json.load(open(rows_path)), dtype=np.float64)
        if "input_scale" in meta:
            x = x / float(meta["input_scale"])
        if "normalization" in meta:
            norm = json.loads(meta["normalization"])
            x = (x - np.array(norm["shift"])) / np.array(norm["scale"])
        def act(spec, z):
            kind = spec if isinstance(spec, str) else spec["type"]
            if kind == "tanh": return np.tanh(z)
            if kind == "leaky_relu": return np.where(z > 0, z, spec["alpha"] * z)
            if kind == "softmax":
                e = np.exp(z - z.max(axis=1, keepdims=True))
                return e / e.sum(axis=1, keepdims=True)
            sys.exit("the test's reader has no activation %r" % kind)
        y = x
        for i, spec in enumerate(json.loads(meta["activations"])):
            y = act(spec, y @ tensors["%d.weight" % (2 * i)].T + tensors["%d.bias" % (2 * i)])
        result = {"numpy": y.tolist(), "torch": None}
        try:
            import torch
            from torch import nn
        except ImportError:
            torch = None
        if torch is not None:
            model = eval(meta["pytorch"], {"nn": nn}).double()
            model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()}, strict=True)
            with torch.no_grad():
                result["torch"] = model(torch.from_numpy(x)).numpy().tolist()
        json.dump(result, open(out_path, "w"))
        """#

    /// The spec both safetensors tests train: iris (`iris` is Data/iris.csv's path) through three
    /// layers, one activation with a parameter, standardised inputs, writing model.safetensors and model.json.
    public static func irisSpec(iris: String, precision: String = "float64") -> String {
        """
        name: iris-safetensors
        seed: 3
        data: {type: csv, path: \(iris), label: species, task: classification, normalize: standardize}
        network:
          inputs: 4
          layers:
            - {units: 6, activation: {type: leaky_relu, alpha: 0.1}}
            - {units: 5, activation: tanh}
            - {units: 3, activation: softmax}
        loss: cross_entropy
        learning_rate: {type: constant, value: 0.05}
        training: {epochs: 5, batch_size: 16, optimizer: adam, precision: \(precision)}
        outputs: [{type: safetensors}, {type: model}]
        """
    }

    /// What a run of the reader gave: its exit status, stderr, and the parsed answer when it succeeded.
    public struct Answer {
        public var status: Int32
        public var stderr: String
        public var outputs: [String: Any]?
    }

    /// Runs `script` with `python` (a name on PATH or a path) on `rows`, with its files in `folder`.
    public static func run(_ file: String, rows: [[Double]], python: String, folder: URL) throws -> Answer {
        let rowsURL = folder.appendingPathComponent("rows.json"), outURL = folder.appendingPathComponent("out.json")
        // Shortest round-trip text: python's float() reads back the same doubles.
        let text = "[" + rows.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        try text.write(to: rowsURL, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script, file, rowsURL.path, outURL.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return Answer(status: process.terminationStatus, stderr: stderr, outputs: nil) }
        let outputs = try JSONReader.parse(String(contentsOf: outURL, encoding: .utf8)) as? [String: Any]
        return Answer(status: 0, stderr: stderr, outputs: outputs)
    }
}
