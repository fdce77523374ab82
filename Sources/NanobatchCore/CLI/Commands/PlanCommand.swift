import Foundation

/// `plan MANIFEST`: load, expand and evaluate; jobs, cache state and estimated cost, no network.
enum PlanCommand {
    static let spec = CommandSpec(
        name: "plan", summary: "show jobs, cache state and estimated cost; no paid request", positionals: "MANIFEST",
        options: NanobatchCLI.outputOption.merging([
            "max-cost": "budget in USD (overrides the manifest's)", "store": NanobatchCLI.storeOptionHelp,
        ]) { $1 },
        flags: ["json": "print the plan as JSON"], minPositionals: 1, maxPositionals: 1)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) async throws -> ExitCode {
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
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
        let summary = PlanSummary(
            plan: plan,
            maxCost: try ArgumentParser.number(parsed, "max-cost") ?? build.manifest.budget?.maxCost)
        cli.console.err(build.whereLine)
        cli.console.err(remoteLine)
        cli.console.err(build.manifest.warningText)
        for warning in MissingKeys.warnings(for: build.manifest, environment: cli.environment) { cli.console.err(warning) }
        if parsed.flags.contains("json") {
            cli.console.out(try NanobatchCLI.prettyJSON(summary))
        } else {
            cli.console.out(summary.renderText())
        }
        return summary.withinBudget == false ? .overBudget : .success
    }
}
