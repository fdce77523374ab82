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
        let column = rows.compactMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[3]) }.reduce(0, +)
        #expect(!rows.isEmpty)
        #expect(Int(toMake) == column, "\(plan.out)")
        #expect(header.contains("after their upstream jobs"), "the example has a chained step: \(header)")
    }
}
