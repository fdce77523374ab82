import Foundation
import Testing

@testable import NanobatchCore

/// `nanobatch schema` prints the schema embedded in the binary: the repository's file, byte for byte,
/// and in step with what the loader accepts.
@Suite(.timeLimit(.minutes(1))) struct SchemaCommandTests {
    static var schemaFile: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../manifests/nanobatch.schema.json")
            .standardizedFileURL
    }

    @Test func theEmbeddedSchemaIsTheRepositoryFile() throws {
        let file = try String(contentsOf: Self.schemaFile, encoding: .utf8)
        #expect(
            SchemaCommand.text == file,
            "paste manifests/nanobatch.schema.json into SchemaCommand+Text.swift:\n\(lineDiff(expected: file, actual: SchemaCommand.text))")
    }

    @Test func printsTheSchemaOnStandardOutput() async throws {
        let result = await runCLI(["schema"])
        #expect(result.status == 0)
        #expect(result.out == SchemaCommand.text)
        #expect(result.err.isEmpty)
        #expect(await runCLI(["schema", "extra"]).status == ExitCode.usage.rawValue)
    }

    func keys(_ value: JSONValue?) -> [String] { (value?["properties"]?.objectValue?.keys ?? []).sorted() }

    /// Every key the loader accepts, at every level, and nothing else.
    @Test func listsEveryKeyTheLoaderAccepts() async throws {
        let schema = try JSONParser.parse(await runCLI(["schema"]).out)
        let top = schema["properties"]
        let provider = top?["providers"]?["additionalProperties"]
        #expect(keys(schema) == ManifestLoader.topLevelKeys.sorted())
        #expect(keys(provider) == ManifestLoader.providerKeys.sorted())
        #expect(keys(provider?["properties"]?["retry"]) == ManifestLoader.retryKeys.sorted())
        #expect(keys(top?["matrix"]) == ManifestLoader.matrixKeys.sorted())
        #expect(keys(top?["matrix"]?["properties"]?["prompts"]?["items"]) == ManifestLoader.promptKeys.sorted())
        #expect(keys(top?["steps"]?["items"]) == ManifestLoader.stepKeys.sorted())
        #expect(keys(top?["budget"]) == ManifestLoader.budgetKeys.sorted())
        #expect(schema["description"]?.stringValue?.contains("comments") == true, "says that comments are allowed")
    }

    /// The limits the loader enforces are the schema's, so an editor flags what `validate` would.
    @Test func limitsMatchTheLoader() throws {
        let schema = try JSONParser.parse(SchemaCommand.text)
        let provider = schema["properties"]?["providers"]?["additionalProperties"]?["properties"]
        #expect(provider?["deadlineSeconds"]?["maximum"]?.numberValue == ManifestDefaults.longestDeadlineSeconds)
        #expect(provider?["deadlineSeconds"]?["default"]?.numberValue == ManifestDefaults.deadlineSeconds)
        #expect(provider?["pollSeconds"]?["maximum"]?.numberValue == ManifestDefaults.longestWaitSeconds)
        let retry = provider?["retry"]?["properties"]
        for key in ["initialDelaySeconds", "maximumDelaySeconds"] {
            #expect(retry?[key]?["maximum"]?.numberValue == ManifestDefaults.longestWaitSeconds, "\(key)")
        }
        #expect(retry?["maxAttempts"]?["default"]?.numberValue == Double(ManifestDefaults.retry.maxAttempts))
        #expect(provider?["concurrency"]?["default"]?.numberValue == Double(ManifestDefaults.providerConcurrency))
        #expect(schema["properties"]?["concurrency"]?["default"]?.numberValue == Double(ManifestDefaults.concurrency))
    }
}
