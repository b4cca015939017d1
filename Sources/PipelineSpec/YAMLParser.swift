import CYaml

/// Turns YAML text into a `SpecNode` tree through libyaml's event API.
///
/// The only file that sees libyaml. The event API (rather than `yaml_parser_load`) lets us count
/// nodes as aliases expand, refuse unknown or self-referencing anchors, cap nesting depth and
/// catch duplicate keys with both positions. The tree is built with an explicit stack, never by
/// recursion, so no input can overflow the call stack. Depends only on CYaml, `SourceFile`,
/// `SpecError` and `SpecNode`, so a fuzzer can compile it with `swiftc` alone.
enum YAMLParser {
    /// Deepest nesting of lists and mappings accepted.
    static let maximumDepth = 200

    /// Parses the single document in `text` (default: `source.text`), locating nodes in `source`.
    ///
    /// Returns nil when the stream holds no document (empty text, only comments). `text` may differ
    /// from `source.text` when a `--set` value is parsed: it is then the value padded with spaces
    /// so columns land inside the whole argument.
    static func parse(_ source: SourceFile, text: String? = nil, maximumNodes: Int) throws -> SpecNode? {
        // A trailing NUL (not passed to libyaml) keeps the buffer non-empty, so it has an address.
        var bytes = Array((text ?? source.text).utf8)
        let length = bytes.count
        bytes.append(0)
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) != 0 else {
            throw SpecError("out of memory while starting the YAML parser", path: source.path, kind: .invalid)
        }
        defer { yaml_parser_delete(parser) }
        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer { event.deallocate() }

        // libyaml keeps the input pointer, so the whole parse happens inside this closure.
        return try bytes.withUnsafeMutableBufferPointer { buffer -> SpecNode? in
            guard let base = buffer.baseAddress else { return nil }
            yaml_parser_set_input_string(parser, base, length)
            // No yaml_parser_set_encoding: libyaml's own detection skips a leading UTF-8 BOM
            // (the text is valid UTF-8 already, so it can never be taken for UTF-16).
            var builder = TreeBuilder(source: source, maximumNodes: maximumNodes)
            while true {
                guard yaml_parser_parse(parser, event) != 0 else {
                    throw syntaxError(parser, source: source, bytes: UnsafeBufferPointer(rebasing: buffer[0..<length]))
                }
                defer { yaml_event_delete(event) }
                if try builder.handle(event.pointee) { break }
            }
            return builder.root
        }
    }

    /// libyaml's problem and context as one message at the problem mark.
    private static func syntaxError(
        _ parser: UnsafeMutablePointer<yaml_parser_t>, source: SourceFile, bytes: UnsafeBufferPointer<UInt8>
    ) -> SpecError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "invalid YAML"
        switch state.error {
        case YAML_MEMORY_ERROR:
            return SpecError("out of memory while parsing the YAML", path: source.path, kind: .invalid)
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset and the offending character, not a mark.
            let (line, column) = lineAndColumn(ofByte: Int(state.problem_offset), in: bytes)
            var message = problem
            if state.problem_value >= 0 {
                let hex = String(state.problem_value, radix: 16, uppercase: true)
                message += " (U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex))"
            }
            return SpecError(message, at: SourceLocation(source: source, line: line, column: column))
        default:
            var message = problem
            let mark = state.problem_mark
            if let context = state.context.map({ String(cString: $0) }) {
                let at = state.context_mark
                message += " (\(context) started at line \(at.line + 1), column \(at.column + 1))"
            }
            var location = SourceLocation(source: source, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
            if location.line > source.lineCount {
                // At the end of a text without a final line break libyaml moves to a line that
                // does not exist; point just past the last character instead.
                let last = source.line(source.lineCount) ?? ""
                location = SourceLocation(source: source, line: source.lineCount,
                                          column: last.unicodeScalars.count + 1)
            }
            var hint: String?
            var lines = [location.line]
            if state.context != nil { lines.append(Int(state.context_mark.line) + 1) }
            if lines.contains(where: { hasTabIndentation(source.line($0)) })
                || source.line(location.line).map({ character(at: location.column, in: $0) == "\t" }) == true {
                hint = "indent with spaces; YAML does not allow tabs"
            }
            return SpecError(message, at: location, hint: hint)
        }
    }

    private static func hasTabIndentation(_ line: String?) -> Bool {
        guard let line else { return false }
        return line.unicodeScalars.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t")
    }

    private static func character(at column: Int, in line: String) -> Unicode.Scalar? {
        let scalars = Array(line.unicodeScalars)
        return column >= 1 && column <= scalars.count ? scalars[column - 1] : nil
    }

    /// 1-based line and column (in characters) of a byte offset, counting breaks as libyaml does.
    private static func lineAndColumn(ofByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
        let text = String(decoding: bytes.prefix(max(0, offset)), as: UTF8.self)
        var position = TextPosition()
        for scalar in text.unicodeScalars { position.advance(over: scalar) }
        return (position.line, position.column)
    }
}

/// Assembles nodes from events with an explicit stack of open lists and mappings.
private struct TreeBuilder {
    /// An open list or mapping; a mapping's `items` alternate key, value.
    struct Frame {
        let isMapping: Bool
        let location: SourceLocation
        let anchor: String?
        let nodeCountAtStart: Int
        var items: [SpecNode] = []
        var keyLines: [String: Int] = [:]
        /// Levels of lists and mappings inside this one so far (0 while it holds only scalars).
        var height = 0
    }

    let source: SourceFile
    let maximumNodes: Int
    var stack: [Frame] = []
    var root: SpecNode?
    var documents = 0
    /// Nodes so far, counting each alias as the size of what it repeats.
    var nodeCount = 0
    /// Anchored nodes with their size in nodes and their height in levels of lists and mappings.
    var anchors: [String: (node: SpecNode, size: Int, height: Int)] = [:]

    init(source: SourceFile, maximumNodes: Int) {
        self.source = source
        self.maximumNodes = maximumNodes
    }

    func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(source: source, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    /// Handles one event; returns true at the end of the stream.
    mutating func handle(_ event: yaml_event_t) throws -> Bool {
        let at = location(event.start_mark)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw SpecError("a spec must be one YAML document; a second one starts here", at: at,
                                hint: "remove the '---' line, or split the documents into separate files")
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = Self.string(scalar.value, length: scalar.length)
            var plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            if let tag = try checkedTag(scalar.tag, at: at) {
                // `!!str 5` and `! 5` are the string "5"; `!!int "5"` reads like the plain 5.
                plain = tag != "tag:yaml.org,2002:str" && tag != "!"
            }
            try count(1, at: at)
            let node = SpecNode(.scalar(text, plain: plain), at: at)
            if let anchor = Self.optionalString(scalar.anchor) { anchors[anchor] = (node, 1, 0) }
            try add(node, height: 0)
        case YAML_ALIAS_EVENT:
            let name = Self.optionalString(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                if stack.contains(where: { $0.anchor == name }) {
                    throw SpecError("alias \(quote("*" + name)) refers to a node that contains it", at: at)
                }
                throw SpecError("unknown anchor \(quote(name)) in alias \(quote("*" + name))", at: at,
                                hint: "define \(quote("&" + name)) before using \(quote("*" + name))")
            }
            try count(target.size, at: at)
            // Aliases must not stack nesting beyond the cap either: deep trees overflow recursive
            // walks (and the recursive release of nested arrays) on small thread stacks.
            guard stack.count + target.height <= YAMLParser.maximumDepth else {
                throw SpecError("the spec nests deeper than \(YAMLParser.maximumDepth) levels "
                                + "(through alias '*\(name)')", at: at)
            }
            try add(target.node, height: target.height)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
            _ = try checkedTag(isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag, at: at)
            guard stack.count < YAMLParser.maximumDepth else {
                throw SpecError("the spec nests deeper than \(YAMLParser.maximumDepth) levels", at: at)
            }
            try count(1, at: at)
            stack.append(Frame(isMapping: isMapping, location: at, anchor: Self.optionalString(anchor),
                               nodeCountAtStart: nodeCount - 1))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { break }
            let node: SpecNode
            if frame.isMapping {
                var entries: [(key: SpecNode, value: SpecNode)] = []
                entries.reserveCapacity(frame.items.count / 2)
                var index = 0
                while index + 1 < frame.items.count {
                    entries.append((key: frame.items[index], value: frame.items[index + 1]))
                    index += 2
                }
                node = SpecNode(.mapping(entries), at: frame.location)
            } else {
                node = SpecNode(.sequence(frame.items), at: frame.location)
            }
            if let anchor = frame.anchor {
                anchors[anchor] = (node, nodeCount - frame.nodeCountAtStart, frame.height + 1)
            }
            try add(node, height: frame.height + 1)
        default:
            break
        }
        return false
    }

    mutating func count(_ nodes: Int, at location: SourceLocation) throws {
        nodeCount += nodes
        if nodeCount > maximumNodes {
            throw SpecError("the spec expands to more than \(maximumNodes) nodes (anchors/aliases)", at: location)
        }
    }

    /// Adds a finished node to the open list or mapping, checking mapping keys as they arrive.
    mutating func add(_ node: SpecNode, height: Int) throws {
        guard let top = stack.indices.last else {
            root = node
            return
        }
        if stack[top].isMapping && stack[top].items.count % 2 == 0 {
            guard case .scalar(let key, let plain) = node.value else {
                throw SpecError("a mapping key must be a string, found \(node.kindName)", at: node.location)
            }
            if plain && key == "<<" {
                throw SpecError("merge keys (<<) are not supported", at: node.location,
                                hint: "write the keys out in full")
            }
            if let firstLine = stack[top].keyLines[key] {
                throw SpecError("duplicate key \(quote(key)) (first at line \(firstLine))", at: node.location)
            }
            stack[top].keyLines[key] = node.location.line
        }
        stack[top].items.append(node)
        stack[top].height = max(stack[top].height, height)
    }

    /// The tag's text; only the standard `tag:yaml.org,2002:` tags (`!!str`, `!!int`, ...) are accepted.
    func checkedTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, at location: SourceLocation) throws -> String? {
        guard let tag = Self.optionalString(tag) else { return nil }
        if tag.hasPrefix("tag:yaml.org,2002:") || tag == "!" { return tag }
        throw SpecError("the tag \(quote(tag)) is not supported", at: location,
                        hint: "remove the tag; plain values are read by the key they belong to")
    }

    static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    static func optionalString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        var length = 0
        while pointer[length] != 0 { length += 1 }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
