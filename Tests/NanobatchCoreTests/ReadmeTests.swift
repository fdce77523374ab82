import Foundation
import Testing

@testable import NanobatchCore

/// The README works as written: every manifest it shows validates, and every `nanobatch` command it
/// shows is run by the real executable, in README order, from a folder holding a copy of `manifests/`.
/// A command is expected to exit 0 unless its comment says `exit N`. Keys set on a command line (or
/// by a CI recipe's secrets) are replaced by a fake Gemini API's key, and Gemini providers point at it.
@Suite(.timeLimit(.minutes(3))) struct ReadmeTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func readme() throws -> String {
        String(decoding: try Data(contentsOf: repository.appendingPathComponent("README.md")), as: UTF8.self)
    }

    @Test func theBlockReaderFindsFencesCommandsAndExpectedStatuses() throws {
        let text = """
            intro
            ```sh
            swift build -c release
            swift run nanobatch run manifests/example.json   # the main job
            GEMINI_API_KEY=… nanobatch plan m.json  # exit 3 when over budget
            nanobatch validate - < m.json
            ```
            ```json
            { "version": 1 }
            ```
            """
        let blocks = ReadmeBlock.all(in: text)
        #expect(blocks.map(\.info) == ["sh", "json"])
        #expect(blocks[1].text == "{ \"version\": 1 }\n" && blocks[1].line == 9)
        let commands = blocks[0].commands
        #expect(commands.map(\.arguments) == [["run", "manifests/example.json"], ["plan", "m.json"], ["validate", "-"]])
        #expect(commands.map(\.expectedStatus) == [0, 3, 0])
        #expect(commands[1].environment == ["GEMINI_API_KEY": "…"])
        #expect(commands[2].standardInput == "m.json")
        #expect(commands.map(\.line) == [4, 5, 6])
    }

    @Test func everyManifestShownValidates() async throws {
        let blocks = ReadmeBlock.all(in: try Self.readme()).filter { $0.info == "json" || $0.info == "jsonc" }
        #expect(blocks.count >= 5, "the README shows manifests")
        let workspace = try TestWorkspace()
        try FileManager.default.copyItem(
            at: Self.repository.appendingPathComponent("manifests"), to: workspace.url.appendingPathComponent("manifests"))
        for (index, block) in blocks.enumerated() {
            let manifest = try ReadmeBlock.manifest(from: block.text, name: "readme-\(index)")
            let path = try workspace.write("manifests/readme-\(index).json", manifest)
            let result = await runCLI(["validate", path])
            #expect(result.status == 0, "README.md:\(block.line): the manifest does not validate:\n\(result.err)\(result.out)")
        }
    }

    @Test func everyCommandShownRunsAsWritten() async throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let gemini = try DialectFakes.gemini()
        let batches = try GeminiBatchFake(key: gemini.key)
        let workspace = try TestWorkspace()
        let manifests = workspace.url.appendingPathComponent("manifests")
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("manifests"), to: manifests)
        for file in try FileManager.default.contentsOfDirectory(atPath: manifests.path) where file.hasSuffix(".json") {
            let url = manifests.appendingPathComponent(file)
            let original = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            let base = original.contains(#""mode": "batch""#) ? batches.baseURL : gemini.baseURL
            let text = original.replacingOccurrences(of: #""dialect": "gemini","#, with: #""dialect": "gemini", "baseURL": "\#(base)","#)
            try Data(text.utf8).write(to: url)
        }
        let blocks = ReadmeBlock.all(in: try Self.readme()).filter { $0.info == "sh" || $0.info == "yaml" }
        // A CI recipe's commands run with the key its secrets give them.
        let commands = blocks.flatMap { block in
            block.commands.map { (command: $0, secrets: block.info == "yaml" ? ["GEMINI_API_KEY": "secret"] : [:]) }
        }
        #expect(commands.count >= 10, "the README shows commands")
        for (command, secrets) in commands {
            let environment = command.environment.merging(secrets) { $1 }.mapValues { _ in gemini.key }
            let result = try ReadmeBlock.run(command, executable: executable, in: workspace.url, environment: environment)
            #expect(
                result.status == command.expectedStatus,
                "README.md:\(command.line): `nanobatch \(command.arguments.joined(separator: " "))` exited \(result.status), not \(command.expectedStatus):\n\(result.output)"
            )
        }
        #expect(!gemini.apiRequests.isEmpty, "the README's Gemini commands reached the fake")
        #expect(gemini.violations.isEmpty, "\(gemini.violations)")
        #expect(batches.creationCount > 0, "the README's batch commands reached the Batch API fake")
        #expect(batches.violations.isEmpty, "\(batches.violations)")
    }
}
