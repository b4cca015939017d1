/// Reads a mapping key by key and, at `finish()`, rejects keys nobody asked for.
///
/// Every key asked through `optional` or `required` becomes a known name, so the "did you mean"
/// of an unknown key comes from exactly the keys this stage reads:
///
///     let reader = try MappingReader(node, "training")
///     let epochs = try reader.required("epochs").int("training.epochs")
///     try reader.finish()   // "unknown key 'epochz' in 'training'; did you mean 'epochs'?"
public final class MappingReader {
    public let node: SpecNode
    /// Names the mapping in messages ("training", "network.layers[0]").
    public let what: String
    private let entries: [(key: SpecNode, value: SpecNode)]
    private var asked: [String] = []

    /// Throws "expected a mapping for 'data', found a list" when `node` is not a mapping.
    public init(_ node: SpecNode, _ what: String) throws {
        guard case .mapping(let entries) = node.value else {
            throw node.error("expected a mapping for '\(what)', found \(node.foundDescription)")
        }
        self.node = node
        self.what = what
        self.entries = entries
    }

    /// The value of `key`, or nil when the key is absent. A present key with a null value is
    /// returned as that null node; callers decide what null means.
    public func optional(_ key: String) -> SpecNode? {
        ask(key)
        return entries.first(where: { $0.key.scalarString == key })?.value
    }

    /// The value of `key`; "missing required key 'type' in 'data'" at the mapping when absent,
    /// or at a present key that looks like a misspelling of it ("did you mean").
    public func required(_ key: String) throws -> SpecNode {
        guard let value = optional(key) else {
            let message = "missing required key '\(key)' in \(place)"
            let present = entries.compactMap { $0.key.scalarString }.filter { !asked.contains($0) }
            if let near = present.first(where: { !suggestions(for: $0, among: [key]).isEmpty }),
               let entry = entries.first(where: { $0.key.scalarString == near }) {
                throw entry.key.error(message + "; found \(quote(near)): did you mean '\(key)'?")
            }
            throw node.error(message)
        }
        return value
    }

    /// "'training'" for a key name, "the spec" or "layer 2" for a description.
    private var place: String { what.contains(" ") ? what : "'\(what)'" }

    /// Marks keys as known without reading them (keys another reader handles).
    public func allow(_ keys: [String]) {
        keys.forEach(ask)
    }

    /// Throws at the first key that was never asked for, suggesting the nearest asked ones.
    public func finish() throws {
        for entry in entries {
            let key = entry.key.scalarString ?? ""
            guard !asked.contains(key) else { continue }
            throw unknownKey(entry.key, key)
        }
    }

    /// Throws `finish()`'s "unknown key" error now for a key that was never asked for and looks
    /// like a misspelling of `key` ("activaton" for "activation"), if there is one. For an
    /// optional key whose absence is itself an error (a layer with no activation and no default):
    /// the typo is the cause, so it is reported instead of the absence.
    public func rejectMisspelling(of key: String) throws {
        ask(key)
        for entry in entries {
            guard let present = entry.key.scalarString, !asked.contains(present),
                  !suggestions(for: present, among: [key]).isEmpty else { continue }
            throw unknownKey(entry.key, present)
        }
    }

    private func ask(_ key: String) {
        if !asked.contains(key) { asked.append(key) }
    }

    private func unknownKey(_ node: SpecNode, _ key: String) -> SpecError {
        let message = "unknown key \(quote(key)) in \(place)"
        if let suggestion = didYouMean(key, among: asked) {
            return node.error(message + "; " + suggestion)
        }
        let known = asked.map { "'\($0)'" }.joined(separator: ", ")
        return node.error(message, hint: asked.isEmpty ? nil : "known keys: \(known)")
    }

    /// The keys present, in order.
    public var keys: [String] { entries.map { $0.key.scalarString ?? "" } }
}
