import Foundation

/// `plan MANIFEST`: load, expand and evaluate; jobs, cache state and estimated cost, no network.
enum PlanCommand {
    static let spec = CommandSpec(
        name: "plan", summary: "show jobs, cache state and estimated cost; no network", positionals: "MANIFEST",
        options: NanobatchCLI.outputOption.merging(["max-cost": "budget in USD (overrides the manifest's)"]) { $1 },
        flags: ["json": "print the plan as JSON"], minPositionals: 1, maxPositionals: 1)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
        let summary = PlanSummary(
            plan: try build.plan(),
            maxCost: try ArgumentParser.number(parsed, "max-cost") ?? build.manifest.budget?.maxCost)
        cli.console.err(build.whereLine)
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
