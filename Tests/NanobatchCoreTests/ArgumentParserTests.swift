import Testing

@testable import NanobatchCore

/// The command-line parser on its own: commands, options, flags and positionals, and each usage error.
@Suite(.timeLimit(.minutes(2))) struct ArgumentParserTests {
    static let spec = CommandSpec(
        name: "run", summary: "", positionals: "MANIFEST", options: ["output": "", "concurrency": ""],
        flags: ["quiet": ""], minPositionals: 1, maxPositionals: 1)

    static func parse(_ arguments: [String]) throws -> ParsedArguments {
        try ArgumentParser.parse(arguments, commands: [spec]).1
    }

    @Test func optionsFlagsAndPositionalsInAnyOrder() throws {
        let parsed = try Self.parse(["run", "--output", "out", "m.json", "--quiet", "--concurrency=3"])
        #expect(
            parsed
                == ParsedArguments(
                    command: "run", positionals: ["m.json"], options: ["output": "out", "concurrency": "3"],
                    flags: ["quiet"]))
    }

    @Test func everythingAfterADoubleDashIsPositional() throws {
        #expect(try Self.parse(["run", "--", "--quiet"]).positionals == ["--quiet"])
        #expect(try Self.parse(["run", "-"]).positionals == ["-"])
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let refusals: [Refusal] = [
        Refusal(arguments: [], message: "missing command"),
        Refusal(arguments: ["rnu"], message: "unknown command \"rnu\" (did you mean \"run\"?); commands: run"),
        Refusal(arguments: ["deploy"], message: "unknown command \"deploy\"; commands: run"),
        Refusal(arguments: ["run", "m.json", "--output"], message: "--output needs a value"),
        Refusal(arguments: ["run", "m.json", "--quiet=yes"], message: "--quiet takes no value"),
        Refusal(arguments: ["run", "m.json", "-q"], message: "unknown option \"-q\" for run"),
        Refusal(
            arguments: ["run", "m.json", "--concurency", "2"],
            message: "unknown option --concurency for run (did you mean \"--concurrency\"?); options: --concurrency, --output, --quiet"),
        Refusal(arguments: ["run", "m.json", "-quite"], message: "unknown option \"-quite\" for run (did you mean \"--quiet\"?)"),
        Refusal(arguments: ["run"], message: "run needs MANIFEST"),
        Refusal(arguments: ["run", "a.json", "b.json"], message: "run takes MANIFEST, got 2 arguments"),
    ]

    @Test(arguments: refusals)
    func usageErrors(_ refusal: Refusal) {
        #expect(throws: UsageError(refusal.message)) { try Self.parse(refusal.arguments) }
    }

    @Test func argumentErrorsPointAtTheCommandsHelp() throws {
        do {
            _ = try Self.parse(["run", "m.json", "--verbose"])
            Issue.record("--verbose was accepted")
        } catch let error as UsageError {
            #expect(error.hint == "Run `nanobatch run --help` for its options.")
        }
    }

    @Test func helpAnywhereBeforeADoubleDashAsksForTheCommandsHelp() throws {
        #expect(try Self.parse(["run", "--help"]).flags == ["help"])
        #expect(try Self.parse(["run", "m.json", "-h", "--bogus"]).flags == ["help"])
        #expect(try Self.parse(["run", "--", "-h"]).positionals == ["-h"])
    }

    @Test(arguments: [
        ("offlline", ["offline", "gemini", "mountsea"], "offline"), ("varients", ["variants", "models"], "variants"),
        ("concurency", ["concurrency", "output"], "concurrency"), ("lpan", ["plan", "run"], "plan"), ("xyz", ["plan", "run"], nil),
    ])
    func suggestionsCatchTyposNotStrangers(_ word: String, _ known: [String], _ expected: String?) {
        #expect(Suggestion.closest(to: word, among: known) == expected)
    }

    @Test func numbersAreCheckedWithTheirRange() throws {
        let parsed = try Self.parse(["run", "m.json", "--concurrency", "0"])
        #expect(throws: UsageError("--concurrency must be a whole number from 1 to 1024, not \"0\"")) {
            try ArgumentParser.integer(parsed, "concurrency", range: 1...1024)
        }
        #expect(try ArgumentParser.integer(Self.parse(["run", "m.json", "--concurrency", "7"]), "concurrency", range: 1...1024) == 7)
        #expect(try ArgumentParser.integer(Self.parse(["run", "m.json"]), "concurrency", range: 1...1024) == nil)
        var costs = ParsedArguments(command: "plan")
        costs.options["max-cost"] = "-1"
        #expect(throws: UsageError("--max-cost must be a number ≥ 0, not \"-1\"")) { try ArgumentParser.number(costs, "max-cost") }
        costs.options["max-cost"] = "2.5"
        #expect(try ArgumentParser.number(costs, "max-cost") == 2.5)
    }
}
