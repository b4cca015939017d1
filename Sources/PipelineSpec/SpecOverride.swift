/// One `--set KEY.PATH=VALUE` argument: a path of mapping keys and list indices, and a YAML value.
///
/// The argument becomes its own `SourceFile` (kind `.commandLine`), so errors about the path or
/// value, and later semantic errors about the value, point into the argument:
///
///     --set 'training.epochs=ten': error: expected an integer for 'training.epochs', found 'ten'
///         training.epochs=ten
///                         ^
public struct SpecOverride: Sendable {
    /// Longest key path accepted.
    public static let maximumPathLength = 64

    public let argument: String
    /// The path's names; list indices stay strings ("2") and are resolved against the tree.
    public let path: [String]
    /// Where each path name starts in the argument.
    public let pathLocations: [SourceLocation]
    /// VALUE read as YAML (usually a scalar; `[1, 2]` gives a list); empty VALUE is a null scalar.
    public let value: SpecNode

    public init(parsing argument: String) throws {
        let source = SourceFile(path: argument, text: argument, kind: .commandLine)
        func at(_ column: Int) -> SourceLocation { SourceLocation(source: source, line: 1, column: column) }
        let scalars = Array(argument.unicodeScalars)
        guard let equals = scalars.firstIndex(of: "=") else {
            throw SpecError("missing '=' in --set argument", at: at(scalars.count + 1),
                            hint: "write KEY.PATH=VALUE, for example training.epochs=100")
        }
        guard equals > 0 else {
            throw SpecError("missing key path before '=' in --set argument", at: at(1),
                            hint: "write KEY.PATH=VALUE, for example training.epochs=100")
        }
        var names: [String] = []
        var locations: [SourceLocation] = []
        var start = 0
        for index in 0...equals {
            let scalar = scalars[index]
            if scalar == " " || scalar == "\t" {
                throw SpecError("unexpected space in the key path", at: at(index + 1))
            }
            guard scalar == "." || index == equals else { continue }
            guard index > start else {
                throw SpecError("empty name in the key path", at: at(start + 1),
                                hint: "separate names with single dots, for example network.layers.0.units")
            }
            var name = String.UnicodeScalarView()
            name.append(contentsOf: scalars[start..<index])
            names.append(String(name))
            locations.append(at(start + 1))
            start = index + 1
        }
        guard names.count <= Self.maximumPathLength else {
            throw SpecError("the key path has more than \(Self.maximumPathLength) names", at: at(1))
        }
        // Parse VALUE in place: spaces stand in for KEY.PATH= so columns are the argument's.
        var padded = String(repeating: " ", count: equals + 1)
        var valueScalars = String.UnicodeScalarView()
        valueScalars.append(contentsOf: scalars[(equals + 1)...])
        padded += String(valueScalars)
        let parsed = try YAMLParser.parse(source, text: padded, maximumNodes: SpecLoader.maximumNodes)
        self.argument = argument
        self.path = names
        self.pathLocations = locations
        self.value = parsed ?? SpecNode(.scalar("", plain: true), at: at(equals + 2))
    }

    /// An override built from nodes already read, such as a sweep's key and one of its values
    /// in a spec file: errors about the path point at `pathLocations`, later errors about the
    /// value at the value node's own place. `argument` is the text shown for it (`KEY=VALUE`).
    public init(path: [String], pathLocations: [SourceLocation], value: SpecNode, argument: String) {
        self.argument = argument
        self.path = path
        self.pathLocations = pathLocations
        self.value = value
    }

    /// The path as written ("network.layers.2"), for messages.
    public var pathText: String { path.joined(separator: ".") }
}

extension SpecNode {
    /// Replaces or adds the value at the override's path.
    ///
    /// Missing mapping keys are created (intermediate ones as empty mappings, and a null on the way
    /// becomes a mapping). List items are numbered from 0 (as in yq) and the index one past the
    /// end appends an item; an index further out, a name
    /// that is not an index on a list, or a path through a scalar is an error in the argument.
    public mutating func apply(_ override: SpecOverride) throws {
        try set(override, depth: 0)
    }

    private mutating func set(_ override: SpecOverride, depth: Int) throws {
        let name = override.path[depth]
        let nameLocation = override.pathLocations[depth]
        let isLast = depth == override.path.count - 1
        let walked = override.path[..<depth].joined(separator: ".")
        if isNull, case .scalar = value {
            value = .mapping([])
        }
        // A plugin named by a bare word (`activation: sigmoid`) is shorthand for
        // `{type: sigmoid}`; expand it so `activation.type=tanh` or `activation.alpha=0.1` work.
        if case .scalar(let word, true) = value, depth > 0, override.path[depth - 1] != "type",
           !ScalarForm.isBool(word), !ScalarForm.isInteger(word), !ScalarForm.isDecimal(word) {
            value = .mapping([(key: SpecNode(.scalar("type", plain: true), at: location), value: self)])
        }
        switch value {
        case .mapping(var entries):
            value = .mapping([])
            if let index = entries.firstIndex(where: { $0.key.scalarString == name }) {
                if isLast {
                    entries[index].value = override.value
                } else {
                    var child = entries[index].value
                    do {
                        try child.set(override, depth: depth + 1)
                    } catch {
                        value = .mapping(entries)
                        throw error
                    }
                    entries[index].value = child
                }
            } else {
                let key = SpecNode(.scalar(name, plain: true), at: nameLocation)
                var child = isLast ? override.value : SpecNode(.mapping([]), at: nameLocation)
                if !isLast {
                    do {
                        try child.set(override, depth: depth + 1)
                    } catch {
                        value = .mapping(entries)
                        throw error
                    }
                }
                entries.append((key: key, value: child))
            }
            value = .mapping(entries)
        case .sequence(var items):
            guard ScalarForm.isInteger(name), name.first != "+", name.first != "-", let index = Int(name) else {
                throw SpecError("\(quote(walked)) is a list; expected an item number (from 0), found \(quote(name))",
                                at: nameLocation)
            }
            guard index <= items.count else {
                let count = items.count
                throw SpecError("item \(index) is out of range: \(quote(walked)) has \(count) "
                                + "\(count == 1 ? "item" : "items") (numbered from 0; \(count) appends one)", at: nameLocation)
            }
            if isLast {
                if index == items.count { items.append(override.value) } else { items[index] = override.value }
            } else {
                // Index == count appends a new item (as yq does), e.g. outputs.5.type=confusion_matrix.
                var child = index < items.count ? items[index] : SpecNode(.mapping([]), at: nameLocation)
                try child.set(override, depth: depth + 1)
                if index < items.count { items[index] = child } else { items.append(child) }
            }
            value = .sequence(items)
        case .scalar:
            throw SpecError("cannot set \(quote(override.pathText)): \(quote(walked)) is \(kindName), not a mapping or list",
                            at: nameLocation)
        }
    }
}
