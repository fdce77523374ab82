import Foundation

/// `pick MANIFEST JOB [--take N]`: records take N (default: the current one) of JOB as the chosen image
/// of its pick group (the jobs of one prompt or step, ratio and variable values) in the takes file,
/// then copies the picks to the manifest's `exports`. The image must be in the store already.
enum PickCommand {
    static let spec = CommandSpec(
        name: "pick", summary: "choose a job's image for its group (recorded in MANIFEST.takes.json); update exports",
        positionals: "MANIFEST JOB",
        options: NanobatchCLI.outputOption.merging(["take": "which take of JOB (default: its current one)"]) { $1 }, flags: [:],
        minPositionals: 2, maxPositionals: 2)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        let manifestPath = parsed.positionals[0]
        let build = try Build.load(manifestPath: manifestPath, outputOption: parsed.options["output"])
        let lock = try build.lock(.noWork)
        defer { withExtendedLifetime(lock) {} }
        let evaluated = try build.plan()
        let graph = evaluated.graph
        let named = try JobSelector.named(by: [JobSelector(parsed.positionals[1])], in: graph).map { graph.jobs[$0] }
        guard named.count == 1, let job = named.first else {
            throw UsageError(
                "\"\(parsed.positionals[1])\" names \(named.count) jobs; pick one job id",
                hint: "ids: \(named.prefix(3).map(\.id).joined(separator: ", "))\(named.count > 3 ? ", …" : "")")
        }
        let take = try ArgumentParser.integer(parsed, "take", range: 1...1_000_000) ?? job.take
        guard take <= job.take else {
            throw UsageError("\(job.id) has \(job.take == 1 ? "only take 1" : "takes 1…\(job.take)"); `nanobatch reroll` makes more")
        }
        let entries = evaluated.states.map { state -> StoreEntry? in
            if case .cached(_, let entry) = state { return entry }
            return nil
        }
        let store = build.store
        let writer = ExportWriter(plan: evaluated, entries: entries, store: store, root: build.layout.root)
        guard writer.entry(of: job, take: take) != nil else {
            throw UsageError("take \(take) of \(job.id) is not in the store; `nanobatch run` makes it first")
        }
        var takes = build.manifest.takes
        let group = graph.jobs.filter { $0.pickGroup == job.pickGroup }
        takes.pick(job.id, take: take, groupJobIDs: group.map(\.id))
        let takesPath = build.manifest.takesPath ?? Takes.path(forManifest: manifestPath)
        try BuildFailure.during("write the takes file \(takesPath)", .noWork) { try takes.write(to: takesPath) }
        cli.console.out(
            "picked take \(take) of \(job.id) (\(group.count == 1 ? "its group's only job" : "one of \(group.count) jobs in its group"))\n")
        cli.console.out("takes: \(OutputLayout.displayPath(takesPath)) (commit it with the manifest)\n")
        // Exports from the new picks: the same plan, with the takes just written.
        var manifest = build.manifest
        manifest.takes = takes
        let picking = Build(manifest: manifest, layout: build.layout, store: store)
        try ExportStep.run(picking, try picking.plan(), entries: entries, console: cli.console, moment: .noWork)
        return .success
    }
}
