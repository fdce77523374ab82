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

    /// Three jobs counted at their reservation of $0.0585 add up to 0.17550000000000002.
    @Test func indexJSONHasNoFloatNoise() async throws {
        let workspace = try TestWorkspace()
        let fake = try DialectFakes.gemini()
        // 30 million image tokens: $900 an image, rejected and counted at its reservation.
        fake.injectFaults { fake, _ in BudgetCapTests.answer(fake, usage: #"{"promptTokenCount":10,"candidatesTokenCount":30000000}"#) }
        let manifest = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-2.5-flash-image"], prompts: BudgetCapTests.prompts,
            providerExtra: #", "concurrency": 1"#, extra: #", "budget": { "maxCost": 0.2 }"#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == ExitCode.overBudget.rawValue, "\(result.err)")
        let text = try String(contentsOf: workspace.outputRoot.appendingPathComponent("api-test/index.json"), encoding: .utf8)
        #expect(Self.noise(in: text) == nil, "\(Self.noise(in: text) ?? "")")
        #expect(try readIndex(workspace, manifest: "api-test")["budgetSpent"] == .number(0.1755))
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
