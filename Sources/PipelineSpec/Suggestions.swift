/// The nearest known names to `word`, closest first: at most 2, only reasonably close ones.
///
/// Distance is optimal-string-alignment Damerau–Levenshtein over lowercased characters (a swap
/// of two neighbours counts 1). A name is close when its distance is at most max(1, n/3) with n
/// the length of `word` (capped at 3), or when it starts with `word` of 3+ characters
/// (`leaky` -> `leaky_relu`). Ties keep the order of `candidates`. A name equal but for case is
/// the only suggestion; a word that is itself a candidate gets none.
public func suggestions(for word: String, among candidates: [String]) -> [String] {
    let typed = Array(word.lowercased())
    guard !typed.isEmpty, typed.count <= 64, !candidates.contains(word) else { return [] }
    // A name that differs only in case is the one meant.
    if let sameLetters = candidates.first(where: { Array($0.lowercased()) == typed }) { return [sameLetters] }
    let allowed = min(3, max(1, typed.count / 3))
    var scored: [(name: String, distance: Int, order: Int)] = []
    for (order, candidate) in candidates.enumerated() {
        guard !scored.contains(where: { $0.name == candidate }) else { continue }
        let known = Array(candidate.lowercased())
        guard abs(known.count - typed.count) <= allowed || (typed.count >= 3 && known.starts(with: typed)) else {
            continue
        }
        let distance = editDistance(typed, known)
        if distance <= allowed {
            scored.append((candidate, distance, order))
        } else if typed.count >= 3 && known.starts(with: typed) {
            scored.append((candidate, allowed, order))
        }
    }
    scored.sort { ($0.distance, $0.order) < ($1.distance, $1.order) }
    return scored.prefix(2).map(\.name)
}

/// "did you mean 'relu'?" / "did you mean 'relu' or 'elu'?", or nil when nothing is close.
public func didYouMean(_ word: String, among candidates: [String]) -> String? {
    let names = suggestions(for: word, among: candidates).map { quote($0) }
    guard !names.isEmpty else { return nil }
    return "did you mean \(names.joined(separator: " or "))?"
}

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    // Rows i-2, i-1 and i of the (a.count+1) x (b.count+1) table.
    var before = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                best = min(best, before[j - 2] + 1)
            }
            current[j] = best
        }
        (before, previous, current) = (previous, current, before)
    }
    return previous[b.count]
}
