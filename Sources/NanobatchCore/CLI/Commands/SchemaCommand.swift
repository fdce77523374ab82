import Foundation

/// `schema`: prints the manifest's JSON Schema (for editors: save it and point `$schema` at it).
enum SchemaCommand {
    static let spec = CommandSpec(
        name: "schema", summary: "print the JSON Schema of the manifest (save it for editor completion)", positionals: "",
        options: [:], flags: [:], minPositionals: 0, maxPositionals: 0)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        cli.console.out(text)
        return .success
    }
}
