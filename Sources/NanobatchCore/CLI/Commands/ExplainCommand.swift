import Foundation

/// `explain MANIFEST [JOB…]`: load, expand and evaluate, then compare with the previous build:
/// why each job would be made. No network.
enum ExplainCommand {
    static let spec = CommandSpec(
        name: "explain", summary: "say why each job would be made (new, prompt, reference bytes, upstream, options, bad entry)",
        positionals: "MANIFEST [JOB…]", options: NanobatchCLI.outputOption, flags: ["json": "print the explanations as JSON"],
        minPositionals: 1, maxPositionals: nil)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
        let evaluated = try build.plan()
        cli.console.err(build.whereLine)
        let previous = build.previousBuild()
        var explanations = BuildExplainer.explain(evaluated, previous: previous, store: build.store)
        let wanted = Array(parsed.positionals.dropFirst())
        func isWanted(_ id: String) -> Bool { wanted.contains { id == $0 || id.hasPrefix($0) } }
        if !wanted.isEmpty {
            let known = Set(evaluated.graph.jobs.map(\.id))
            for id in wanted where !known.contains(id) && !known.contains(where: { $0.hasPrefix(id) }) {
                let example = evaluated.graph.jobs.first?.id ?? "prompt/provider-model_16x9_v1"
                throw UsageError("no job \"\(id)\" in \(build.name); job ids look like \(example)")
            }
            explanations = explanations.filter { isWanted($0.job) }
        }
        if parsed.flags.contains("json") {
            cli.console.out(try NanobatchCLI.prettyJSON(explanations))
            return .success
        }
        let total = evaluated.graph.jobs.count
        let sent = evaluated.graph.jobs.indices.filter(evaluated.willBeMade).count
        let comparison = previous == nil ? " (no previous build to compare with)" : ""
        cli.console.out("\(build.name): \(sent) of \(Plural.count(total, "job")) would be made\(comparison)\n")
        for explanation in explanations {
            cli.console.out("  \(explanation.job): \(explanation.detail)\n")
        }
        if !wanted.isEmpty {
            let explained = Set(explanations.map(\.job))
            for job in evaluated.graph.jobs where !explained.contains(job.id) && isWanted(job.id) {
                cli.console.out("  \(job.id): up to date (cached)\n")
            }
        }
        return .success
    }
}
