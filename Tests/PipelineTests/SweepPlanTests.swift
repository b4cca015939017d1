import BackpropCore
import Foundation
import PipelineSpec
import XCTest
@testable import Pipeline

/// `sweep:` expanded: the order of the runs, their folder names, what each run's spec becomes,
/// the digests that decide what a rerun skips, shards, and the JSON reader behind summary.csv.
final class SweepPlanTests: XCTestCase {
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bp-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    static let base = """
        name: tiny
        seed: 1
        data:
          type: inline
          inputs: [[0.05, 0.10], [0.20, 0.40]]
          targets: [[0.01, 0.99], [0.99, 0.01]]
        network:
          inputs: 2
          layers:
            - units: 3
            - units: 2
        activation: sigmoid
        loss: half_squared_error
        learning_rate: {type: constant, value: 0.5}
        training: {epochs: 2, batch_size: full, optimizer: sgd}
        output_dir: out
        outputs: [loss_curve]

        """

    func plan(_ sweep: String, overrides: [String] = [], outputDirectory: String? = nil) throws -> SweepPlan {
        let path = temporary.appendingPathComponent("spec.yaml").path
        try (Self.base + sweep).write(toFile: path, atomically: true, encoding: .utf8)
        return try XCTUnwrap(try SweepPlan.load(RunRequest(specPath: path, overrides: overrides, outputDirectory: outputDirectory)))
    }

    func testRunsAreTheProductWithTheLastKeyFastestAndSeedsInnermost() throws {
        let plan = try plan("""
            sweep:
              activation.type: [sigmoid, tanh]
              learning_rate.value: [0.1, 0.2, 0.3]
              seeds: [7, 8]
            """)
        XCTAssertEqual(plan.axes.map(\.key), ["activation.type", "learning_rate.value"])
        XCTAssertEqual(plan.seeds, [7, 8])
        XCTAssertEqual(plan.runs.map(\.folderName), [
            "sigmoid_0.1-seed7", "sigmoid_0.1-seed8", "sigmoid_0.2-seed7", "sigmoid_0.2-seed8",
            "sigmoid_0.3-seed7", "sigmoid_0.3-seed8", "tanh_0.1-seed7", "tanh_0.1-seed8",
            "tanh_0.2-seed7", "tanh_0.2-seed8", "tanh_0.3-seed7", "tanh_0.3-seed8",
        ])
        XCTAssertEqual(plan.runs.map(\.index), Array(0..<12))
        XCTAssertEqual(plan.runs.map(\.run.combination), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        XCTAssertEqual(plan.runs[9].run.values, [SweepRun.Value(key: "activation.type", value: "tanh"),
                                                 SweepRun.Value(key: "learning_rate.value", value: "0.2")])
        XCTAssertEqual(plan.folder, temporary.appendingPathComponent("out").path)

        // Each run is the spec with its values, its seed, its own folder and title, and the outputs the summary reads.
        let definitions = try plan.definitions()
        let run = definitions[9]
        XCTAssertEqual(run.network.layers.map(\.activationName), ["tanh", "tanh"])
        XCTAssertEqual(run.schedule.rate(epoch: 1, previous: nil), 0.2)
        XCTAssertEqual(run.seed, 8)
        XCTAssertEqual(run.name, "tiny (tanh, 0.2, seed 8)")
        XCTAssertEqual(run.outputDirectory, temporary.appendingPathComponent("out/tanh_0.2-seed8").path)
        XCTAssertEqual(run.outputs.map(\.file), ["loss_curve.png", "metrics.json", "history.csv"])
        XCTAssertEqual(run.overrides, ["activation.type=tanh", "learning_rate.value=0.2", "seed=8"])
        XCTAssertEqual(Set(definitions.map(\.seed)), [7, 8])
    }

    func testWithoutOutputDirTheSweepFolderIsRunsName() throws {
        let beside = try plan("sweep: {seeds: [1, 2]}", overrides: ["output_dir="])
        XCTAssertEqual(beside.folder, temporary.appendingPathComponent("runs/tiny").path)
        XCTAssertEqual(try beside.definitions().map(\.outputDirectory),
                       ["runs/tiny/seed1", "runs/tiny/seed2"].map { temporary.appendingPathComponent($0).path })
        let out = try plan("sweep: {seeds: [1]}", overrides: ["output_dir="], outputDirectory: "elsewhere/x/")
        XCTAssertEqual(out.folder, "elsewhere/x")
        XCTAssertEqual(try out.definitions().map(\.outputDirectory), ["elsewhere/x/seed1"])
    }

    func testASweepOfSeedsAloneAndNestedKeys() throws {
        let seeds = try plan("sweep: {seeds: [3, 1]}")
        XCTAssertEqual(seeds.runs.map(\.folderName), ["seed3", "seed1"])
        XCTAssertEqual(try seeds.definitions().map(\.seed), [3, 1])
        // A mapping under a key is the keys below it; --set can write either form.
        let nested = try plan("sweep: {network: {layers: {0: {units: [2, 4]}}}}")
        XCTAssertEqual(nested.axes.map(\.key), ["network.layers.0.units"])
        XCTAssertEqual(try nested.definitions().map { $0.network.layers[0].units }, [2, 4])
        let set = try plan("sweep: {seeds: [1]}", overrides: ["sweep.training.epochs=[3, 4]"])
        XCTAssertEqual(set.runs.map(\.folderName), ["3-seed1", "4-seed1"])
        XCTAssertEqual(try set.definitions().map(\.training.epochs), [3, 4])
    }

    func testFolderNamesAreShortSafeAndUnique() throws {
        let cases: [([String], String)] = [
            (["sigmoid", "0.1"], "sigmoid_0.1"),
            (["a/b"], "a_b"),
            (["a b"], "a_b"),
            (["C:\\x"], "C_x"),
            (["ü:*?"], "x"),
            (["tanh."], "tanh"),
            (["..hidden"], "..hidden"),
            (["leaky_relu alpha=0.2"], "leaky_relu_alpha_0.2"),
            (["{x: [1, 2]}"], "x_1_2"),
            // Cut to 27 characters, then the first 4 hex digits of the value's SHA-256 (as sha256sum prints
            // them): values that start alike stay apart.
            (["a-very-long-value-that-goes-on-and-on-and-on"], "a-very-long-value-that-goes-6550"),
            (["a-very-long-value-that-goes-on-and-on-and-off"], "a-very-long-value-that-goes-1ab0"),
            (["-1e-3", "+2"], "-1e-3_+2"),
        ]
        for (labels, expected) in cases {
            XCTAssertEqual(SweepPlan.folderText(labels), expected, "\(labels)")
        }
        // Five long values: each cut to 32 characters, the whole to 96.
        let long = SweepPlan.folderText(Array(repeating: String(repeating: "v", count: 40), count: 5))
        XCTAssertEqual(long.count, 96)
        XCTAssertEqual(long.split(separator: "_").map(\.count), [32, 32, 30])

        // Values that read alike once made safe (a quoted "tanh" is the string tanh too) still get
        // folders of their own: 4 hex digits of the SHA-256 of the values as written (joined by
        // U+001F: sha256('"tanh"\u{1F}1') starts 98bb, sha256('tanh\u{1F}1') a17f).
        let plan = try plan("""
            sweep:
              activation: ["tanh", tanh, {type: leaky_relu, alpha: 0.2}, {type: leaky_relu, alpha: 0.3}]
              network.layers.0.units: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]
            """)
        let names = plan.runs.map(\.folderName)
        XCTAssertEqual(Set(names).count, 108)
        XCTAssertEqual(names[0], "tanh_1-98bb")
        XCTAssertEqual(names[27], "tanh_1-a17f")
        XCTAssertEqual(names[28], "tanh_2-de97")
        XCTAssertEqual(names[54], "leaky_relu_alpha_0.2_1")
        XCTAssertEqual(names[81], "leaky_relu_alpha_0.3_1")
        XCTAssertEqual(plan.runs[54].run.values[0].value, "leaky_relu alpha=0.2")
        for name in names {
            XCTAssertLessThanOrEqual(name.utf8.count, 120)
            XCTAssertTrue(name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._+-".unicodeScalars.contains($0)) }, name)
        }
        XCTAssertEqual(Set(try plan.definitions().map(\.outputDirectory)).count, 108)
    }

    func testNamesDependOnTheRunsValuesAlone() throws {
        // A value put in front renumbers the combinations but renames no folder: nothing finished runs again.
        let two = try plan("sweep: {activation.type: [sigmoid, tanh], seeds: [1]}")
        let three = try plan("sweep: {activation.type: [relu, sigmoid, tanh], seeds: [1]}")
        XCTAssertEqual(two.runs.map(\.folderName), ["sigmoid-seed1", "tanh-seed1"])
        XCTAssertEqual(three.runs.map(\.folderName), ["relu-seed1", "sigmoid-seed1", "tanh-seed1"])
        XCTAssertEqual(try two.digest(of: two.runs[1]), try three.digest(of: three.runs[2]))
        // Names that would be hidden, read as options, or Windows devices, and names alike but for case.
        let cases: [([String], [String])] = [
            ([".5", "-1"], ["_.5", "_-1"]),
            (["con", "NUL.txt", "com1", "com10", "lpt0"], ["con_", "NUL.txt_", "com1_", "com10", "lpt0"]),
        ]
        for (values, expected) in cases {
            let nodes = try values.map { try XCTUnwrap(SpecLoader.load(text: "v: \($0)\n", path: "x.yaml")["v"]) }
            XCTAssertEqual(SweepPlan.folderNames(nodes.map { [$0] }), expected)
        }
        // The README's example: sha256sum of "tanh" with its quotes starts cf7f, of tanh fb7e.
        let tanh = try ["\"tanh\"", "tanh"].map { try XCTUnwrap(SpecLoader.load(text: "v: \($0)\n", path: "x.yaml")["v"]) }
        XCTAssertEqual(SweepPlan.folderNames(tanh.map { [$0] }), ["tanh-cf7f", "tanh-fb7e"])
        let cased = try ["Relu", "relu"].map { try XCTUnwrap(SpecLoader.load(text: "v: \($0)\n", path: "x.yaml")["v"]) }
        let names = SweepPlan.folderNames(cased.map { [$0] })
        XCTAssertEqual(names.map { $0.prefix(5) }, ["Relu-", "relu-"])
        XCTAssertNotEqual(names[0].lowercased(), names[1].lowercased())
    }

    func testTheDigestFollowsTheRunsSpecNotTheRestOfTheSweep() throws {
        let two = try plan("sweep: {activation.type: [sigmoid, tanh]}")
        let three = try plan("sweep: {activation.type: [sigmoid, tanh, relu]}")
        // The file changed, the sigmoid and tanh runs did not.
        XCTAssertEqual(try two.digest(of: two.runs[0]), try three.digest(of: three.runs[0]))
        XCTAssertEqual(try two.digest(of: two.runs[1]), try three.digest(of: three.runs[1]))
        XCTAssertNotEqual(try two.digest(of: two.runs[0]), try two.digest(of: two.runs[1]))
        // A --set outside the sweep changes every run.
        let longer = try plan("sweep: {activation.type: [sigmoid, tanh]}", overrides: ["training.epochs=3"])
        XCTAssertNotEqual(try longer.digest(of: longer.runs[0]), try two.digest(of: two.runs[0]))
        // The output folder is the sweep's choice, not part of the run.
        let elsewhere = try plan("sweep: {activation.type: [sigmoid, tanh]}", overrides: ["output_dir=other"])
        XCTAssertEqual(try elsewhere.digest(of: elsewhere.runs[0]), try two.digest(of: two.runs[0]))
    }

    func testABadValueIsFoundAtItsPlaceBeforeAnyRun() throws {
        let plan = try plan("sweep: {training.epochs: [2, 3, -1]}")
        XCTAssertThrowsError(try plan.definitions()) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix("\(self.temporary.appendingPathComponent("spec.yaml").path):18:33: error: 'epochs' must be at least 1, found -1"),
                          message)
        }
    }

    func testShardsTakeEveryNthRun() throws {
        let shard = try Shard.parse("2/3", count: nil, environment: [:])
        XCTAssertEqual(shard, Shard(index: 2, count: 3))
        XCTAssertEqual((0..<10).filter(shard.owns), [1, 4, 7])
        // Every run belongs to exactly one shard.
        let all = try (1...4).map { try Shard.parse("\($0)/4", count: nil, environment: [:]) }
        for run in 0..<20 { XCTAssertEqual(all.filter { $0.owns(run) }.count, 1) }
        let slurm = try Shard.parse("auto", count: nil, environment: ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "1",
                                                                       "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "2"])
        XCTAssertEqual(slurm.description, "4/4")
        // Slurm first when several schedulers' variables are set.
        let both = try Shard.parse("auto", count: 9, environment: ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2",
                                                                   "JOB_COMPLETION_INDEX": "5", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "1"])
        XCTAssertEqual(both.description, "1/2")
        XCTAssertThrowsError(try Shard.parse("1/1000001", count: nil, environment: [:]))
        XCTAssertThrowsError(try Shard.parse("1/99999999999999999999", count: nil, environment: [:]))
    }

    func testJSONTextKeepsNumbersAsWritten() throws {
        let text = #"{"a": 0.6861116767184298, "b": [1, -2.5e-7, true, null], "c": "q\"\\\u00e9\ud83d\ude00", "d": {}}"#
        let value = try XCTUnwrap(JSONText.parse(Array(text.utf8)))
        XCTAssertEqual(value["a"]?.numberText, "0.6861116767184298")
        XCTAssertEqual(value["b"], .array([.number("1"), .number("-2.5e-7"), .bool(true), .null]))
        XCTAssertEqual(value["c"]?.string, "q\"\\é😀")
        XCTAssertEqual(value["d"], .object([]))
        for bad in ["", "{", "{\"a\" 1}", "[1,]", "01x", "{\"a\": 1} x", "\"open", "-", "1.", "1e"] {
            XCTAssertNil(JSONText.parse(Array(bad.utf8)), bad)
        }
        // Deep nesting is refused, not recursed into without end.
        XCTAssertNil(JSONText.parse(Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)))
    }

    func testSummaryFieldsAreQuotedOnlyWhenNeeded() {
        XCTAssertEqual(SweepSummary.field("relu"), "relu")
        XCTAssertEqual(SweepSummary.field("[8, 8]"), "\"[8, 8]\"")
        XCTAssertEqual(SweepSummary.field("a\"b"), "\"a\"\"b\"")
        XCTAssertEqual(SweepSummary.field("a\nb"), "\"a\nb\"")
    }
}
