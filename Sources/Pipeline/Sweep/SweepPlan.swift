import PipelineSpec

/// A spec's `sweep:` expanded into its runs: the cartesian product of the swept values, each
/// combination repeated once per seed of `sweep.seeds`.
///
/// Order: the keys in the order the spec writes them, the last key changing fastest (as nested
/// loops written in that order, or Python's `itertools.product`), the seeds innermost. Run r is
/// combination `r / seeds` with seed `r % seeds` (0-based); `--shard K/N` takes the runs with
/// r mod N = K − 1, so the seeds of one combination spread over the shards too.
///
/// Each run is the spec with the sweep's values applied to the tree by the `--set` machinery
/// (after the command line's own `--set`s), `seed` replaced by the run's seed, and `metrics`
/// and `history` outputs added when the spec declares none writing `metrics.json` and
/// `history.csv`, then decoded exactly as a plain run: a bad value is an error at its place in
/// the sweep's list.
public struct SweepPlan {
    /// One swept key path and its values.
    public struct Axis {
        public let key: String
        let path: [String]
        let pathLocations: [SourceLocation]
        let values: [SpecNode]
        /// How each value reads in folder names, legends and summary.csv (`sigmoid`, `[8, 8]`).
        public let labels: [String]
    }

    /// One run of the sweep.
    public struct Entry {
        /// 0-based position in the sweep's order (what `--shard` divides).
        public let index: Int
        public let run: SweepRun
        /// The run's folder name inside the sweep folder (`relu-seed2`).
        public let folderName: String
        let overrides: [SpecOverride]
    }

    /// Runs a sweep may expand to; more is almost certainly a mistake (and each is a folder).
    public static let maximumRuns = 10_000
    /// The folder name's value part is cut to this many bytes, each value to `maximumLabel`.
    static let maximumValuesPart = 96
    static let maximumLabel = 32

    public let specPath: String
    /// The spec's name, titling the summary and the charts.
    public let name: String
    /// The sweep's own folder: the spec's output folder (or `--out`).
    public let folder: String
    public let axes: [Axis]
    /// `sweep.seeds`, nil when the sweep repeats nothing.
    public let seeds: [Int]?
    public let runs: [Entry]
    /// The spec's own `seed` (after `--set`), every run's seed when there are no `seeds`.
    public let specSeed: Int
    /// True when the spec has `expect:` (summary.csv then has `expect_passed`).
    public let hasExpectations: Bool
    let request: RunRequest
    let fileDigest: String
    /// The spec after the command line's `--set`s, without `sweep`.
    let base: SpecNode
    let sweepLocation: SourceLocation

    /// The plan of the spec `request` names, or nil when it has no `sweep` key. Reads and
    /// checks the sweep and decodes its first run (to find the folder); `definitions()`
    /// checks the others.
    public static func load(_ request: RunRequest) throws -> SweepPlan? {
        try specErrors {
            var root = try SpecLoader.load(path: request.specPath)
            for argument in request.overrides {
                try root.apply(try SpecOverride(parsing: argument))
            }
            return try plan(root, request: request)
        }
    }

    /// The plan of a spec tree already read (with the command line's overrides applied).
    static func plan(_ root: SpecNode, request: RunRequest) throws -> SweepPlan? {
        guard let sweep = root["sweep"], !sweep.isNull else { return nil }
        let digest = sha256Hex(Array(root.location.source.text.utf8))
        return try SweepPlan(request: request, root: Self.removingSweep(root), sweep: sweep, fileDigest: digest)
    }

    private init(request: RunRequest, root: SpecNode, sweep: SpecNode, fileDigest: String) throws {
        guard let entries = sweep.entries else {
            throw sweep.error("expected a mapping of key paths to lists of values for 'sweep', found \(sweep.foundDescription)",
                              hint: "for example  sweep: {activation.type: [sigmoid, tanh], seeds: [1, 2, 3]}")
        }
        var axes: [Axis] = []
        var seeds: [Int]?
        for (keyNode, valueNode) in entries {
            let key = keyNode.scalarString ?? ""
            if key == "seeds" {
                seeds = try Self.readSeeds(valueNode)
            } else {
                for axis in try Self.readAxes(key: key, keyNode: keyNode, values: valueNode, above: ([], [])) {
                    if let twice = axes.first(where: { $0.path == axis.path }) {
                        throw SpecError("\(quote(axis.key)) is swept twice (first at line \(twice.pathLocations[0].line))",
                                        at: axis.pathLocations[0])
                    }
                    axes.append(axis)
                }
            }
        }
        guard !axes.isEmpty || seeds != nil else {
            throw sweep.error("the sweep has nothing to sweep",
                              hint: "give key paths with lists of values, e.g. activation.type: [sigmoid, tanh], or seeds: [1, 2, 3]")
        }
        var count = seeds?.count ?? 1
        for axis in axes {
            let (product, overflow) = count.multipliedReportingOverflow(by: axis.values.count)
            count = overflow ? Int.max : product
        }
        guard count <= Self.maximumRuns else {
            let factors = axes.map { String($0.values.count) } + (seeds.map { ["\($0.count) seeds"] } ?? [])
            throw sweep.error("the sweep has \(count == Int.max ? "too many" : String(count)) runs (\(factors.joined(separator: " × "))); "
                              + "at most \(Self.maximumRuns) are allowed")
        }
        self.request = request
        self.specPath = request.specPath
        self.fileDigest = fileDigest
        self.base = root
        self.sweepLocation = sweep.location
        self.axes = axes
        self.seeds = seeds
        self.runs = Self.expand(axes, seeds: seeds, sweep: sweep)
        // Untitled: without output_dir or --out the folder is runs/NAME of the spec's own name.
        let first = try Self.decode(root, runs[0], request: request, fileDigest: fileDigest,
                                    location: sweep.location, folder: request.outputDirectory, titled: false)
        // The spec's output folder is the sweep's; each run's folder is inside it.
        self.folder = first.outputDirectory
        self.name = root["name"].flatMap { $0.isNull ? nil : $0.scalarString } ?? PathTools.stem(of: request.specPath)
        self.hasExpectations = !first.expectations.isEmpty
        self.specSeed = seeds == nil ? Int(first.seed) : root["seed"].flatMap { $0.scalarString.flatMap { Int($0) } } ?? 0
    }

    /// Every run's definition, in order; the first bad value found is the error.
    public func definitions() throws -> [PipelineDefinition] {
        try specErrors { try runs.map { try definition(of: $0) } }
    }

    /// The run's definition: output folder inside the sweep folder, overrides recorded as
    /// `--set` text after the command line's own (so a checkpoint knows which run it is).
    public func definition(of entry: Entry) throws -> PipelineDefinition {
        try specErrors {
            try Self.decode(base, entry, request: request, fileDigest: fileDigest, location: sweepLocation,
                            folder: PathTools.join(folder, entry.folderName))
        }
    }

    /// The run's folder.
    public func folder(of entry: Entry) -> String { PathTools.join(folder, entry.folderName) }

    /// SHA-256 of the run's whole spec tree as it is decoded (values, seed and outputs
    /// applied; `output_dir` left out, since the sweep chooses the folder): a finished run with
    /// the same digest is the same run, whatever else in the sweep changed.
    public func digest(of entry: Entry) throws -> String {
        try specErrors {
            var root = try Self.tree(base, entry, location: sweepLocation, specPath: specPath)
            if case .mapping(let entries) = root.value {
                root.value = .mapping(entries.filter { $0.key.scalarString != "output_dir" })
            }
            return sha256Hex(Array(Self.canonical(root).utf8))
        }
    }

    // MARK: - Building each run

    private static func tree(_ base: SpecNode, _ entry: Entry, location: SourceLocation, specPath: String,
                             titled: Bool = true) throws -> SpecNode {
        var root = base
        for override in entry.overrides { try root.apply(override) }
        addSweepOutputs(&root, at: location)
        guard titled else { return root }
        // Each run is titled by its values (charts, metrics.json), not all alike.
        let name = base["name"].flatMap { $0.isNull ? nil : $0.scalarString } ?? PathTools.stem(of: specPath)
        var details = entry.run.values.map(\.value)
        if let seed = entry.run.seed { details.append("seed \(seed)") }
        if !details.isEmpty, base["name"].map({ $0.isNull || $0.scalarString != nil }) ?? true {
            let title = "\(name) (\(details.joined(separator: ", ")))"
            try root.apply(SpecOverride(path: ["name"], pathLocations: [location],
                                        value: SpecNode(.scalar(title, plain: false), at: location), argument: "name=\(title)"))
        }
        return root
    }

    private static func decode(_ base: SpecNode, _ entry: Entry, request: RunRequest, fileDigest: String,
                               location: SourceLocation, folder: String?, titled: Bool = true) throws -> PipelineDefinition {
        let root = try tree(base, entry, location: location, specPath: request.specPath, titled: titled)
        return try PipelineDefinition.decode(root, specPath: request.specPath, specDigest: fileDigest,
                                             overrides: request.overrides + entry.overrides.map(\.argument),
                                             outputDirectory: folder)
    }

    /// The spec without its `sweep` key: what every other command (gradcheck, explain) reads
    /// from a sweep's spec, its own values.
    static func removingSweep(_ root: SpecNode) -> SpecNode {
        guard case .mapping(let entries) = root.value else { return root }
        var copy = root
        copy.value = .mapping(entries.filter { $0.key.scalarString != "sweep" })
        return copy
    }

    /// summary.csv and `report` read `metrics.json` and `history.csv` back from every run
    /// folder, so a run whose outputs write neither gets them. (A missing `outputs` key means
    /// the defaults, which hold both; `outputs: []` or a list without them gets them appended.)
    static func addSweepOutputs(_ root: inout SpecNode, at location: SourceLocation) {
        guard case .mapping(var entries) = root.value,
              let index = entries.firstIndex(where: { $0.key.scalarString == "outputs" }) else { return }
        let node = entries[index].value
        var items: [SpecNode]
        if node.isNull {
            items = []
        } else if case .sequence(let list) = node.value {
            items = list
        } else {
            return  // not a list: the decoder reports it
        }
        for (type, file) in [("metrics", "metrics.json"), ("history", "history.csv")] {
            let declared = items.contains { item in
                (item.scalarString ?? item["type"]?.scalarString) == type && (item["file"]?.scalarString ?? file) == file
            }
            if !declared { items.append(SpecNode(.scalar(type, plain: true), at: location)) }
        }
        entries[index].value = SpecNode(.sequence(items), at: node.location)
        root.value = .mapping(entries)
    }

    // MARK: - Reading `sweep:`

    private static func readSeeds(_ node: SpecNode) throws -> [Int] {
        guard case .sequence(let items) = node.value else {
            throw node.error("expected a list of seeds for 'sweep.seeds', found \(node.foundDescription)",
                             hint: "for example  seeds: [1, 2, 3]")
        }
        guard !items.isEmpty else {
            throw node.error("the list of seeds is empty; the sweep runs each combination once per seed, so it would run nothing")
        }
        var seen: [Int: SpecNode] = [:]
        return try items.map { item in
            let seed = try item.int("sweep.seeds")
            guard seed >= 0 else { throw item.error("a seed must be 0 or greater, found \(seed)") }
            if let first = seen[seed] {
                throw item.error("seed \(seed) is listed twice (first at line \(first.location.line), column \(first.location.column))")
            }
            seen[seed] = item
            return seed
        }
    }

    /// A key path with its list, or (a mapping instead of a list) the key paths below it:
    /// `activation: {type: [a, b]}` is `activation.type: [a, b]`, so `--set sweep.activation.type=[a, b]`
    /// can write a sweep too.
    private static func readAxes(key: String, keyNode: SpecNode, values: SpecNode,
                                 above: (path: [String], locations: [SourceLocation])) throws -> [Axis] {
        // Columns of the names inside the key: a quoted key starts one column later.
        let quoted: Int
        if case .scalar(_, plain: false) = keyNode.value { quoted = 1 } else { quoted = 0 }
        func at(_ offset: Int) -> SourceLocation {
            SourceLocation(source: keyNode.location.source, line: keyNode.location.line,
                           column: keyNode.location.column + quoted + offset)
        }
        var path: [String] = []
        var locations: [SourceLocation] = []
        var start = 0
        let scalars = Array(key.unicodeScalars)
        for index in 0...scalars.count where index == scalars.count || scalars[index] == "." {
            guard index > start else {
                throw SpecError("empty name in the key path \(quote(key))", at: at(start),
                                hint: "separate names with single dots, for example network.layers.0.units")
            }
            var name = String.UnicodeScalarView()
            name.append(contentsOf: scalars[start..<index])
            path.append(String(name))
            locations.append(at(start))
            start = index + 1
        }
        path = above.path + path
        locations = above.locations + locations
        let key = path.joined(separator: ".")
        guard path.count <= SpecOverride.maximumPathLength else {
            throw SpecError("the key path has more than \(SpecOverride.maximumPathLength) names", at: at(0))
        }
        if let entries = values.entries {
            guard !entries.isEmpty else {
                throw values.error("expected a list of values for \(quote(key)), found an empty mapping",
                                   hint: "for example  \(key): [a, b]")
            }
            return try entries.flatMap { entry in
                try readAxes(key: entry.key.scalarString ?? "", keyNode: entry.key, values: entry.value, above: (path, locations))
            }
        }
        switch path.first {
        case "sweep": throw SpecError("'sweep' cannot sweep itself", at: locations[0])
        case "output_dir":
            throw SpecError("'output_dir' cannot be swept: the sweep puts every run in a folder of its own inside the output folder",
                            at: locations[0], hint: "set output_dir (or --out) once, outside the sweep")
        case "seed" where path.count == 1:
            // One way to say it: the summary's seed column and the charts' spread across seeds read `seeds`.
            throw SpecError("sweep the seed with 'seeds: [...]' (each combination once per seed), not as 'seed'", at: locations[0],
                            hint: "write  seeds: \(values.isNull ? "[1, 2, 3]" : canonical(values))")
        case "name":
            throw SpecError("'name' cannot be swept: it names the sweep's folder and titles its charts", at: locations[0])
        default: break
        }
        guard case .sequence(let items) = values.value else {
            throw values.error("expected a list of values for \(quote(key)), found \(values.foundDescription)",
                               hint: "for example  \(key): [a, b]")
        }
        guard !items.isEmpty else {
            throw values.error("the list of values for \(quote(key)) is empty; the sweep runs each value once, so it would run nothing")
        }
        var seen: [String: SpecNode] = [:]
        for item in items {
            let text = canonical(item)
            if let first = seen[text] {
                throw item.error("\(quote(label(item))) is listed twice for \(quote(key)) "
                                 + "(first at line \(first.location.line), column \(first.location.column))")
            }
            seen[text] = item
        }
        return [Axis(key: key, path: path, pathLocations: locations, values: items, labels: items.map(label))]
    }

    private static func expand(_ axes: [Axis], seeds: [Int]?, sweep: SpecNode) -> [Entry] {
        let combinations = axes.reduce(1) { $0 * $1.values.count }
        var choices: [[Int]] = []
        for combination in 0..<combinations {
            // Mixed radix, last axis fastest: digit i = (c / Π_{j>i} n_j) mod n_i.
            var rest = combination
            var choice = [Int](repeating: 0, count: axes.count)
            for (i, axis) in axes.enumerated().reversed() {
                choice[i] = rest % axis.values.count
                rest /= axis.values.count
            }
            choices.append(choice)
        }
        let names = folderNames(choices.map { choice in axes.indices.map { axes[$0].values[choice[$0]] } })
        var entries: [Entry] = []
        for (combination, choice) in choices.enumerated() {
            var overrides: [SpecOverride] = []
            var values: [SweepRun.Value] = []
            for (i, axis) in axes.enumerated() {
                let node = axis.values[choice[i]]
                overrides.append(SpecOverride(path: axis.path, pathLocations: axis.pathLocations, value: node,
                                              argument: "\(axis.key)=\(canonical(node))"))
                values.append(SweepRun.Value(key: axis.key, value: axis.labels[choice[i]]))
            }
            for seed in seeds.map({ $0.map(Optional.some) }) ?? [nil] {
                var runOverrides = overrides
                var parts = names[combination].isEmpty ? [] : [names[combination]]
                if let seed {
                    let node = SpecNode(.scalar(String(seed), plain: true), at: sweep["seeds"]?.location ?? sweep.location)
                    runOverrides.append(SpecOverride(path: ["seed"], pathLocations: [node.location], value: node, argument: "seed=\(seed)"))
                    parts.append("seed\(seed)")
                }
                let run = SweepRun(combination: combination, values: values, seed: seed, folder: parts.joined(separator: "-"))
                entries.append(Entry(index: entries.count, run: run, folderName: run.folder, overrides: runOverrides))
            }
        }
        return entries
    }

    /// Each combination's folder name (before `-seedS`), from its values alone, so a name
    /// stays the same whatever else the sweep lists (adding a value or a key in front renumbers
    /// nothing, and no finished run is run again). Names that would be alike (compared without
    /// case, as macOS and Windows do) get `-` and 4 hex digits of the SHA-256 of their values as
    /// written (8 if those meet too); a name that would start with `.` or `-` (hidden, or read
    /// as an option) starts with `_`; Windows' reserved device names get a `_` after them.
    static func folderNames(_ combinations: [[SpecNode]]) -> [String] {
        var names = combinations.map { folderText($0.map(label)) }
        let hashes = combinations.map { sha256Hex(Array($0.map(canonical).joined(separator: "\u{1F}").utf8)) }
        for digits in [4, 8, 64] {
            let groups = Dictionary(grouping: names.indices) { names[$0].lowercased() }
            let alike = groups.values.filter { $0.count > 1 }.flatMap { $0 }
            if alike.isEmpty { break }
            for index in alike {
                let base = folderText(combinations[index].map(label))
                names[index] = (base.isEmpty ? "" : base + "-") + hashes[index].prefix(digits)
            }
        }
        return names.map { name in
            var name = name
            if name.hasPrefix(".") || name.hasPrefix("-") { name = "_" + name }
            let stem = name.split(separator: ".", maxSplits: 1).first.map { $0.uppercased() } ?? ""
            if ["CON", "PRN", "AUX", "NUL"].contains(stem) || (stem.count == 4 && ["COM", "LPT"].contains(String(stem.prefix(3)))
                                                                && stem.last.map { "123456789".contains($0) } == true) {
                name += "_"
            }
            return name
        }
    }

    // MARK: - Text

    /// The values part of a folder name: each value cut to `maximumLabel` characters (the last
    /// five a `-` and 4 hex digits of its SHA-256), the parts joined by `_`, the whole cut to
    /// `maximumValuesPart`. Only ASCII letters, digits and
    /// `.`, `+`, `-`, `_` survive (anything else becomes `_`, runs of `_` become one), so the
    /// name is valid on every file system; `folderNames` keeps names unique when two values
    /// read alike.
    static func folderText(_ labels: [String]) -> String {
        let parts = labels.map { label -> String in
            var text = ""
            for scalar in label.unicodeScalars {
                let keep = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._+-".unicodeScalars.contains(scalar))
                let character: Character = keep ? Character(scalar) : "_"
                if character == "_" && text.hasSuffix("_") { continue }
                text.append(character)
            }
            if text.count > maximumLabel {
                // Cut, with a short hash of the whole value so two long values that start alike
                // still read apart.
                text = String(text.prefix(maximumLabel - 5)) + "-" + String(sha256Hex(Array(label.utf8)).prefix(4))
            }
            // Windows refuses names ending in '.'; a part of only '_' says nothing.
            while let last = text.last, last == "." || last == "_" { text.removeLast() }
            while let first = text.first, first == "_" { text.removeFirst() }
            return text.isEmpty ? "x" : text
        }
        var joined = parts.joined(separator: "_")
        if joined.count > maximumValuesPart {
            joined = String(joined.prefix(maximumValuesPart))
            while let last = joined.last, last == "." || last == "_" { joined.removeLast() }
        }
        return joined
    }

    /// A value as a person reads it: a scalar's text, a plugin `{type: leaky_relu, alpha: 0.2}`
    /// as `leaky_relu alpha=0.2`, any other list or mapping in flow style.
    static func label(_ node: SpecNode) -> String {
        switch node.value {
        case .scalar(let text, _): return text
        case .mapping(let entries) where entries.allSatisfy({ $0.value.scalarString != nil }):
            return entries.map { entry in
                let value = entry.value.scalarString ?? ""
                return entry.key.scalarString == "type" ? value : "\(entry.key.scalarString ?? "")=\(value)"
            }.joined(separator: " ")
        default: return canonical(node)
        }
    }

    /// One-line flow text of a node; quoted scalars stay quoted so `"1"` and `1` differ.
    static func canonical(_ node: SpecNode) -> String {
        switch node.value {
        case .scalar(let text, let plain): return plain ? text : JSON.quote(text)
        case .sequence(let items): return "[" + items.map(canonical).joined(separator: ", ") + "]"
        case .mapping(let entries):
            return "{" + entries.map { canonical($0.key) + ": " + canonical($0.value) }.joined(separator: ", ") + "}"
        }
    }
}
