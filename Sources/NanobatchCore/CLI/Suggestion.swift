/// "Did you mean …?" for misspelt commands, options and names: the closest known word by edit distance.
package enum Suggestion {
    /// The known word closest to `word`, if it is close enough to be a typo (at most 2 edits, and
    /// fewer than half the word's letters).
    package static func closest(to word: String, among known: [String]) -> String? {
        let limit = min(2, max(1, word.count / 2))
        var best: (word: String, distance: Int)?
        for candidate in known {
            let distance = editDistance(Array(word.lowercased()), Array(candidate.lowercased()))
            if distance <= limit, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.word
    }

    /// `" (did you mean \"x\"?)"`, or nothing.
    package static func hint(for word: String, among known: [String], prefix: String = "") -> String {
        closest(to: word, among: known).map { " (did you mean \"\(prefix)\($0)\"?)" } ?? ""
    }

    /// Levenshtein distance, with a swap of two neighbours counted as one edit.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { current[j] = min(current[j], before[j - 2] + 1) }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
