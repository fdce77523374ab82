import Foundation
import Testing

@testable import NanobatchCore

/// The `--help` reflexes of swift-argument-parser tools and cargo, through the CLI.
@Suite(.timeLimit(.minutes(1))) struct CommandHelpTests {
    @Test(arguments: [["run", "--help"], ["run", "-h"], ["help", "run"], ["run", "m.json", "--help"]])
    func eachCommandHasItsOwnHelp(_ arguments: [String]) async {
        let result = await runCLI(arguments)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.hasPrefix("Usage: nanobatch run MANIFEST [SELECTOR…] [options]\n"), "\(result.out)")
        #expect(result.out.contains("--max-cost VALUE") && result.out.contains("--verify"))
        #expect(!result.out.contains("--yes"), "another command's flag: \(result.out)")
    }

    @Test func versionAndGeneralHelp() async {
        #expect(await runCLI(["--version"]).out == "nanobatch \(NanobatchCLI.version)\n")
        let help = await runCLI(["--help"])
        #expect(help.status == 0 && help.out.contains("nanobatch <command> --help"))
    }

    @Test func noArgumentsIsAUsageErrorOnStandardError() async {
        let result = await runCLI([])
        #expect(result.status == 2)
        #expect(result.out.isEmpty && result.err.contains("Usage: nanobatch"))
    }

    @Test func misspeltCommandsAndTopicsGetASuggestion() async {
        let result = await runCLI(["rnu", "m.json"])
        #expect(result.status == 2)
        #expect(result.err.contains("(did you mean \"run\"?)") && result.err.contains("Run `nanobatch help` for usage."), "\(result.err)")
        let topic = await runCLI(["help", "cleen"])
        #expect(topic.status == 2 && topic.err.contains("(did you mean \"clean\"?)"), "\(topic.err)")
    }
}
