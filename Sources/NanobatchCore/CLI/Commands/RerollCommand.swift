import Foundation

/// `reroll MANIFEST SELECTOR…`: one more take of each selected job, recorded in the takes file beside
/// the manifest (written atomically), then `run`. A new take has a new content key, so the earlier
/// takes stay in the store; the jobs not selected keep their keys and stay cached.
enum RerollCommand {
    static let spec = CommandSpec(
        name: "reroll", summary: "make a new take of the selected images (recorded in MANIFEST.takes.json), then run",
        positionals: "MANIFEST SELECTOR…", options: RunCommand.spec.options, flags: RunCommand.spec.flags,
        minPositionals: 2, maxPositionals: nil)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) async throws -> ExitCode {
        let manifestPath = parsed.positionals[0]
        let manifest = try ManifestLoader.load(path: manifestPath)
        let selected = try TakeSelection.jobs(matching: Array(parsed.positionals.dropFirst()), in: Planner.expand(manifest))
        var takes = manifest.takes
        for job in selected { takes.reroll(job.id) }
        let takesPath = manifest.takesPath ?? Takes.path(forManifest: manifestPath)
        try BuildFailure.during("write the takes file \(takesPath)", .beforeWork) { try takes.write(to: takesPath) }
        for job in selected { cli.console.err("\(job.id): take \(takes.take(of: job.id))\n") }
        cli.console.err("takes: \(OutputLayout.displayPath(takesPath)) (commit it with the manifest)\n")
        var run = parsed
        run.command = RunCommand.spec.name
        run.positionals = [manifestPath]
        return try await RunCommand.execute(run, cli)
    }
}
