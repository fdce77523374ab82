import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// `"mode": "batch"` on a gemini provider: validated and planned at the batch price; the content key
/// is the same in both modes (BatchRunTests run it).
@Suite(.timeLimit(.minutes(1))) struct BatchModeTests {
    func cli(_ arguments: [String], _ manifest: String, in workspace: TestWorkspace, key: String = "k") async throws -> CLIResult {
        let path = try workspace.write("api-test.json", manifest)
        let output = arguments.first == "validate" ? [] : ["--output", workspace.outputRoot.path]
        return await runCLI([arguments[0], path] + output + arguments.dropFirst(), environment: ["NB_TEST_KEY": key])
    }

    @Test(arguments: ["offline", "openai-images", "mountsea", "image-tasks", "evolink"])
    func otherDialectsRefuseTheMode(_ dialect: String) async throws {
        let workspace = try TestWorkspace()
        let providers = #"{ "p": { "dialect": "\#(dialect)", "baseURL": "https://gw.example", "apiKeyEnv": "K", "mode": "batch" } }"#
        let result = try await cli(["validate"], baseManifest(providers: providers, models: "[]", references: "[[]]"), in: workspace)
        #expect(result.status == 2)
        #expect(result.err.contains("error: providers.p.mode: only the gemini dialect has a batch mode"), "\(result.err)")
    }

    @Test func anUnknownModeIsRefused() async throws {
        let workspace = try TestWorkspace()
        let fake = try DialectFakes.gemini()
        let manifest = apiManifest(dialect: "gemini", fake: fake, models: ["gemini-3-pro-image"], providerExtra: #", "mode": "later""#)
        let result = try await cli(["validate"], manifest, in: workspace)
        #expect(result.status == 2)
        #expect(result.err.contains("error: providers.api.mode: \"later\" is not one of sync, batch"), "\(result.err)")
    }

    @Test func validateAndPlanAcceptBatchModeWithoutARequest() async throws {
        let workspace = try TestWorkspace()
        let fake = try DialectFakes.gemini()
        let manifest = apiManifest(dialect: "gemini", fake: fake, models: ["gemini-3-pro-image"], providerExtra: #", "mode": "batch""#)
        #expect(try await cli(["validate"], manifest, in: workspace).status == 0)
        #expect(try await cli(["plan"], manifest, in: workspace).status == 0)
        #expect(fake.requests.isEmpty)
    }

    /// Half the list price (`GeminiBatchTranslator.batchPriceFactor`), marked in the table, with the turnaround.
    @Test func batchJobsArePlannedAtTheBatchPriceAndMarked() async throws {
        let workspace = try TestWorkspace()
        let fake = try DialectFakes.gemini()
        let manifest = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3-pro-image"], prompts: [("a", "A red cube"), ("b", "A blue cube")],
            imageSize: "2K", providerExtra: #", "mode": "batch""#)
        let text = try await cli(["plan"], manifest, in: workspace)
        #expect(text.status == 0, "\(text.err)")
        let row = try #require(text.out.split(separator: "\n").first { $0.hasPrefix("api ") })
        #expect(row.contains("gemini-3-pro-image@2K (batch)") && row.contains("$0.07") && row.contains("$0.13"), "\(text.out)")
        #expect(
            text.out.contains("Batch jobs, at the batch price: usually within hours, at most 24 h; results are collected by a later run"),
            "\(text.out)")
        let json = try JSONParser.parse(try await cli(["plan", "--json"], manifest, in: workspace).out)
        let rows = try #require(json["rows"]?.arrayValue)
        #expect(rows.count == 2 && rows.allSatisfy { $0["mode"] == "batch" && $0["price"] == .number(0.067) })
        #expect(json["byModel"]?.arrayValue?.first?["mode"] == "batch")
        #expect(json["estimatedCost"] == .number(0.134))
    }

    @Test func syncJobsCarryNoModeAndAManifestPriceStillWins() async throws {
        let workspace = try TestWorkspace()
        let fake = try DialectFakes.gemini()
        let sync = apiManifest(dialect: "gemini", fake: fake, models: ["gemini-3-pro-image"], imageSize: "4K")
        let syncPlan = try JSONParser.parse(try await cli(["plan", "--json"], sync, in: workspace).out)
        #expect(syncPlan.at("rows", 0, "mode") == nil && syncPlan.at("rows", 0, "price") == .number(0.24))
        let priced = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3-pro-image"], imageSize: "4K", providerExtra: #", "mode": "batch""#,
            extra: #", "pricing": { "api:gemini-3-pro-image@4K": 0.2 }"#)
        let pricedPlan = try JSONParser.parse(try await cli(["plan", "--json"], priced, in: workspace).out)
        #expect(pricedPlan.at("rows", 0, "price") == .number(0.2))
        let unpriced = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3-pro-image"], imageSize: "4K", providerExtra: #", "mode": "batch""#)
        let batchPlan = try JSONParser.parse(try await cli(["plan", "--json"], unpriced, in: workspace).out)
        #expect(batchPlan.at("rows", 0, "price") == .number(0.12))
    }

    /// The same image from batch or sync is the same cached result: switching the mode keeps every job cached.
    @Test func switchingTheModeKeepsJobsCached() async throws {
        let workspace = try TestWorkspace()
        let fake = try DialectFakes.gemini()
        let prompts = [("a", "A red cube"), ("b", "A blue cube")]
        let sync = apiManifest(dialect: "gemini", fake: fake, models: ["gemini-3.1-flash-image"], prompts: prompts)
        let batch = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3.1-flash-image"], prompts: prompts, providerExtra: #", "mode": "batch""#)
        let first = try await cli(["run", "--quiet"], sync, in: workspace, key: fake.key)
        #expect(first.status == 0, "\(first.err)")
        let sent = fake.apiRequests.count
        #expect(sent == 2)
        let syncRows = try JSONParser.parse(try await cli(["plan", "--json"], sync, in: workspace).out)["rows"]?.arrayValue ?? []
        let batchPlan = try await cli(["plan", "--json"], batch, in: workspace)
        let batchRows = try JSONParser.parse(batchPlan.out)["rows"]?.arrayValue ?? []
        #expect(batchRows.count == 2 && batchRows.allSatisfy { $0["state"] == "cached" && $0["mode"] == "batch" }, "\(batchPlan.out)")
        #expect(batchRows.map { $0["key"] } == syncRows.map { $0["key"] })
        let rerun = try await cli(["run", "--quiet"], sync, in: workspace, key: fake.key)
        #expect(rerun.status == 0, "\(rerun.err)")
        #expect(fake.apiRequests.count == sent, "nothing is made again")
    }
}
