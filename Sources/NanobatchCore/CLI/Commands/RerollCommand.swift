import Foundation

/// `reroll MANIFEST SELECTOR…`: one more take of each selected job, recorded in the takes file beside
/// the manifest (written atomically), then `run`. A new take has a new content key, so the earlier
/// takes stay in the store; only the new takes and the jobs chained on them are made (the others keep
/// their keys and images).
enum RerollCommand {
    static let spec = CommandSpec(
        name: "reroll", summary: "make a new take of the selected images (recorded in MANIFEST.takes.json), then run",
        positionals: "MANIFEST SELECTOR…", options: RunCommand.spec.options, flags: RunCommand.spec.flags,
        minPositionals: 2, maxPositionals: nil)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) async throws -> ExitCode {
        let manifestPath = parsed.positionals[0]
        let manifest = try ManifestLoader.load(path: manifestPath)
        let graph = Planner.expand(manifest)
        let selected = try JobSelector.named(by: parsed.positionals.dropFirst().map(JobSelector.init), in: graph).map { graph.jobs[$0] }
        var takes = manifest.takes
        for job in selected { takes.reroll(job.id) }
        let takesPath = manifest.takesPath ?? Takes.path(forManifest: manifestPath)
        try BuildFailure.during("write the takes file \(takesPath)", .beforeWork) { try takes.write(to: takesPath) }
        for job in selected { cli.console.err("\(job.id): take \(takes.take(of: job.id))\n") }
        cli.console.err("takes: \(OutputLayout.displayPath(takesPath)) (commit it with the manifest)\n")
        // The new takes and the chained jobs made from them (their upstream image changes); the rest stays as it is.
        var remade = Set(selected.map(\.index))
        for job in graph.jobs where job.upstream.map(remade.contains) == true { remade.insert(job.index) }
        var run = parsed
        run.command = RunCommand.spec.name
        run.positionals = [manifestPath] + remade.sorted().map { graph.jobs[$0].id }
        return try await RunCommand.execute(run, cli)
    }
}
