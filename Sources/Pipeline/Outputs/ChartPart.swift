import BackpropCore

/// The `part` key of a chart that draws one part of the data (`confusion_matrix`, `predictions`):
/// `auto` is the test part, else the validation part, else the training part.
enum ChartPart {
    static func parameter(_ verb: String) -> Parameter<String> {
        Parameter("part", default: "auto", choices: ["auto", "test", "validation", "training"],
                  "the data part \(verb); auto: test, else validation, else training")
    }

    /// The part `part` asks for that the run will not have ("test", "validation"), or nil.
    static func missing(_ part: String, _ definition: PipelineDefinition, _ data: LoadedData) -> String? {
        if part == "test" && data.test == nil { return "test" }
        if part == "validation" && data.validation == nil && definition.training.validationFraction == nil { return "validation" }
        return nil
    }

    /// The samples `part` names and the part's name.
    static func choose(_ part: String, _ data: LoadedData) -> (Dataset, String) {
        switch part {
        case "test": return (data.test ?? data.training, "test")
        case "validation": return (data.validation ?? data.training, "validation")
        case "training": return (data.training, "training")
        default:
            return data.test.map { ($0, "test") } ?? data.validation.map { ($0, "validation") } ?? (data.training, "training")
        }
    }
}
