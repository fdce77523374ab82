import Foundation

/// A small command-line parser: one subcommand, `--flag`, `--option value` / `--option=value`, positionals.
package struct ParsedArguments: Sendable, Equatable {
    package var command: String
    package var positionals: [String] = []
    package var options: [String: String] = [:]
    package var flags: Set<String> = []
}

/// A command line the tool cannot take (nothing ran), or a setting missing from the environment.
/// `hint` says where help is; two errors are equal when they say the same thing.
package struct UsageError: Error, CustomStringConvertible, Equatable {
    package let message: String
    package var hint: String?
    package init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
    package var description: String { message }
    package static func == (a: UsageError, b: UsageError) -> Bool { a.message == b.message }
}

package struct CommandSpec: Sendable {
    package var name: String
    package var summary: String
    package var positionals: String
    package var options: [String: String]  // option name → help
    package var flags: [String: String]  // flag name → help
    package var minPositionals: Int
    package var maxPositionals: Int?
}

package enum ArgumentParser {
    package static func parse(_ arguments: [String], commands: [CommandSpec]) throws -> (CommandSpec, ParsedArguments) {
        let generalHelp = "Run `nanobatch help` for usage."
        guard let first = arguments.first else { throw UsageError("missing command", hint: generalHelp) }
        guard let spec = commands.first(where: { $0.name == first }) else {
            let names = commands.map(\.name)
            throw UsageError(
                "unknown command \"\(first)\"\(Suggestion.hint(for: first, among: names)); commands: \(names.joined(separator: ", "))",
                hint: generalHelp)
        }
        let commandHelp = "Run `nanobatch \(spec.name) --help` for its options."
        do {
            return (spec, try parse(arguments, spec: spec))
        } catch var error as UsageError {
            error.hint = error.hint ?? commandHelp
            throw error
        }
    }

    private static func parse(_ arguments: [String], spec: CommandSpec) throws -> ParsedArguments {
        var parsed = ParsedArguments(command: spec.name)
        if arguments.dropFirst().prefix(while: { $0 != "--" }).contains(where: { $0 == "-h" || $0 == "--help" }) {
            parsed.flags.insert("help")
            return parsed
        }
        var index = 1
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            let known = (Array(spec.flags.keys) + Array(spec.options.keys)).sorted()
            guard argument.hasPrefix("--") else {
                let hint = Suggestion.hint(for: String(argument.drop { $0 == "-" }), among: known, prefix: "--")
                throw UsageError("unknown option \"\(argument)\" for \(spec.name)\(hint)")
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if spec.flags[name] != nil {
                if inlineValue != nil { throw UsageError("--\(name) takes no value") }
                parsed.flags.insert(name)
            } else if spec.options[name] != nil {
                if let inlineValue {
                    parsed.options[name] = inlineValue
                } else {
                    guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                    parsed.options[name] = arguments[index]
                    index += 1
                }
            } else {
                let hint = Suggestion.hint(for: name, among: known, prefix: "--")
                let list = known.isEmpty ? "" : "; options: \(known.map { "--\($0)" }.joined(separator: ", "))"
                throw UsageError("unknown option --\(name) for \(spec.name)\(hint)\(list)")
            }
        }
        if parsed.positionals.count < spec.minPositionals {
            throw UsageError("\(spec.name) needs \(spec.positionals)")
        }
        if let max = spec.maxPositionals, parsed.positionals.count > max {
            throw UsageError("\(spec.name) takes \(spec.positionals), got \(parsed.positionals.count) arguments")
        }
        return parsed
    }

    package static func integer(_ parsed: ParsedArguments, _ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text = parsed.options[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    package static func number(_ parsed: ParsedArguments, _ name: String) throws -> Double? {
        guard let text = parsed.options[name] else { return nil }
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw UsageError("--\(name) must be a number ≥ 0, not \"\(text)\"")
        }
        return value
    }
}
