import Foundation

/// `validate MANIFEST` (or `-` for standard input): the load and expand stages; every problem as
/// `file:line:column: error: path: message`, warnings too; `--json` for editors and CI annotations.
enum ValidateCommand {
    static let spec = CommandSpec(
        name: "validate", summary: "check a manifest; report every problem with its file:line:column and JSON path",
        positionals: "MANIFEST|-", options: [:],
        flags: ["json": "print {valid, jobs, issues} as JSON on stdout, for editors and CI annotations"],
        minPositionals: 1, maxPositionals: 1)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        let argument = parsed.positionals[0]
        let json = parsed.flags.contains("json")
        let manifest: Manifest
        do {
            manifest = try load(argument, cli)
        } catch let error as ManifestError where json {
            cli.console.out(try NanobatchCLI.prettyJSON(Report(valid: false, jobs: nil, file: error.file, issues: error.issues)))
            return .usage
        }
        let expanded = Planner.expand(manifest).jobs
        let jobs = expanded.count
        if json {
            let report = Report(valid: true, jobs: jobs, file: manifest.sourceName, issues: manifest.warnings)
            cli.console.out(try NanobatchCLI.prettyJSON(report))
        } else {
            let providers = Set(expanded.map(\.provider)).count
            cli.console.out(
                "\(manifest.sourceName): valid — \(Plural.count(jobs, "job")) across \(Plural.count(providers, "provider"))\n")
            cli.console.err(manifest.warningText)
        }
        // The environment, not the manifest: said on standard error in both forms.
        for warning in MissingKeys.warnings(for: manifest, environment: cli.environment) { cli.console.err(warning) }
        return .success
    }

    /// The file named, or standard input for `-` (relative paths then resolve against the current folder).
    static func load(_ argument: String, _ cli: NanobatchCLI) throws -> Manifest {
        guard argument == "-" else { return try ManifestLoader.load(path: argument) }
        let directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        return try ManifestLoader.load(cli.standardInput(), file: ManifestLoader.standardInputName, directory: directory)
    }

    /// `validate --json`: `{"valid", "jobs"?, "issues": [{file, line, column, path, severity, message}]}`.
    struct Report: Encodable {
        struct Issue: Encodable {
            var file: String
            var line: Int?
            var column: Int?
            var path: String
            var severity: String
            var message: String
        }

        var valid: Bool
        var jobs: Int?
        var issues: [Issue]

        init(valid: Bool, jobs: Int?, file: String, issues: [ManifestIssue]) {
            self.valid = valid
            self.jobs = jobs
            self.issues = issues.map {
                Issue(file: file, line: $0.line, column: $0.column, path: $0.path, severity: $0.severity.rawValue, message: $0.message)
            }
        }
    }
}
