import Foundation

/// `plan MANIFEST [SELECTOR…]`: load, expand, evaluate and select; jobs, cache state and estimated
/// cost of the selected share (a shard's with `--shard`, every shard's with `--shards N`), no network.
enum PlanCommand {
    static let spec = CommandSpec(
        name: "plan", summary: "show jobs, cache state and estimated cost; no paid request", positionals: "MANIFEST [SELECTOR…]",
        options: NanobatchCLI.outputOption.merging([
            "max-cost": "budget in USD (overrides the manifest's)",
            "shards": "N: every shard's jobs, cost and budget in one table",
            "store": NanobatchCLI.storeOptionHelp,
        ]) { $1 }.merging(ShardOption.help) { $1 },
        flags: ["json": "print the plan as JSON"], minPositionals: 1, maxPositionals: nil)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) async throws -> ExitCode {
        let selectors = parsed.positionals.dropFirst().map(JobSelector.init)
        let shard = try ShardOption.parse(parsed.options["shard"], environment: cli.environment)
        let shardCount = try ArgumentParser.integer(parsed, "shards", range: 1...10_000)
        if shard != nil, shardCount != nil { throw UsageError("--shard and --shards go one at a time") }
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
        let maxCost = try ArgumentParser.number(parsed, "max-cost") ?? build.manifest.budget?.maxCost
        var plan: EvaluatedPlan
        var remoteLine = ""
        if let remote = try build.remoteStore(option: parsed.options["store"], environment: cli.environment, plainHTTP: cli.plainHTTP) {
            // Records only (no image is fetched, nothing written): what the remote store has counts as cached.
            let jobs = build.expand()
            let restored = try await build.restore(jobs, from: remote, fetchingImages: false, .noWork)
            plan = restored.plan
            let ids = plan.graph.jobs.indices.filter { plan.states[$0].key.map(restored.found.contains) ?? false }.map {
                plan.graph.jobs[$0].id
            }
            remoteLine =
                "remote store: \(remote.settings.displayURL) has \(Plural.count(ids.count, "job")) not cached here (counted as cached; `run` and `report` fetch them)"
            remoteLine +=
                ids.isEmpty
                ? "\n" : ids.count <= 20 ? ": \(ids.joined(separator: ", "))\n" : ": \(ids.prefix(20).joined(separator: ", ")), …\n"
        } else {
            plan = try build.plan()
        }
        let share = try build.select(plan, selectors: selectors, shard: shard, shardCount: shardCount)
        cli.console.err(build.whereLine)
        cli.console.err(remoteLine)
        cli.console.err(build.manifest.warningText)
        for warning in MissingKeys.warnings(for: build.manifest, environment: cli.environment) { cli.console.err(warning) }
        if let shardCount {
            let table = ShardTable(share, count: shardCount, maxCost: maxCost)
            cli.console.out(parsed.flags.contains("json") ? try NanobatchCLI.prettyJSON(table) : table.renderText())
            return table.shards.contains { $0.withinBudget == false } ? .overBudget : .success
        }
        var summary = PlanSummary(plan: share.plan, maxCost: share.budget(from: maxCost))
        if !share.isWhole {
            summary.selectors = selectors.isEmpty ? nil : selectors.map(\.text)
            summary.shard = shard?.description
            summary.manifestJobs = share.whole.graph.jobs.count
        }
        if parsed.flags.contains("json") {
            cli.console.out(try NanobatchCLI.prettyJSON(summary))
        } else {
            if !share.isWhole { cli.console.out(RunSummary.selection(share, maxCost: maxCost)) }
            cli.console.out(summary.renderText())
        }
        return summary.withinBudget == false ? .overBudget : .success
    }
}
