import Foundation

/// `explain MANIFEST [SELECTOR…]`: load, expand, evaluate and select (selectors, `--shard`), then
/// compare with the previous build: why each selected job would be made. No paid request; with a
/// remote store, its records are read (no image is fetched) and the jobs it has count as cached.
enum ExplainCommand {
    static let spec = CommandSpec(
        name: "explain", summary: "say why each job would be made (new, prompt, reference bytes, upstream, options, bad entry)",
        positionals: "MANIFEST [SELECTOR…]",
        options: NanobatchCLI.outputOption.merging(ShardOption.help) { $1 }.merging(["store": NanobatchCLI.storeOptionHelp]) { $1 },
        flags: ["json": "print the explanations as JSON"], minPositionals: 1, maxPositionals: nil)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) async throws -> ExitCode {
        let selectors = parsed.positionals.dropFirst().map(JobSelector.init)
        let shard = try ShardOption.parse(parsed.options["shard"], environment: cli.environment)
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
        var plan: EvaluatedPlan
        var remoteLine: String?
        if let remote = try build.remoteStore(option: parsed.options["store"], environment: cli.environment, plainHTTP: cli.plainHTTP) {
            let restored = try await build.restore(build.expand(), from: remote, fetchingImages: false, .noWork)
            plan = restored.plan
            remoteLine =
                "remote store: \(remote.settings.displayURL) has \(Plural.count(restored.found.count, "job")) not cached here (fetched by `run`, not made)\n"
        } else {
            plan = try build.plan()
        }
        let share = try build.select(plan, selectors: selectors, shard: shard)
        let evaluated = share.plan
        cli.console.err(build.whereLine)
        if let remoteLine { cli.console.err(remoteLine) }
        let previous = build.previousBuild()
        let explanations = BuildExplainer.explain(evaluated, previous: previous, store: build.store)
        if parsed.flags.contains("json") {
            cli.console.out(try NanobatchCLI.prettyJSON(explanations))
            return .success
        }
        let total = evaluated.graph.jobs.count
        let sent = evaluated.graph.jobs.indices.filter(evaluated.willBeMade).count
        let comparison = previous == nil ? " (no previous build to compare with)" : ""
        if share.isWhole {
            cli.console.out("\(build.name): \(sent) of \(Plural.count(total, "job")) would be made\(comparison)\n")
        } else {
            let whole = share.whole.graph.jobs.count
            cli.console.out(
                "\(build.name): \(sent) of \(Plural.count(total, "selected job")) would be made (\(share.label); the manifest has \(whole))\(comparison)\n"
            )
        }
        for explanation in explanations {
            cli.console.out("  \(explanation.job): \(explanation.detail)\n")
        }
        if !selectors.isEmpty {
            let explained = Set(explanations.map(\.job))
            for job in evaluated.graph.jobs where !explained.contains(job.id) {
                cli.console.out("  \(job.id): up to date (cached)\n")
            }
        }
        return .success
    }
}
