import Foundation
import Testing

@testable import NanobatchCore

/// The gemini dialect's model table: Google's GA ids, shut-down ids with their date and replacement,
/// and each model's reference-image limit.
@Suite(.timeLimit(.minutes(1))) struct GeminiCatalogTests {
    static let googleProvider = #"{ "g": { "dialect": "gemini", "apiKeyEnv": "GEMINI_API_KEY" } }"#

    /// A manifest of Google models; `size` nil asks for no size.
    func manifest(models: [String], ratios: String = #"["1:1"]"#, size: String? = nil) -> String {
        baseManifest(
            providers: Self.googleProvider, ratios: ratios, models: "[" + models.map { "\"g:\($0)\"" }.joined(separator: ", ") + "]",
            references: "[[]]"
        )
        .replacingOccurrences(of: #""imageSize": "0.5K""#, with: size.map { #""imageSize": "\#($0)""# } ?? #""variants": 1"#)
    }

    func validate(_ text: String, command: String = "validate") async throws -> CLIResult {
        let workspace = try TestWorkspace()
        let file = try workspace.write("m.json", text)
        let output = command == "validate" ? [] : ["--output", workspace.outputRoot.path]
        return await runCLI([command, file] + output)
    }

    @Test(arguments: [
        ("gemini-2.5-flash-image", "2026-10-02", "gemini-3.1-flash-image"),
        ("gemini-3-pro-image-preview", "2026-06-25", "gemini-3-pro-image"),
        ("gemini-3.1-flash-image-preview", "2026-06-25", "gemini-3.1-flash-image"),
    ])
    func aShutDownIdIsAnErrorNamingItsReplacement(_ model: String, _ date: String, _ successor: String) async throws {
        for command in ["validate", "plan", "run"] {
            let result = try await validate(manifest(models: [model]), command: command)
            #expect(result.status == 2, "\(command): \(result.err)")
            #expect(
                result.err.contains("error: matrix.models[0]: \"\(model)\" was shut down on \(date); use \"\(successor)\""),
                "\(command): \(result.err)")
        }
    }

    @Test func theGAIdsValidateWithoutWarnings() async throws {
        let result = try await validate(manifest(models: ["gemini-3-pro-image", "gemini-3.1-flash-image", "gemini-3.1-flash-lite-image"]))
        #expect(result.status == 0, "\(result.err)")
        #expect(!result.err.contains("warning: matrix"), "\(result.err)")
    }

    @Test func flashLiteMakesOnly1KInFourteenRatios() async throws {
        let ratios = #"["1:1", "8:1", "1:4"]"#
        #expect(try await validate(manifest(models: ["gemini-3.1-flash-lite-image"], ratios: ratios)).status == 0)
        let twoK = try await validate(manifest(models: ["gemini-3.1-flash-lite-image"], size: "2K"))
        #expect(twoK.status == 2)
        #expect(twoK.err.contains("\"2K\" is not offered by g:gemini-3.1-flash-lite-image; allowed: 1K"), "\(twoK.err)")
    }

    @Test func referenceLimitsPerModel() throws {
        let gemini = try #require(DialectRegistry.dialect(named: "gemini"))
        #expect(gemini.model("gemini-2.5-flash-image")?.maxReferences == 3)
        #expect(gemini.model("gemini-3-pro-image")?.maxReferences == 14)
        #expect(gemini.model("gemini-3.1-flash-image")?.maxReferences == 14)
    }

    @Test func theUnknownModelMessageListsOnlyServedIds() async throws {
        let result = try await validate(manifest(models: ["gemini-9-image"]))
        #expect(result.status == 2)
        #expect(
            result.err.contains("known: gemini-3-pro-image, gemini-3.1-flash-image, gemini-3.1-flash-lite-image\n"), "\(result.err)")
    }

    /// A retirement announced for a later day warns until that day, then is an error: one table edit per retirement.
    @Test func aRetirementAheadWarnsAndOnItsDayIsAnError() throws {
        let json = manifest(models: ["gemini-2.5-flash-image"])
        func issues(on today: String) throws -> [ManifestIssue] {
            var validator = ManifestValidator(directory: FileManager.default.temporaryDirectory, today: today)
            _ = validator.validate(try JSONParser.parse(json))
            return validator.issues.filter { $0.path == "matrix.models[0]" }
        }
        let before = try issues(on: "2026-10-01")
        #expect(before.map(\.severity) == [.warning])
        #expect(before.first?.message == "\"gemini-2.5-flash-image\" will be shut down on 2026-10-02; use \"gemini-3.1-flash-image\"")
        let onTheDay = try issues(on: "2026-10-02")
        #expect(onTheDay.map(\.severity) == [.error])
        #expect(onTheDay.first?.message == "\"gemini-2.5-flash-image\" was shut down on 2026-10-02; use \"gemini-3.1-flash-image\"")
        #expect(Retirement.today(Date(timeIntervalSince1970: 1_790_000_000)) == "2026-09-21")
    }

    @Test func gatewaysKeepTheirOwnModelNames() async throws {
        let providers = #"{ "e": { "dialect": "evolink", "baseURL": "https://gw.example", "apiKeyEnv": "EVOLINK_API_KEY" } }"#
        let text = baseManifest(providers: providers, ratios: #"["1:1"]"#, models: #"["e:gemini-2.5-flash-image"]"#, references: "[[]]")
            .replacingOccurrences(of: #""imageSize": "0.5K""#, with: #""variants": 1"#)
        let result = try await validate(text)
        #expect(result.status == 0, "\(result.err)")
    }
}
