/// `validate MANIFEST`: the load and expand stages; every problem with its JSON path.
enum ValidateCommand {
    static let spec = CommandSpec(
        name: "validate", summary: "check a manifest; report every problem with its JSON path",
        positionals: "MANIFEST", options: [:], flags: [:], minPositionals: 1, maxPositionals: 1)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: nil)
        let jobs = build.expand().jobs.count
        let providers = build.manifest.providers.count
        cli.console.out("\(parsed.positionals[0]): valid — \(Plural.count(jobs, "job")) across \(Plural.count(providers, "provider"))\n")
        for warning in MissingKeys.warnings(for: build.manifest, environment: cli.environment) { cli.console.err(warning) }
        return .success
    }
}
