import Foundation

/// The command-line front: arguments in, exit code out. `main.swift` only wires signals to this.
/// Each command is a thin type in `Commands/` that calls the `Build` stages it needs; errors become
/// text and an exit status in one place (`MessageInfo`).
package struct NanobatchCLI: Sendable {
    package let console: Console
    /// How often `run` prints progress (tests make it fast).
    var progressPace = ProgressPrinter.Pace()
    package let environment: [String: String]
    package let stop: StopSignal
    /// Overrides the providers built from the manifest (tests inject counting or failing ones).
    package let providerOverride: (@Sendable (ProviderConfig) -> (any ImageProvider)?)?
    /// The transport for `http://` URLs (the executable's own client); nil: URLSession.
    package let plainHTTP: (any HTTPTransport)?
    /// Reads all of standard input (`validate -`); tests pass the bytes instead.
    package let standardInput: @Sendable () -> Data

    package init(
        console: Console, environment: [String: String], stop: StopSignal = StopSignal(),
        providerOverride: (@Sendable (ProviderConfig) -> (any ImageProvider)?)? = nil, plainHTTP: (any HTTPTransport)?,
        standardInput: @escaping @Sendable () -> Data = { FileHandle.standardInput.readDataToEndOfFile() }
    ) {
        self.standardInput = standardInput
        self.plainHTTP = plainHTTP
        self.console = console
        self.environment = environment
        self.stop = stop
        self.providerOverride = providerOverride
    }

    package static let version = "0.2.0"

    static let outputOption = ["output": "output root (default: the manifest's \"output\", else output/ next to the manifest)"]

    static let storeOptionHelp =
        "remote store URL (Bazel HTTP cache protocol; overrides NANOBATCH_STORE and the manifest's \"store\")"

    static let helpSpec = CommandSpec(
        name: "help", summary: "show this help", positionals: "", options: [:], flags: [:],
        minPositionals: 0, maxPositionals: 1)
    static let versionSpec = CommandSpec(
        name: "version", summary: "print the version", positionals: "", options: [:], flags: [:],
        minPositionals: 0, maxPositionals: 0)

    package static let commands: [CommandSpec] = [
        ValidateCommand.spec, PlanCommand.spec, RunCommand.spec, ExplainCommand.spec, ReportCommand.spec, PushCommand.spec,
        CleanCommand.spec,
        VerifyCommand.spec, RerollCommand.spec, PickCommand.spec, InitCommand.spec, SchemaCommand.spec,
        helpSpec, versionSpec,
    ]

    package static var usage: String {
        var text = "nanobatch \(version) — turn a JSON manifest into a finished, cached set of AI-generated images\n\n"
        text +=
            "Usage: nanobatch <command> [options] MANIFEST\n       nanobatch init [NAME] | schema | help [COMMAND]\n       nanobatch <command> --help\n\nCommands:\n"
        for spec in commands { text += "  \(spec.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(spec.summary)\n" }
        text += "\nRun `nanobatch <command> --help` for the options each command takes.\n"
        text += "\nExit status: \(ExitCode.summary).\n"
        return text
    }

    package func run(_ arguments: [String]) async -> Int32 {
        guard let first = arguments.first else {
            console.err(NanobatchCLI.usage)
            return ExitCode.usage.rawValue
        }
        if first == "-h" || first == "--help" {
            console.out(NanobatchCLI.usage)
            return ExitCode.success.rawValue
        }
        if first == "--version" {
            console.out("nanobatch \(NanobatchCLI.version)\n")
            return ExitCode.success.rawValue
        }
        do {
            return try await execute(try ArgumentParser.parse(arguments, commands: NanobatchCLI.commands).1).rawValue
        } catch {
            let message = MessageInfo(error)
            console.err(message.text)
            return message.exitCode.rawValue
        }
    }

    private func execute(_ parsed: ParsedArguments) async throws -> ExitCode {
        switch parsed.command {
        case _ where parsed.flags.contains("help"):
            console.out(NanobatchCLI.commands.first { $0.name == parsed.command }?.help ?? NanobatchCLI.usage)
            return .success
        case "help":
            guard let topic = parsed.positionals.first else {
                console.out(NanobatchCLI.usage)
                return .success
            }
            guard let spec = NanobatchCLI.commands.first(where: { $0.name == topic }) else {
                let names = NanobatchCLI.commands.map(\.name)
                throw UsageError(
                    "no command \"\(topic)\"\(Suggestion.hint(for: topic, among: names)); commands: \(names.joined(separator: ", "))")
            }
            console.out(spec.help)
            return .success
        case "version":
            console.out("nanobatch \(NanobatchCLI.version)\n")
            return .success
        case ValidateCommand.spec.name: return try ValidateCommand.execute(parsed, self)
        case PlanCommand.spec.name: return try await PlanCommand.execute(parsed, self)
        case RunCommand.spec.name: return try await RunCommand.execute(parsed, self)
        case ExplainCommand.spec.name: return try await ExplainCommand.execute(parsed, self)
        case ReportCommand.spec.name: return try await ReportCommand.execute(parsed, self)
        case PushCommand.spec.name: return try await PushCommand.execute(parsed, self)
        case CleanCommand.spec.name: return try CleanCommand.execute(parsed, self)
        case VerifyCommand.spec.name: return try VerifyCommand.execute(parsed, self)
        case RerollCommand.spec.name: return try await RerollCommand.execute(parsed, self)
        case PickCommand.spec.name: return try PickCommand.execute(parsed, self)
        case InitCommand.spec.name: return try InitCommand.execute(parsed, self)
        case SchemaCommand.spec.name: return try SchemaCommand.execute(parsed, self)
        default: throw UsageError("unknown command \(parsed.command)")
        }
    }

    /// Pretty, key-sorted JSON with a final newline (`plan --json`, `explain --json`).
    static func prettyJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
