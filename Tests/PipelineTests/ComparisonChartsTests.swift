import Foundation
@preconcurrency import Glibc
import Testing
@testable import Pipeline
import Render

/// The sweep's comparison charts from real run folders: the aggregation across seeds to the last
/// bit, runs left out for every kind of fault without a crash or a hang, atomic and
/// deterministic files, and the seed's vanishing gradient from really trained networks.
final class ComparisonChartsTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bp-comparison-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// A run folder `name` with the given files (nil leaves a file out).
    @discardableResult
    func runFolder(_ name: String, status: String? = "completed", history: String?) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if let status { try "{\n  \"name\": \"t\",\n  \"status\": \"\(status)\",\n  \"epochs\": 3\n}\n".write(toFile: path + "/metrics.json", atomically: true, encoding: .utf8) }
        if let history { try history.write(toFile: path + "/history.csv", atomically: true, encoding: .utf8) }
        return path
    }

    /// history.csv as HistoryOutput writes it, for a network of `gradients[0].count` layers:
    /// `grad_norm_l` are 9 (never read), `grad_mean_abs_l` the given values per row.
    static func history(loss: [String], validation: [String]? = nil, gradients: [[Double]]) -> String {
        let layers = gradients[0].count
        var header = ["epoch", "loss", "lr"] + (validation == nil ? [] : ["val_loss"])
        header += (1...layers).map { "grad_norm_\($0)" } + (1...layers).map { "grad_mean_abs_\($0)" }
        var rows = [header.joined(separator: ",")]
        for (i, value) in loss.enumerated() {
            var row = [String(i + 1), value, "0.1"] + (validation.map { [$0[i]] } ?? [])
            row += Array(repeating: "9", count: layers) + gradients[min(i, gradients.count - 1)].map { "\($0)" }
            rows.append(row.joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    static func run(_ combination: Int, _ value: String, seed: Int?, _ folder: String) -> SweepRun {
        SweepRun(combination: combination, values: [.init(key: "activation.type", value: value)], seed: seed, folder: folder)
    }

    @Test func theMeanAndRangeAcrossSeedsAreExactPerEpochAndPerLayer() throws {
        // Three seeds of sigmoid (given out of order), one run of relu with validation loss.
        let losses: [Int: [Double]] = [1: [0.5, 0.25, 0.125], 2: [0.75, 0.5, 0.375], 3: [1.0, 0.0625, 0.5]]
        let first: [Int: [Double]] = [1: [1e-6, 1e-2], 2: [3e-6, 2e-2], 3: [2e-6, 6e-2]]
        let last: [Int: [Double]] = [1: [4e-7, 5e-3], 2: [5e-7, 1e-3], 3: [6e-7, 3e-3]]
        var runs: [SweepRun] = []
        for seed in [3, 1, 2] {
            let path = try runFolder("sigmoid-\(seed)", history: Self.history(loss: losses[seed]!.map { "\($0)" },
                                                                              gradients: [first[seed]!, first[seed]!, last[seed]!]))
            runs.append(Self.run(0, "sigmoid", seed: seed, path))
        }
        let relu = try runFolder("relu", history: Self.history(loss: ["0.5", "0.25"], validation: ["0.625", "0.375"],
                                                               gradients: [[0.01, 0.02, 0.03], [0.04, 0.05, 0.06]]))
        runs.insert(Self.run(1, "relu", seed: nil, relu), at: 0)

        let comparison = Comparison(runs)
        #expect(comparison.notes.isEmpty && comparison.lossNotes.isEmpty && comparison.gradientNotes.isEmpty)
        #expect(comparison.loss.map(\.label) == ["sigmoid", "relu"])
        let sigmoid = comparison.loss[0]
        #expect(sigmoid.epochs == [1, 2, 3])
        #expect(sigmoid.validation == nil)
        // Summed in seed order 1, 2, 3, whatever order the runs came in.
        for e in 0..<3 {
            let v = [losses[1]![e], losses[2]![e], losses[3]![e]]
            #expect(sigmoid.train[e] == Spread(mean: (v[0] + v[1] + v[2]) / 3, minimum: v.min()!, maximum: v.max()!, count: 3))
        }
        #expect(sigmoid.train[1] == Spread(mean: (0.25 + 0.5 + 0.0625) / 3, minimum: 0.0625, maximum: 0.5, count: 3))
        let depth = comparison.gradients[0]
        for layer in 0..<2 {
            let f = [first[1]![layer], first[2]![layer], first[3]![layer]]
            let l = [last[1]![layer], last[2]![layer], last[3]![layer]]
            #expect(depth.first[layer] == Spread(mean: (f[0] + f[1] + f[2]) / 3, minimum: f.min()!, maximum: f.max()!, count: 3))
            #expect(depth.last[layer] == Spread(mean: (l[0] + l[1] + l[2]) / 3, minimum: l.min()!, maximum: l.max()!, count: 3))
        }
        // One run: the spread is the value itself; validation loss is kept beside the training loss.
        #expect(comparison.loss[1].train == [Spread(mean: 0.5, minimum: 0.5, maximum: 0.5, count: 1), Spread(mean: 0.25, minimum: 0.25, maximum: 0.25, count: 1)])
        #expect(comparison.loss[1].validation == [Spread(mean: 0.625, minimum: 0.625, maximum: 0.625, count: 1), Spread(mean: 0.375, minimum: 0.375, maximum: 0.375, count: 1)])
        // A three-layer network beside the two-layer one; first and last rows only.
        #expect(comparison.gradients[1].first.map { $0?.mean } == [0.01, 0.02, 0.03])
        #expect(comparison.gradients[1].last.map { $0?.mean } == [0.04, 0.05, 0.06])
        #expect(comparison.firstTitle == "first epoch (1)")
        #expect(comparison.lastTitle == "last epoch of each run (2–3)")
    }

    @Test func anEarlyStoppedSeedLeavesTheOthersToCarryOn() throws {
        let a = try runFolder("a", status: "stopped_early", history: Self.history(loss: ["1", "0.5"], gradients: [[1.0]]))
        let b = try runFolder("b", history: Self.history(loss: ["0.5", "0.25", "0.125", "0.0625"], gradients: [[2.0]]))
        let comparison = Comparison([Self.run(0, "tanh", seed: 1, a), Self.run(0, "tanh", seed: 2, b)])
        let series = comparison.loss[0]
        #expect(series.epochs == [1, 2, 3, 4])
        #expect(series.train.map { $0?.count } == [2, 2, 1, 1])
        #expect(series.train[1] == Spread(mean: 0.375, minimum: 0.25, maximum: 0.5, count: 2))
        #expect(series.train[3] == Spread(mean: 0.0625, minimum: 0.0625, maximum: 0.0625, count: 1))
        #expect(comparison.gradients[0].last == [Spread(mean: 1.5, minimum: 1, maximum: 2, count: 2)])
    }

    @Test func divergedRunsLeaveGapsAndSayHowManyDiverged() throws {
        // Seed 1 diverged in epoch 2: its loss is NaN there and its last gradients infinite.
        let diverged = Self.history(loss: ["0.5", "nan", ""], gradients: [[0.1, 0.2], [0.1, 0.2], [.infinity, .nan]])
        let a = try runFolder("a", status: "diverged", history: diverged)
        let b = try runFolder("b", history: Self.history(loss: ["0.25", "0.125", "0.0625"], gradients: [[0.3, 0.4]]))
        let comparison = Comparison([Self.run(0, "relu", seed: 1, a), Self.run(0, "relu", seed: 2, b)])
        #expect(comparison.loss[0].label == "relu (1 of 2 diverged)")
        #expect(comparison.loss[0].train == [Spread(mean: 0.375, minimum: 0.25, maximum: 0.5, count: 2),
                                             Spread(mean: 0.125, minimum: 0.125, maximum: 0.125, count: 1),
                                             Spread(mean: 0.0625, minimum: 0.0625, maximum: 0.0625, count: 1)])
        #expect(comparison.gradients[0].last == [Spread(mean: 0.3, minimum: 0.3, maximum: 0.3, count: 1), Spread(mean: 0.4, minimum: 0.4, maximum: 0.4, count: 1)])
        #expect(comparison.lossNotes == ["2 NaN or infinite loss values of diverged runs not drawn (gaps in the lines)"])
        #expect(comparison.gradientNotes == ["2 NaN or infinite gradient values of diverged runs left out of the means"])
        let all = Comparison([Self.run(0, "relu", seed: 1, a)])
        #expect(all.loss[0].label == "relu (diverged)")
    }

    @Test func unfinishedMissingAndMalformedRunsAreLeftOutWithoutACrashOrAHang() throws {
        let good = try runFolder("good", history: Self.history(loss: ["0.5"], gradients: [[0.1]]))
        let interrupted = try runFolder("interrupted", status: "interrupted", history: Self.history(loss: ["0.5"], gradients: [[0.1]]))
        let noHistory = try runFolder("no-history", history: nil)
        let noMetrics = try runFolder("no-metrics", status: nil, history: Self.history(loss: ["0.5"], gradients: [[0.1]]))
        let ragged = try runFolder("ragged", history: "epoch,loss,lr,grad_norm_1,grad_mean_abs_1\n1,0.5,0.1,1\n")
        let words = try runFolder("words", history: "epoch,loss,lr,grad_norm_1,grad_mean_abs_1\n1,half,0.1,1,1\n")
        let notJSON = try runFolder("not-json", status: nil, history: Self.history(loss: ["0.5"], gradients: [[0.1]]))
        try "status: completed".write(toFile: notJSON + "/metrics.json", atomically: true, encoding: .utf8)
        // A million '[' (under the 1 MiB limit): a parser without a depth limit would overflow its stack.
        let nested = try runFolder("nested", status: nil, history: Self.history(loss: ["0.5"], gradients: [[0.1]]))
        try String(repeating: "[", count: 1_000_000).write(toFile: nested + "/metrics.json", atomically: true, encoding: .utf8)
        // A named pipe nobody writes to: opening it for reading must not wait.
        let pipe = try runFolder("pipe", history: nil)
        #expect(mkfifo(pipe + "/history.csv", 0o644) == 0)
        // 65 MiB on disk (sparse): refused from its size, never read.
        let huge = try runFolder("huge", history: nil)
        let fd = open(huge + "/history.csv", O_WRONLY | O_CREAT, 0o644)
        #expect(ftruncate(fd, 65 << 20) == 0)
        close(fd)
        let folders = [good, interrupted, noHistory, noMetrics, ragged, words, notJSON, nested, pipe, huge, folder + "/absent"]
        let runs = folders.enumerated().map { Self.run(0, "sigmoid", seed: $0.offset, $0.element) }
        let start = Date()
        let comparison = Comparison(runs)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(comparison.loss.count == 1 && comparison.loss[0].train == [Spread(mean: 0.5, minimum: 0.5, maximum: 0.5, count: 1)])
        #expect(comparison.notes == ["10 of 11 runs left out: 1 not finished, 9 without a readable metrics.json and history.csv"])
        // Each fault, as the reader names it.
        func statusFault(_ folder: String) -> RunSkip? {
            do throws(RunSkip) { _ = try RunFolderReader.finishedStatus(folder); return nil } catch { return error }
        }
        func historyFault(_ folder: String) -> RunSkip? {
            do throws(RunSkip) { _ = try RunFolderReader.history(folder); return nil } catch { return error }
        }
        #expect(statusFault(interrupted) == .unfinished("interrupted"))
        #expect(historyFault(noHistory) == .unreadable("history.csv: No such file or directory"))
        #expect(historyFault(ragged) == .unreadable("history.csv: row 2 has 4 cells, the header 5"))
        #expect(historyFault(words) == .unreadable("history.csv: row 2, column loss is not a number"))
        #expect(statusFault(notJSON) == .unreadable("metrics.json: not a JSON object"))
        #expect(statusFault(nested) == .unreadable("metrics.json: not a JSON object"))
        #expect(historyFault(pipe) == .unreadable("history.csv: not a regular file"))
        #expect(historyFault(huge) == .unreadable("history.csv: larger than 64.0 MiB"))
    }

    @Test func historyRowsAreChecked() {
        func parse(_ text: String) -> Result<RunHistory, RunSkip> {
            do throws(RunSkip) { return .success(try RunFolderReader.parseHistory(Array(text.utf8))) } catch { return .failure(error) }
        }
        #expect(parse("") == .failure(.unreadable("history.csv: empty")))
        #expect(parse("epoch,lr\n1,0.1\n") == .failure(.unreadable("history.csv: no epoch and loss columns")))
        #expect(parse("epoch,loss\n") == .failure(.unreadable("history.csv: no rows")))
        #expect(parse("epoch,loss\n1.5,0.2\n") == .failure(.unreadable("history.csv: row 2, column epoch is not an integer")))
        #expect(parse("epoch,loss\n2,0.2\n2,0.1\n") == .failure(.unreadable("history.csv: row 3, epoch 2 does not follow 2")))
        #expect(parse(String(repeating: ",", count: 20_000) + "\n") == .failure(.unreadable("history.csv: more than 20000 columns")))
        // CRLF line ends, an empty cell (NaN) and no gradient columns.
        let history = try? parse("epoch,loss,val_loss\r\n1,0.5,\r\n2,0.25,0.5\r\n").get()
        #expect(history?.epochs == [1, 2] && history?.loss == [0.5, 0.25] && history?.firstGradients == [])
        #expect(history?.validationLoss?[0].isNaN == true && history?.validationLoss?[1] == 0.5)
    }

    @Test func writeReplacesBothChartsAtomicallyWithTheSameBytes() throws {
        let a = try runFolder("a", history: Self.history(loss: ["1", "0.1", "0.01", "0.001"], validation: ["1", "0.2", "0.05", "0.01"],
                                                          gradients: [[1e-6, 1e-3, 1e-1], [0, 1e-3, 1e-1]]))
        let b = try runFolder("b", history: Self.history(loss: ["1", "0.5", "0.2", "0.1"], gradients: [[1e-2, 2e-2, 3e-2]]))
        let runs = [Self.run(0, "sigmoid", seed: 1, a), Self.run(1, "relu", seed: 1, b)]
        let written = try ComparisonCharts.write(runs, title: "activations", into: folder)
        #expect(written == ["loss_comparison.png", "gradients_by_depth.png"])
        let loss = try PNG.read(path: folder + "/loss_comparison.png")
        let depth = try PNG.read(path: folder + "/gradients_by_depth.png")
        #expect(loss.width == 1000 && loss.height == 640 && depth.width == 1000 && depth.height == 560)
        #expect(try PNG.textChunks(path: folder + "/loss_comparison.png").map(\.value) == ["bp-pipeline \(Engine.version)", "activations"])
        let bytes = try [Data(contentsOf: URL(fileURLWithPath: folder + "/loss_comparison.png")),
                         Data(contentsOf: URL(fileURLWithPath: folder + "/gradients_by_depth.png"))]
        _ = try ComparisonCharts.write(runs.reversed(), title: "activations", into: folder)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/loss_comparison.png")) == bytes[0])
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/gradients_by_depth.png")) == bytes[1])
        // No temporary file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") } == [])
    }

    @Test func aFolderThatCannotBeWrittenIsExit73NamingTheChart() throws {
        let target = folder + "/missing"
        #expect {
            _ = try ComparisonCharts.write([], title: "t", into: target)
        } throws: { error in
            guard let error = error as? PipelineError else { return false }
            return error.exitCode == .cannotCreate
                && error.description.hasPrefix("\(target)/loss_comparison.png: error: cannot write the chart: ")
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func deepSigmoidGradientsSitDecadesBelowReluOnesAtLayerOne() throws {
        // Really trained: the seed's 2-16×8-1 network, sigmoid against relu, two seeds each, 3 epochs.
        let pipelines = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Pipelines/deep-sigmoid.yaml").path
        var runs: [SweepRun] = []
        for (combination, activation) in ["sigmoid", "relu"].enumerated() {
            for seed in [1, 2] {
                let out = folder + "/\(activation)-\(seed)"
                let request = RunRequest(specPath: pipelines, overrides: ["activation.type=\(activation)", "seed=\(seed)", "training.epochs=3"],
                                         outputDirectory: out)
                _ = try Engine.run(try Engine.prepare(try Engine.load(request)))
                runs.append(Self.run(combination, activation, seed: seed, out))
            }
        }
        let comparison = Comparison(runs)
        #expect(comparison.notes.isEmpty)
        let sigmoid = comparison.gradients[0].first.compactMap { $0?.mean }
        let relu = comparison.gradients[1].first.compactMap { $0?.mean }
        #expect(sigmoid.count == 9 && relu.count == 9)
        #expect(comparison.gradients[0].first.allSatisfy { $0?.count == 2 })
        // Each sigmoid layer multiplies the backward signal by σ'(net) ≤ 1/4: eight of them put
        // layer 1 at most 4^-8 ≈ 1.5e-5 of the output's (times the weights' gains); 1e-3 leaves
        // two decades for CPU and seed differences. Relu passes the signal through active units
        // unchanged: layer 1 stays within a few times of the output layer.
        #expect(sigmoid[0] / sigmoid[8] < 1e-3)
        #expect(relu[0] / relu[8] > 0.05)
        #expect(try ComparisonCharts.write(runs, title: "deep-sigmoid", into: folder).count == 2)
        #expect(try PNG.read(path: folder + "/gradients_by_depth.png").width == 1000)
    }
}
