import Foundation

/// One word of `run M [SELECTOR…]`: which jobs of the manifest it names.
///
/// A selector matches a job when it is
/// - the job's prompt or step id, exactly (`hero` is not `hero-night`),
/// - a prefix of the job's id that reaches into it (it contains a `/`: `hero/`, `hero/local-m_16x9`),
/// - a glob over the job's id (`*` any run of characters, `?` one character; `*/local-m_1x1_v1`),
/// - or the job's friendly file, as the index names it (`hero/local-m_16x9_v1.png`), also with the
///   folders in front of it (`output/demo/hero/local-m_16x9_v1.png`).
package struct JobSelector: Sendable, Equatable {
    package let text: String

    package init(_ text: String) { self.text = text }

    /// Whether the selector names `job` of the manifest called `manifestName`.
    package func matches(_ job: Job, manifestName: String) -> Bool {
        if text == job.group { return true }
        if text.contains("*") || text.contains("?") { return Self.glob(Array(text.unicodeScalars), Array(job.id.unicodeScalars)) }
        if text.contains("/"), job.id.hasPrefix(text) { return true }
        let file = "\(job.friendlyStem).\(job.format.fileExtension)"
        return text == file || text.hasSuffix("/\(manifestName)/\(file)")
    }

    /// Every job the selectors name and the upstream jobs those need (sources of chained steps), in
    /// job order: what a run of them makes. A selector that names no job is an error that suggests a close name.
    package static func select(_ selectors: [JobSelector], in graph: JobGraph) throws -> [Int] {
        var chosen = [Bool](repeating: false, count: graph.jobs.count)
        for index in try named(by: selectors, in: graph) { chosen[index] = true }
        // Upstream jobs come before the jobs that use them: one pass from the end pulls in whole chains.
        for index in graph.jobs.indices.reversed() where chosen[index] {
            if let upstream = graph.jobs[index].upstream { chosen[upstream] = true }
        }
        return graph.jobs.indices.filter { chosen[$0] }
    }

    /// The jobs the selectors name themselves, without upstream jobs, in job order (`reroll`, `pick`).
    package static func named(by selectors: [JobSelector], in graph: JobGraph) throws -> [Int] {
        let name = graph.manifest.name
        var chosen = [Bool](repeating: false, count: graph.jobs.count)
        let ids = Dictionary(graph.jobs.map { ($0.id, $0.index) }, uniquingKeysWith: { first, _ in first })
        for selector in selectors {
            // A whole job id names that job only (`…_v1` is not a prefix selector for `…_v10`).
            if let exact = ids[selector.text] {
                chosen[exact] = true
                continue
            }
            var matched = false
            for job in graph.jobs where selector.matches(job, manifestName: name) {
                chosen[job.index] = true
                matched = true
            }
            if !matched { throw noMatch(selector, in: graph) }
        }
        return graph.jobs.indices.filter { chosen[$0] }
    }

    static func noMatch(_ selector: JobSelector, in graph: JobGraph) -> UsageError {
        var groups: [String] = []
        for job in graph.jobs where groups.last != job.group && !groups.contains(job.group) { groups.append(job.group) }
        let text = selector.text
        let candidates = groups + graph.jobs.map(\.id) + graph.jobs.map { "\($0.friendlyStem).\($0.format.fileExtension)" }
        var hint = Suggestion.hint(for: text, among: candidates)
        if hint.isEmpty, !text.contains("/"), let group = groups.first(where: { $0.hasPrefix(text) }) {
            hint = " (did you mean \"\(group)\"? prompt and step ids match exactly)"
        }
        let known = groups.prefix(8).joined(separator: ", ") + (groups.count > 8 ? ", …" : "")
        return UsageError(
            "no job \"\(text)\" in \(graph.manifest.name)\(hint); prompts and steps: \(known)",
            hint: "A selector is a prompt or step id, a job id prefix (hero/) or glob (hero/*_v1), or a file name as in the index.")
    }

    /// Glob matching with `*` and `?`, iterative with one backtrack point (linear in practice).
    static func glob(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar]) -> Bool {
        var (p, t) = (0, 0)
        var star: (p: Int, t: Int)?
        while t < text.count {
            if p < pattern.count, pattern[p] == "*" {
                star = (p, t)
                p += 1
            } else if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let last = star {
                p = last.p + 1
                t = last.t + 1
                star = (last.p, last.t + 1)
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
