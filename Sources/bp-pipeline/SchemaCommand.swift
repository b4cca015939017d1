import ArgumentParser
import Pipeline

/// `bp-pipeline schema`: the JSON Schema of a spec file on stdout, for editors
/// (yaml-language-server). The repository keeps a copy as bp-pipeline.schema.json.
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema (draft-07) of a spec file, for editor completion and checking.",
        discussion: """
        Generated from the registry: every stage, plugin and key with its type, range, choices and default. \
        Save it (bp-pipeline schema > \(SpecSchema.fileName)) and put \
        '# yaml-language-server: $schema=PATH' on the first line of a spec.
        """)

    func run() {
        print(SpecSchema.text(), terminator: "")
    }
}
