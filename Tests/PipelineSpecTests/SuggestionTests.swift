import Testing
@testable import PipelineSpec

private let activations = ["sigmoid", "tanh", "relu", "linear", "leaky_relu", "elu", "selu", "gelu"]

@Test(arguments: [
    ("relu6", ["relu"]),
    ("Relu", ["relu"]),
    ("sigmod", ["sigmoid"]),
    ("tahn", ["tanh"]),           // adjacent swap counts 1
    ("leaky", ["leaky_relu"]),    // a prefix of 3+ characters
    ("eelu", ["relu", "elu"]),    // ties keep the candidates' order; at most 2 (selu, gelu tie too)
    ("softmax", []),
    ("relu", []),                 // the word itself is no suggestion
    ("", []),
])
func nearestNames(word: String, expected: [String]) {
    #expect(suggestions(for: word, among: activations) == expected)
}

@Test func didYouMeanPhrases() {
    #expect(didYouMean("relu6", among: activations) == "did you mean 'relu'?")
    #expect(didYouMean("eelu", among: activations) == "did you mean 'relu' or 'elu'?")
    #expect(didYouMean("epochz", among: ["epochs", "batch_size"]) == "did you mean 'epochs'?")
    #expect(didYouMean("zzz", among: activations) == nil)
}

@Test(arguments: [("kitten", "sitting", 3), ("abc", "acb", 1), ("", "abc", 3), ("ca", "abc", 3), ("same", "same", 0)])
func editDistances(a: String, b: String, expected: Int) {
    #expect(editDistance(Array(a), Array(b)) == expected)
}
