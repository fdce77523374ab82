import Foundation
import Testing

@testable import NanobatchCore

/// `plan`'s text agrees with itself: the header's "to make" is the sum of the table's column.
@Suite(.timeLimit(.minutes(1))) struct PlanSummaryTests {
    @Test func theHeaderCountsWhatTheTableCounts() async throws {
        let (workspace, path) = try exampleWorkspace()
        let plan = await runCLI(["plan", path, "--output", workspace.outputRoot.path])
        #expect(plan.status == 0, "\(plan.err)")
        let header = try #require(plan.out.split(separator: "\n").first)
        let toMake = try #require(header.firstMatch(of: /(\d+) to make/)?.1).description
        let rows = plan.out.split(separator: "\n").filter { $0.hasPrefix("local ") }
        let column = rows.compactMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[4]) }.reduce(0, +)
        #expect(!rows.isEmpty)
        #expect(Int(toMake) == column, "\(plan.out)")
        #expect(header.contains("after their upstream jobs"), "the example has a chained step: \(header)")
    }

    /// Eight jobs at $0.045 add up to 0.35999999999999993 in floating point.
    @Test func sumsOfPricesCarryNoFloatNoise() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write(
            "m.json",
            baseManifest(
                references: "[[]]", extra: #", "pricing": { "local:nano-banana-2": 0.045 }"#, matrixExtra: #", "variants": 2"#))
        let plan = await runCLI(["plan", path, "--output", workspace.outputRoot.path, "--json"])
        #expect(plan.status == 0, "\(plan.err)")
        let run = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        let index = try String(contentsOf: workspace.outputRoot.appendingPathComponent("test/index.json"), encoding: .utf8)
        for (name, text) in [("plan --json", plan.out), ("index.json", index)] {
            #expect(text.firstMatch(of: /\d\.\d{9,}/) == nil, "\(name) has float noise")
        }
        #expect(index.contains("\"estimatedCost\" : 0.36") || index.contains("\"estimatedCost\": 0.36"), "the total of eight jobs")
    }
}
