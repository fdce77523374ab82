import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct GeminiRequestTests {
    @Test func imageSizeRulesAndInlineReferences() async throws {
        let fake = try DialectFakes.gemini()
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let manifest = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3.1-flash-image"], references: [["refs/a.png"]], imageSize: "0.5K")
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.violations == [])
        for request in fake.apiRequests {
            #expect(request.headers["x-goog-api-key"] == fake.key)
            let body = try JSONParser.parse(request.body)
            let imageConfig = body.at("generationConfig", "imageConfig")
            #expect(imageConfig?["imageSize"] == "512")
            #expect(imageConfig?["aspectRatio"] == "16:9")
            let inline = body.at("contents", 0, "parts", 1, "inline_data")
            #expect(inline?["mime_type"] == "image/png")
            #expect(inline?["data"]?.stringValue.flatMap { Data(base64Encoded: $0) } == smallPNG(seed: "a"))
        }
    }

    @Test func urlReferencesAreFetchedAndSentInline() async throws {
        let fake = try DialectFakes.gemini()
        let workspace = try TestWorkspace()
        let url = fake.hostFile("remote.png", smallPNG(seed: "remote"))
        let result = try await runAgainst(
            fake,
            apiManifest(
                dialect: "gemini", fake: fake, models: ["gemini-3-pro-image"],
                references: [[url]]), in: workspace)
        #expect(result.status == 0, "\(result.err)")
        let body = try JSONParser.parse(try #require(fake.apiRequests.first).body)
        let data = body.at("contents", 0, "parts", 1, "inline_data", "data")?.stringValue
        #expect(data.flatMap { Data(base64Encoded: $0) } == smallPNG(seed: "remote"))
        #expect(
            fake.requests.first { $0.path == "/files/remote.png" }?.headers["x-goog-api-key"] == nil, "the key never goes to file hosts")
    }

    @Test func blockedPromptsAndImageSafetyAreFinalWithTheReason() async throws {
        let fake = try DialectFakes.gemini()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3.1-flash-image"],
            prompts: [("blocked", "x [blocked]"), ("unsafe", "y [image-safety]")])
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 1)
        let index = try readIndex(workspace, manifest: "api-test")
        let blocked = try #require(row(index, containing: "blocked/"))
        #expect(blocked["providerCode"] == "PROHIBITED_CONTENT")
        #expect(blocked["error"]?.stringValue?.contains("the prompt was blocked (PROHIBITED_CONTENT)") == true)
        let unsafe = try #require(row(index, containing: "unsafe/"))
        #expect(unsafe["providerCode"] == "IMAGE_SAFETY")
        #expect(unsafe["error"]?.stringValue?.contains("I can't make that image.") == true)
        #expect(fake.apiRequests.count == 2, "neither is retried")
    }

    @Test func usageMetadataGivesTheActualCost() async throws {
        let fake = try DialectFakes.gemini()
        let workspace = try TestWorkspace()
        let result = try await runAgainst(fake, apiManifest(dialect: "gemini", fake: fake, models: ["gemini-3-pro-image"]), in: workspace)
        #expect(result.status == 0)
        let job = try #require(try readIndex(workspace, manifest: "api-test").jobRows.first)
        // 1000 prompt tokens × $2/M + 1290 image tokens × $120/M + 10 text tokens × $12/M.
        #expect(job["actualCost"] == .number(0.15692))
        #expect(job["costUnit"] == "USD")
    }

    @Test func googleErrorsAreReadableAndABadKeyStopsWithAHint() async throws {
        let fake = try DialectFakes.gemini()
        fake.script(":generateContent", [FakeAPI.googleError(400, state: "INVALID_ARGUMENT", message: "Unsupported aspect ratio")])
        let workspace = try TestWorkspace()
        let manifest = apiManifest(dialect: "gemini", fake: fake, models: ["gemini-3.1-flash-image"])
        let first = try await runAgainst(fake, manifest, in: workspace)
        #expect(first.status == 1)
        let job = try #require(try readIndex(workspace, manifest: "api-test").jobRows.first)
        #expect(job["error"] == "HTTP 400: INVALID_ARGUMENT: generateContent: Unsupported aspect ratio")

        let path = try workspace.write("api-test.json", manifest)
        let wrongKey = await runCLI(
            ["run", path, "--output", workspace.outputRoot.path, "--quiet"],
            environment: ["NB_TEST_KEY": "wrong-key-123"])
        #expect(wrongKey.status == 1)
        let refused = try #require(try readIndex(workspace, manifest: "api-test").jobRows.first)
        #expect(refused["error"]?.stringValue?.contains("HTTP 403: PERMISSION_DENIED") == true)
        #expect(refused["error"]?.stringValue?.contains("check the key in NB_TEST_KEY") == true)
        #expect(
            !(try String(contentsOf: workspace.outputRoot.appendingPathComponent("api-test/index.json"), encoding: .utf8))
                .contains("wrong-key-123"))
    }
}
