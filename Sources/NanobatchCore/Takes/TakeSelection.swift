import Foundation

/// Which jobs `reroll` and `pick` name: an exact job id, or a prompt or step id (all its jobs).
/// A stand-in for the shared job selector (`run M SELECTOR…`), which replaces it once merged.
package enum TakeSelection {
    /// The jobs `selectors` name, in job order, each once; an unknown selector is a `UsageError` with a hint.
    package static func jobs(matching selectors: [String], in graph: JobGraph) throws -> [Job] {
        var chosen = Set<Int>()
        let groups = Set(graph.jobs.map(\.group))
        for selector in selectors {
            let matches = graph.jobs.filter { $0.id == selector || (groups.contains(selector) && $0.group == selector) }
            guard !matches.isEmpty else {
                let names = groups.sorted() + graph.jobs.map(\.id)
                throw UsageError(
                    "\"\(selector)\" is neither a job id nor a prompt or step id\(Suggestion.hint(for: selector, among: names))",
                    hint: "`nanobatch plan MANIFEST --json` lists the job ids")
            }
            chosen.formUnion(matches.map(\.index))
        }
        return chosen.sorted().map { graph.jobs[$0] }
    }
}
