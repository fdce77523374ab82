import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// A manifest with one provider `api` pointing at a fake.
func apiManifest(
    dialect: String, fake: FakeAPI, models: [String], prompts: [(String, String)] = [("hero", "A red cube")],
    ratios: [String] = ["16:9"], references: [[String]] = [[]], imageSize: String? = nil,
    providerExtra: String = "", format: String? = nil, extra: String = ""
) -> String {
    let isAsync = ["mountsea", "image-tasks", "evolink"].contains(dialect)
    let poll = isAsync ? #", "pollSeconds": 0.01"# : ""
    func quoted(_ items: [String]) -> String { "[" + items.map { JSONValue.string($0).serialized() }.joined(separator: ", ") + "]" }
    let promptList = prompts.map { #"{ "id": "\#($0.0)", "text": \#(JSONValue.string($0.1).serialized()) }"# }.joined(separator: ", ")
    return """
        {
          "version": 1,
          "name": "api-test",
          "providers": { "api": { "dialect": "\(dialect)", "baseURL": "\(fake.baseURL)", "apiKeyEnv": "NB_TEST_KEY",
                                  "deadlineSeconds": 20\(poll)\(providerExtra) } },
          "matrix": {
            "prompts": [\(promptList)],
            "aspectRatios": \(quoted(ratios)),
            "models": \(quoted(models.map { "api:" + $0 })),
            "references": [\(references.map(quoted).joined(separator: ", "))]\(imageSize.map { #", "imageSize": "\#($0)""# } ?? "")\(format.map { #", "format": "\#($0)""# } ?? "")
          }\(extra)
        }
        """
}

/// Runs a manifest against a fake with the fake's key in the environment.
func runAgainst(_ fake: FakeAPI, _ manifest: String, in workspace: TestWorkspace, extra: [String] = []) async throws -> CLIResult {
    let path = try workspace.write("api-test.json", manifest)
    return await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"] + extra, environment: ["NB_TEST_KEY": fake.key])
}

struct DialectCase: Sendable, CustomStringConvertible {
    let dialect: String
    let model: String
    let imageSize: String?
    /// Local files can be uploaded (otherwise references are URLs).
    let uploadsFiles: Bool
    let makeFake: @Sendable () throws -> FakeAPI
    /// Path (after the prefix) of the request that creates the text-only job, and the reference job.
    let textEndpoint: String
    let referenceEndpoint: String
    var description: String { dialect }
}

@Suite(.timeLimit(.minutes(5))) struct ProviderEndToEndTests {
    static let cases: [DialectCase] = [
        DialectCase(
            dialect: "openai-images", model: "nano-banana-2", imageSize: "2K", uploadsFiles: true,
            makeFake: { try DialectFakes.openAIImages() }, textEndpoint: "/v1/images/generations",
            referenceEndpoint: "/v1/images/edits"),
        DialectCase(
            dialect: "mountsea", model: "nano-banana-pro", imageSize: "2K", uploadsFiles: false,
            makeFake: { try DialectFakes.mountsea() }, textEndpoint: "/gemini/image/generate",
            referenceEndpoint: "/gemini/image/generate"),
        DialectCase(
            dialect: "image-tasks", model: "NanoBananaPro-2K", imageSize: nil, uploadsFiles: false,
            makeFake: { try DialectFakes.imageTasks() }, textEndpoint: "/v1/images/tasks", referenceEndpoint: "/v1/images/tasks"),
        DialectCase(
            dialect: "evolink", model: "nano-banana-beta", imageSize: nil, uploadsFiles: false,
            makeFake: { try DialectFakes.evolink() }, textEndpoint: "/v1/images/generations",
            referenceEndpoint: "/v1/images/generations"),
        DialectCase(
            dialect: "gemini", model: "gemini-3-pro-image", imageSize: "2K", uploadsFiles: true,
            makeFake: { try DialectFakes.gemini() }, textEndpoint: "/v1beta/models/gemini-3-pro-image:generateContent",
            referenceEndpoint: "/v1beta/models/gemini-3-pro-image:generateContent"),
    ]

    @Test(
        "text-to-image and reference jobs complete through `nanobatch run`; the fake saw only documented requests",
        arguments: cases)
    func endToEnd(_ dialectCase: DialectCase) async throws {
        let fake = try dialectCase.makeFake()
        let workspace = try TestWorkspace()
        let referenceBytes = smallPNG(seed: "reference")
        let reference: String
        if dialectCase.uploadsFiles {
            try workspace.write("refs/product.png", data: referenceBytes)
            reference = "refs/product.png"
        } else {
            reference = fake.hostFile("product.png", referenceBytes)
        }
        let manifest = apiManifest(
            dialect: dialectCase.dialect, fake: fake, models: [dialectCase.model],
            references: [[], [reference]], imageSize: dialectCase.imageSize)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.violations == [])

        let index = try readIndex(workspace, manifest: "api-test")
        let rows = index.jobRows
        #expect(rows.count == 2)
        for row in rows {
            #expect(row["status"]?.stringValue == "made", "\(row.serialized())")
            let width = row["width"]?.numberValue ?? 0
            let height = row["height"]?.numberValue ?? 1
            #expect(abs(width / height - 16.0 / 9.0) < 0.03, "result is \(width)×\(height)")
            #expect(row["notes"]?.serialized().contains("does not match") != true)
            if let file = row["file"]?.stringValue {
                let path = workspace.outputRoot.appendingPathComponent("api-test/\(file)").path
                #expect(ImageInspector.inspectFile(at: path) != nil)
            }
        }
        // The reference job carried the reference; the text job did not.
        let creates = fake.apiRequests.filter { $0.method == "POST" }
        #expect(creates.count == 2)
        func carriesReference(_ request: ReceivedRequest) -> Bool {
            request.body.contains(Data(reference.utf8)) || request.body.contains(referenceBytes)
                || request.body.contains(Data(referenceBytes.base64EncodedString().utf8))
        }
        let withReference = creates.filter(carriesReference)
        let withoutReference = creates.filter { !carriesReference($0) }
        #expect(withReference.map(\.path) == [fake.prefix + dialectCase.referenceEndpoint])
        #expect(withoutReference.map(\.path) == [fake.prefix + dialectCase.textEndpoint])

        // A second run makes nothing and sends nothing.
        let before = fake.requests.count
        let second = try await runAgainst(fake, manifest, in: workspace)
        #expect(second.status == 0)
        #expect(Set(statuses(try readIndex(workspace, manifest: "api-test")).values) == ["cached"])
        #expect(fake.requests.count == before)
    }
}

extension Data {
    func contains(_ other: Data) -> Bool { !other.isEmpty && range(of: other) != nil }
}
