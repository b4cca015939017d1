@preconcurrency import Glibc
import PipelineSpec

/// Words of a command line: recognising a misspelt command, and quoting for a POSIX shell.
enum CommandLineWords {
    /// "bp-pipeline: error: unknown command 'valdate'; did you mean 'validate'?" when `word`
    /// (the first argument) is close to a command name and is not a file the default `run`
    /// command could read; nil otherwise. A word with '/' or '.' is a path, never a command.
    static func unknownCommand(_ word: String, among names: [String]) -> String? {
        guard !word.hasPrefix("-"), !names.contains(word), !word.contains("/"), !word.contains("."),
              access(word, F_OK) != 0, let hint = didYouMean(word, among: names) else { return nil }
        return "bp-pipeline: error: unknown command '\(word)'; \(hint)"
    }

    /// `word` as one POSIX shell word: unchanged when it holds only characters no shell treats
    /// specially, else in single quotes with each `'` written as `'\''`.
    static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "@%+=:,./_-".unicodeScalars.contains(scalar))
        }
        if plain { return word }
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
