import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// Money in JSON is rounded to micro-units: no `0.17550000000000002` in index.json or `plan --json`.
@Suite(.timeLimit(.minutes(1))) struct JSONMoneyTests {
    /// A number with ten or more decimals: float noise, never a price.
    static func noise(in text: String) -> String? {
        text.firstMatch(of: /-?\d+\.\d{10,}/).map { String($0.output) }
    }

    /// Three jobs that each report $0.039 (650 image tokens × $60/M) add up to 0.11699999999999999.
    @Test func indexJSONHasNoFloatNoise() async throws {
        let workspace = try TestWorkspace()
        let fake = try DialectFakes.gemini()
        fake.injectFaults { fake, _ in BudgetCapTests.answer(fake, usage: #"{"promptTokenCount":0,"candidatesTokenCount":650}"#) }
        let manifest = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3.1-flash-image"], prompts: Array(BudgetCapTests.prompts.prefix(3)),
            extra: #", "budget": { "maxCost": 1 }"#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        let text = try String(contentsOf: workspace.outputRoot.appendingPathComponent("api-test/index.json"), encoding: .utf8)
        #expect(Self.noise(in: text) == nil, "\(Self.noise(in: text) ?? "")")
        let index = try readIndex(workspace, manifest: "api-test")
        #expect(index["budgetSpent"] == .number(0.117))
        #expect(index["totals"]?["actualCost"]?["USD"] == .number(0.117))
    }

    /// Prices typed with more places than a micro-dollar, summed: the plan's JSON keeps six decimals.
    @Test func planJSONHasNoFloatNoise() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write(
            "m.json",
            baseManifest(
                providers: #"{ "a": { "dialect": "offline" }, "b": { "dialect": "offline" } }"#,
                models: #"["a:nano-banana-2", "b:gemini-3-pro-image"]"#, references: "[[]]",
                extra:
                    #", "pricing": { "a:nano-banana-2": 0.1, "b:gemini-3-pro-image": 0.0123456789 }, "budget": { "maxCost": 2.0000000001 }"#,
                matrixExtra: #", "variants": 3"#))
        let plan = await runCLI(["plan", path, "--output", workspace.outputRoot.path, "--json"])
        #expect(plan.status == 0, "\(plan.err)")
        #expect(Self.noise(in: plan.out) == nil, "\(Self.noise(in: plan.out) ?? "")")
        let summary = try JSONParser.parse(plan.out)
        #expect(summary["estimatedCost"] == .number(1.348148), "12 × 0.1 + 12 × 0.0123456789, rounded once")
        #expect(summary["rows"]?.arrayValue?.last?["price"] == .number(0.012346))
    }
}
