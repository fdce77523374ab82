import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// The JSON bodies of the POST requests a fake received.
func postedBodies(_ fake: FakeAPI) -> [JSONValue] {
    fake.apiRequests.filter { $0.method == "POST" }.compactMap { try? JSONParser.parse($0.body) }
}

func row(_ index: JSONValue, containing text: String) -> JSONValue? {
    index.jobRows.first { ($0["id"]?.stringValue ?? "").contains(text) }
}

@Suite(.timeLimit(.minutes(2))) struct OpenAIImagesRequestTests {
    @Test func imageSizeIsSentOnlyForNanoBanana2() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(dialect: "openai-images", fake: fake, models: ["nano-banana", "nano-banana-2"], imageSize: "4K")
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.violations == [])
        let bodies = postedBodies(fake)
        #expect(bodies.count == 2)
        for body in bodies {
            let model = body["model"]?.stringValue
            #expect(body["image_size"] == (model == "nano-banana-2" ? .string("4K") : nil), "\(body.serialized())")
            #expect(body["aspect_ratio"] == "16:9")
            #expect(body["response_format"] == "url")
        }
    }

    @Test func urlReferencesGoToGenerationsAndFilesToEditsOnePartEach() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        try workspace.write("refs/b.png", data: smallPNG(seed: "b"))
        let url = fake.hostFile("remote.png", smallPNG(seed: "remote"))
        let manifest = apiManifest(
            dialect: "openai-images", fake: fake, models: ["nano-banana"],
            references: [[url], ["refs/a.png", "refs/b.png"]])
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.violations == [])
        let generations = fake.apiRequests.filter { $0.path.hasSuffix("/v1/images/generations") }
        let edits = fake.apiRequests.filter { $0.path.hasSuffix("/v1/images/edits") }
        #expect(generations.count == 1 && edits.count == 1)
        let body = try JSONParser.parse(generations[0].body)
        #expect(body["image"] == .array([.string(url)]))
        let contentType = edits[0].headers["content-type"] ?? ""
        let parts = MultipartParser.parse(edits[0].body, boundary: MultipartParser.boundary(fromContentType: contentType) ?? "") ?? []
        #expect(parts.filter { $0.name == "image" }.map(\.data) == [smallPNG(seed: "a"), smallPNG(seed: "b")])
        #expect(parts.first { $0.name == "model" }?.data == Data("nano-banana".utf8))
        #expect(parts.first { $0.name == "prompt" }?.data == Data("A red cube".utf8))
    }

    @Test("b64_json and data: URL answers are both decoded", arguments: ["b64_json", "data-url"])
    func base64Answers(_ style: String) async throws {
        let fake = try DialectFakes.openAIImages(responseStyle: style)
        let workspace = try TestWorkspace()
        let extra = style == "b64_json" ? #", "responseFormat": "b64_json""# : ""
        let manifest = apiManifest(dialect: "openai-images", fake: fake, models: ["nano-banana"], providerExtra: extra)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.violations == [])
        let index = try readIndex(workspace, manifest: "api-test")
        #expect(index.jobRows.first?["status"] == "made")
        #expect(index.jobRows.first?["width"] == .number(128))
        #expect(fake.requests.filter { $0.path.hasPrefix("/files/") }.isEmpty, "nothing to download")
        if style == "b64_json" { #expect(postedBodies(fake).first?["response_format"] == "b64_json") }
    }

    @Test func answerOfUnknownShapeIsAJobErrorWithTheRedactedAnswer() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "openai-images", fake: fake, models: ["nano-banana"],
            prompts: [("odd", "A cube [unknown-shape]"), ("fine", "A sphere")])
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 1)
        let index = try readIndex(workspace, manifest: "api-test")
        let odd = try #require(row(index, containing: "odd/"))
        #expect(odd["status"] == "failed")
        #expect(odd["error"]?.stringValue?.contains("holds no image") == true)
        let raw = try #require(odd["rawAnswer"]?.stringValue)
        #expect(raw.contains("\"echo\""))
        #expect(raw.contains(Redactor.mask))
        #expect(!raw.contains(fake.key))
        #expect(row(index, containing: "fine/")?["status"] == "made")
        let indexText = try String(contentsOf: workspace.outputRoot.appendingPathComponent("api-test/index.json"), encoding: .utf8)
        #expect(!indexText.contains(fake.key))
    }

    @Test func providerErrorBodyBecomesAReadableJobError() async throws {
        let fake = try DialectFakes.openAIImages()
        fake.script("/v1/images/generations", [FakeAPI.openAIError(400, code: "invalid_prompt", message: "Prompt was rejected")])
        let workspace = try TestWorkspace()
        let result = try await runAgainst(fake, apiManifest(dialect: "openai-images", fake: fake, models: ["nano-banana"]), in: workspace)
        #expect(result.status == 1)
        let job = try #require(try readIndex(workspace, manifest: "api-test").jobRows.first)
        #expect(job["error"] == "HTTP 400: invalid_prompt: images/generations: Prompt was rejected")
        #expect(job["httpStatus"] == 400)
        #expect(job["providerCode"] == "invalid_prompt")
        #expect(fake.apiRequests.count == 1, "a 400 is never retried")
    }

    @Test func resultWithTheWrongRatioIsFlagged() async throws {
        let fake = try DialectFakes.openAIImages()
        fake.forcedRatio = "1:1"
        let workspace = try TestWorkspace()
        let result = try await runAgainst(fake, apiManifest(dialect: "openai-images", fake: fake, models: ["nano-banana"]), in: workspace)
        #expect(result.status == 0)
        let job = try #require(try readIndex(workspace, manifest: "api-test").jobRows.first)
        #expect(job["ratioMismatch"] == .bool(true))
        #expect(job["notes"]?.serialized().contains("does not match the requested ratio 16:9") == true)
    }
}

@Suite(.timeLimit(.minutes(2))) struct MountseaRequestTests {
    @Test func localReferenceWithoutURLIsAValidationErrorThatSaysSo() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let path = try workspace.write(
            "m.json",
            apiManifest(
                dialect: "mountsea", fake: fake, models: ["nano-banana-fast"],
                references: [["refs/a.png"]]))
        let result = await runCLI(["validate", path])
        #expect(result.status == 2)
        #expect(result.err.contains("matrix.references[0][0]"))
        #expect(result.err.contains("only takes http(s) URLs"))
        #expect(result.err.contains("providers.api.referenceURLs"))
        #expect(fake.requests.isEmpty)
    }

    @Test func mappedReferenceIsSentAsItsURLWithActionEdit() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let url = fake.hostFile("a.png", smallPNG(seed: "a"))
        let manifest = apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], references: [[], ["refs/a.png"]],
            providerExtra: #", "referenceURLs": { "refs/a.png": "\#(url)" }"#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err) \(result.out)")
        #expect(fake.violations == [])
        let bodies = postedBodies(fake)
        #expect(Set(bodies.compactMap { $0["action"]?.stringValue }) == ["generate", "edit"])
        let edit = try #require(bodies.first { $0["action"] == "edit" })
        #expect(edit["image_urls"] == .array([.string(url)]))
        #expect(bodies.allSatisfy { $0["num_images"] == 1 })
    }

    @Test func resolutionOnlyForProAndNanoBanana2() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast", "nano-banana-pro", "nano-banana-2"],
            imageSize: "4K")
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.violations == [])
        var resolutions: [String: JSONValue?] = [:]
        for body in postedBodies(fake) { resolutions[body["model"]?.stringValue ?? ""] = body["resolution"] }
        #expect(resolutions == ["nano-banana-fast": nil, "nano-banana-pro": "4K", "nano-banana-2": "4K"])
    }

    @Test func extraRatiosOnlyForNanoBanana2() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        let good = try await runAgainst(
            fake, apiManifest(dialect: "mountsea", fake: fake, models: ["nano-banana-2"], ratios: ["1:4"]),
            in: workspace)
        #expect(good.status == 0, "\(good.err)")
        #expect(postedBodies(fake).first?["aspect_ratio"] == "1:4")
        let bad = try await runAgainst(
            fake, apiManifest(dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], ratios: ["1:4"]),
            in: workspace)
        #expect(bad.status == 2)
        #expect(bad.err.contains("matrix.aspectRatios[0]") && bad.err.contains("\"1:4\" is not supported by api:nano-banana-fast"))
        #expect(fake.violations == [])
    }

    @Test func failedTaskFailsItsJobOnly() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"],
            prompts: [("bad", "A cube [fail:content_blocked]"), ("good", "A cube")])
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 1)
        let index = try readIndex(workspace, manifest: "api-test")
        let bad = try #require(row(index, containing: "bad/"))
        #expect(bad["status"] == "failed")
        #expect(bad["providerCode"] == "content_blocked")
        #expect(bad["error"]?.stringValue?.contains("failed: the fake was told to fail this task") == true)
        #expect(row(index, containing: "good/")?["status"] == "made")
        #expect(postedBodies(fake).count == 2, "each job created once")
    }

    @Test func taskThatNeverEndsFailsAtTheDeadline() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], prompts: [("stuck", "A cube [stuck]")])
            .replacingOccurrences(of: #""deadlineSeconds": 20"#, with: #""deadlineSeconds": 6"#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 1)
        let stuck = try #require(try readIndex(workspace, manifest: "api-test").jobRows.first)
        #expect(stuck["error"]?.stringValue?.contains("did not finish before the job's deadline (6 s)") == true, "\(stuck.serialized())")
        #expect(postedBodies(fake).count == 1)
        #expect(fake.apiRequests.count >= 2, "polled until the deadline")
    }
}

@Suite(.timeLimit(.minutes(2))) struct ImageTasksRequestTests {
    @Test func referencesGoInImagesNeverImageAndUnknownStatusesMeanRunning() async throws {
        let fake = try DialectFakes.imageTasks()
        let workspace = try TestWorkspace()
        let url = fake.hostFile("a.png", smallPNG(seed: "a"))
        let manifest = apiManifest(dialect: "image-tasks", fake: fake, models: ["NanoBanana2-1K"], references: [[url]], format: "jpeg")
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.violations == [])
        let body = try #require(postedBodies(fake).first)
        #expect(body["images"] == .array([.string(url)]))
        #expect(body["image"] == nil)
        #expect(body["task_type"] == "image2image")
        #expect(body["output_format"] == "jpeg")
        #expect(body["size"] == nil)
        let polls = fake.apiRequests.filter { $0.method == "GET" }
        #expect(polls.count == fake.pollsBeforeDone + 1, "queued, in_progress and Rendering were waited through")
    }

    @Test func outputFormatLimitsPerModelFamily() async throws {
        let fake = try DialectFakes.imageTasks()
        let workspace = try TestWorkspace()
        let pro = try await runAgainst(
            fake, apiManifest(dialect: "image-tasks", fake: fake, models: ["NanoBananaPro-1K"], format: "webp"),
            in: workspace)
        #expect(pro.status == 2)
        #expect(pro.err.contains("matrix.format") && pro.err.contains("allowed: png, jpeg"))
        let base = try await runAgainst(
            fake, apiManifest(dialect: "image-tasks", fake: fake, models: ["NanoBanana"], format: "webp"),
            in: workspace)
        #expect(base.status == 0, "\(base.err)")
        #expect(postedBodies(fake).map { $0["output_format"] } == ["webp"])
        #expect(fake.violations == [])
    }

    @Test func failedTaskIsAFinalJobError() async throws {
        let fake = try DialectFakes.imageTasks()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(dialect: "image-tasks", fake: fake, models: ["NanoBanana"], prompts: [("x", "A cube [fail:bad_input]")])
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 1)
        let job = try #require(try readIndex(workspace, manifest: "api-test").jobRows.first)
        #expect(job["error"]?.stringValue?.contains("failed: the fake was told to fail this task") == true)
        #expect(job["providerCode"] == "bad_input")
        #expect(postedBodies(fake).count == 1)
    }
}

@Suite(.timeLimit(.minutes(2))) struct EvolinkRequestTests {
    static let badCallbacks: [(String, String)] = [
        ("http://example.com/hook", "must use https"),
        ("https://10.1.2.3/hook", "private or loopback"),
        ("https://127.0.0.1:8443/hook", "private or loopback"),
        ("https://192.168.0.7/hook", "private or loopback"),
        ("https://[::1]/hook", "private or loopback"),
        ("https://localhost/hook", "local name"),
        ("https://example.com/" + String(repeating: "a", count: 2040), "at most 2048"),
    ]

    @Test("callback_url is validated", arguments: badCallbacks)
    func badCallbackURL(_ url: String, _ words: String) async throws {
        let fake = try DialectFakes.evolink()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "evolink", fake: fake, models: ["nano-banana-beta"],
            providerExtra: #", "callbackURL": "\#(url)""#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 2)
        #expect(result.err.contains("providers.api.callbackURL"))
        #expect(result.err.contains(words), "\(result.err)")
        #expect(fake.requests.isEmpty)
    }

    @Test func validCallbackIsSentAndCreditsAreTheActualCost() async throws {
        let fake = try DialectFakes.evolink()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "evolink", fake: fake, models: ["nano-banana-beta"],
            providerExtra: #", "callbackURL": "https://hooks.example.com/done""#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.violations == [])
        let body = try #require(postedBodies(fake).first)
        #expect(body["callback_url"] == "https://hooks.example.com/done")
        #expect(body["size"] == "16:9")
        let index = try readIndex(workspace, manifest: "api-test")
        #expect(index.jobRows.first?["actualCost"] == .number(1.6))
        #expect(index.jobRows.first?["costUnit"] == "credits")
        #expect(index.at("totals", "actualCost", "credits") == .number(1.6))
    }

    @Test func moreThanFiveReferencesIsAValidationError() async throws {
        let fake = try DialectFakes.evolink()
        let workspace = try TestWorkspace()
        let urls = (1...6).map { "https://cdn.example.com/\($0).png" }
        let result = try await runAgainst(
            fake, apiManifest(dialect: "evolink", fake: fake, models: ["nano-banana-beta"], references: [urls]),
            in: workspace)
        #expect(result.status == 2)
        #expect(result.err.contains("6 reference images, but api:nano-banana-beta accepts at most 5"))
    }

    @Test func longPromptForFlashImageIsAValidationError() async throws {
        let fake = try DialectFakes.evolink()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "evolink", fake: fake, models: ["gemini-2.5-flash-image"],
            prompts: [("long", String(repeating: "a", count: 1001))])
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 2)
        #expect(result.err.contains("matrix.prompts[0].text") && result.err.contains("at most 1000"))
    }

    @Test func fixAndResubmitCodesAreFinalRetryLaterCodesAreSubmittedAgain() async throws {
        let fake = try DialectFakes.evolink()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "evolink", fake: fake, models: ["nano-banana-beta"],
            prompts: [
                ("policy", "A cube [fail:content_policy_violation]"),
                ("flaky", "A cube [fail-once:service_error]"),
            ])
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 1)
        #expect(fake.violations == [])
        let index = try readIndex(workspace, manifest: "api-test")
        let policy = try #require(row(index, containing: "policy/"))
        #expect(policy["status"] == "failed")
        #expect(policy["providerCode"] == "content_policy_violation")
        #expect(policy["error"]?.stringValue?.contains("change the request") == true)
        let flaky = try #require(row(index, containing: "flaky/"))
        #expect(flaky["status"] == "made", "\(flaky.serialized())")
        #expect(flaky["attempts"] == 2)
        let prompts = postedBodies(fake).compactMap { $0["prompt"]?.stringValue }
        #expect(prompts.filter { $0.contains("content_policy_violation") }.count == 1)
        #expect(prompts.filter { $0.contains("service_error") }.count == 2)
    }
}
