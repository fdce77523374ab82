import Foundation
import Testing

@testable import NanobatchCore

/// `nanobatch init`: a commented starter manifest that runs as written, never over an existing file.
@Suite(.timeLimit(.minutes(1))) struct InitCommandTests {
    @Test func writesACommentedStarterThatValidatesAndRuns() async throws {
        let workspace = try TestWorkspace()
        let path = workspace.url.appendingPathComponent("posters").path
        let result = await runCLI(["init", path])
        #expect(result.status == 0, "\(result.err)")
        #expect(
            result.out
                == "wrote \(path).json: a starter manifest for the offline provider (no key, no charge)\nnext: nanobatch run \(path).json\n"
        )
        let text = try String(contentsOfFile: path + ".json", encoding: .utf8)
        #expect(text.contains("// \"gemini\": { \"dialect\": \"gemini\", \"apiKeyEnv\": \"GEMINI_API_KEY\""), "\(text)")
        #expect(text.contains("\"name\": \"posters\""))
        let validate = await runCLI(["validate", path + ".json"])
        #expect(validate.status == 0, "\(validate.err)")
        let run = await runCLI(["run", path + ".json", "--output", workspace.outputRoot.path, "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        #expect(try readIndex(workspace, manifest: "posters").jobRows.count == 4)
    }

    /// Switching to Gemini as the comments say gives a valid manifest too.
    @Test func theCommentedGeminiProviderIsValidWhenSwitchedOn() async throws {
        let workspace = try TestWorkspace()
        let path = workspace.url.appendingPathComponent("nanobatch.json").path
        #expect(await runCLI(["init", path]).status == 0)
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "// \"gemini\":", with: "\"gemini\":")
            .replacingOccurrences(of: #""models": ["local:nano-banana-2"]"#, with: #""models": ["gemini:gemini-3.1-flash-image"]"#)
        let switched = try workspace.write("switched/nanobatch.json", text)
        let validate = await runCLI(["validate", switched], environment: ["GEMINI_API_KEY": "k"])
        #expect(validate.status == 0, "\(validate.err)")
    }

    @Test func refusesToOverwriteUnlessForced() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("mine.json", "{ \"mine\": true }\n")
        let refused = await runCLI(["init", path])
        #expect(refused.status == ExitCode.usage.rawValue)
        #expect(refused.err == "error: \(path) already exists; pass --force to overwrite it\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{ \"mine\": true }\n", "left as it was")
        let forced = await runCLI(["init", path, "--force"])
        #expect(forced.status == 0, "\(forced.err)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"name\": \"mine\""))
    }

    @Test func refusesANameThatCannotNameAFolder() async throws {
        let result = await runCLI(["init", "bad name!"])
        #expect(result.status == ExitCode.usage.rawValue)
        #expect(result.err.contains("cannot name a manifest"), "\(result.err)")
    }

    @Test func theStarterNamesNoFileThatIsMissing() {
        let text = InitCommand.starter(name: "nanobatch")
        #expect(!text.contains("refs/") && !text.contains("\"references\""))
        let uncommented = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
        #expect(!uncommented.contains { $0.contains("$schema") }, "no schema file next to it yet")
    }
}
