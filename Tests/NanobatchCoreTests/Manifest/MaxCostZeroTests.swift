import Foundation
import Testing

@testable import NanobatchCore

/// A budget of 0, from `--max-cost 0` or `"maxCost": 0`: spend nothing, deliver what is cached,
/// skip every job that would cost.
@Suite(.timeLimit(.minutes(2))) struct MaxCostZeroTests {
    static func manifest(prompts: String, budget: String = "") -> String {
        baseManifest(
            prompts: prompts, ratios: #"["1:1"]"#, references: "[[]]",
            extra: #", "pricing": { "local:nano-banana-2": 0.04 }"# + budget)
    }

    static let hero = #"[ { "id": "hero", "text": "A red cube" } ]"#
    static let both = #"[ { "id": "hero", "text": "A red cube" }, { "id": "shelf", "text": "A shelf of cubes" } ]"#

    @Test(arguments: [false, true])
    func zeroBudgetUsesTheCacheAndSkipsWhatWouldCost(inManifest: Bool) async throws {
        let workspace = try TestWorkspace()
        let file = try workspace.write("m.json", MaxCostZeroTests.manifest(prompts: MaxCostZeroTests.hero))
        let output = ["--output", workspace.outputRoot.path, "--quiet"]
        let first = await runCLI(["run", file] + output)
        #expect(first.status == 0, "\(first.err)")
        #expect(workspace.storedImages().count == 1)

        let budget = inManifest ? #", "budget": { "maxCost": 0 }"# : ""
        try workspace.write("m.json", MaxCostZeroTests.manifest(prompts: MaxCostZeroTests.both, budget: budget))
        let validate = await runCLI(["validate", file])
        #expect(validate.status == 0, "\(validate.err)")
        let second = await runCLI(["run", file] + output + (inManifest ? [] : ["--max-cost", "0"]))
        #expect(second.status == ExitCode.overBudget.rawValue, "\(second.err)")
        let index = try readIndex(workspace, manifest: "test")
        #expect(statuses(index) == ["hero/local-nano-banana-2_1x1_0.5K_v1": "cached", "shelf/local-nano-banana-2_1x1_0.5K_v1": "skipped"])
        #expect(index["skippedForBudget"]?.arrayValue?.count == 1)
        #expect(workspace.storedImages().count == 1, "nothing new was made")
    }
}
