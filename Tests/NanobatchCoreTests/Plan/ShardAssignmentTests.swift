import Foundation
import Testing

@testable import NanobatchCore

/// The assignment of jobs to shards as a pure function of the job graph and its content keys.
@Suite(.timeLimit(.minutes(1))) struct ShardAssignmentTests {
    /// Job id → 0-based shard.
    static func shardsByID(_ plan: EvaluatedPlan, count: Int) -> [String: Int] {
        let assignment = ShardAssignment(jobs: plan.graph.jobs, keys: plan.states.map(\.key), count: count)
        return Dictionary(uniqueKeysWithValues: plan.graph.jobs.map { ($0.id, assignment.shardOfJob[$0.index]) })
    }

    @Test(arguments: [1, 2, 3, 4, 7])
    func theSameManifestInAnotherOrderGivesTheSameShards(count: Int) throws {
        let workspace = try TestWorkspace()
        let (_, plan) = try SelectionFixture.plan(workspace)
        let (_, again) = try SelectionFixture.plan(workspace)
        let (_, shuffled) = try SelectionFixture.plan(workspace, promptOrder: [3, 1, 0, 2], name: "shuffled.json")
        #expect(plan.graph.jobs.count == SelectionFixture.jobCount)
        #expect(shuffled.graph.jobs.map(\.id) != plan.graph.jobs.map(\.id))
        let expected = Self.shardsByID(plan, count: count)
        #expect(Self.shardsByID(again, count: count) == expected)
        #expect(Self.shardsByID(shuffled, count: count) == expected)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 40, 50])
    func everyJobIsInExactlyOneShardAndChainsStayTogether(count: Int) throws {
        let workspace = try TestWorkspace()
        let (_, plan) = try SelectionFixture.plan(workspace)
        let assignment = ShardAssignment(jobs: plan.graph.jobs, keys: plan.states.map(\.key), count: count)
        let shares = (1...count).map { assignment.jobs(of: Shard(index: $0, count: count)!) }
        #expect(shares.flatMap { $0 }.sorted() == Array(plan.graph.jobs.indices))
        #expect(shares.map(\.count) == assignment.jobCounts)
        for job in plan.graph.jobs {
            if let upstream = job.upstream { #expect(assignment.shardOfJob[job.index] == assignment.shardOfJob[upstream], "\(job.id)") }
        }
        if count == 1 { #expect(shares[0].count == plan.graph.jobs.count) }
    }

    /// The greedy's bound: no shard's cost exceeds the average by more than the costliest unit (a
    /// job with its chain). Here a unit costs at most $0.20 (a hero job at 0.10 and its edit).
    @Test(arguments: [2, 3, 4, 6])
    func sharesAreBalancedByCostWithinTheCostliestChain(count: Int) throws {
        let workspace = try TestWorkspace()
        let (_, plan) = try SelectionFixture.plan(workspace)
        let assignment = ShardAssignment(jobs: plan.graph.jobs, keys: plan.states.map(\.key), count: count)
        let total = plan.graph.jobs.reduce(0) { $0 + ($1.unitPrice ?? 0) }
        #expect(abs(assignment.totalCost - total) < 1e-9)
        #expect(abs(assignment.maximumImbalance - 0.2) < 1e-9)
        for cost in assignment.costs { #expect(cost <= total / Double(count) + assignment.maximumImbalance + 1e-9, "\(assignment.costs)") }
        let shares = (1...count).map { assignment.share(of: Shard(index: $0, count: count)!) }
        #expect(abs(shares.reduce(0, +) - 1) < 1e-9)
    }

    /// Two jobs asking for the same image (the same content key) are one unit: one shard makes it.
    @Test func identicalRequestsGoToOneShard() throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write(
            "twins.json",
            """
            { "version": 1, "name": "twins", "providers": { "local": { "dialect": "offline" } },
              "matrix": { "prompts": [ { "id": "a", "text": "same" }, { "id": "b", "text": "same" }, { "id": "c", "text": "other" } ],
                          "aspectRatios": ["1:1"], "models": ["local:m"] } }
            """)
        let plan = try Build.load(manifestPath: path, outputOption: workspace.outputRoot.path).plan()
        let assignment = ShardAssignment(jobs: plan.graph.jobs, keys: plan.states.map(\.key), count: 3)
        #expect(assignment.shardOfJob[0] == assignment.shardOfJob[1])
        #expect(assignment.jobCounts.sorted() == [0, 1, 2])
    }
}
