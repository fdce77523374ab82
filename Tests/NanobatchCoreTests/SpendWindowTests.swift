import Foundation
import Testing

@testable import NanobatchCore

/// `spendPerTenMinutes`: the scheduler's pacing (events and a given clock), a real run with a short
/// window, and the manifest field through the CLI.
@Suite(.timeLimit(.minutes(3))) struct SpendWindowTests {
    typealias S = RunSchedulerTests

    static func wakes(_ actions: [RunScheduler.Action]) -> [Double] {
        actions.compactMap { if case .wake(let at) = $0 { return at } else { return nil } }
    }

    @Test func aJobWaitsUntilTheOldestChargeLeavesTheWindow() throws {
        let graph = try S.graph(variants: 4, pricing: #"{ "a:m": 0.10 }"#)
        var scheduler = RunScheduler(
            plan: S.plan(graph), laneNames: ["a"], limits: RunLimits(concurrency: 4, spendPerTenMinutes: ["a": 0.25]))
        _ = scheduler.start()
        // Two reservations fit in $0.25; the third waits for an answer, with no time to wake at yet.
        let first = scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false, now: 0)
        #expect(S.starts(first) == [0, 1] && Self.wakes(first).isEmpty)
        scheduler.providerAnswered(0, S.made("k0", cost: 0.10))
        let second = scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false, now: 5)
        #expect(S.starts(second).isEmpty && Self.wakes(second) == [605])
        scheduler.providerAnswered(1, S.made("k1", cost: 0.10))
        #expect(S.starts(scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false, now: 7)).isEmpty)
        // Job 0's charge leaves the window at 605: one more fits, the fourth waits for job 1's (607).
        let opened = scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false, now: 605)
        #expect(S.starts(opened) == [2] && Self.wakes(opened) == [607])
    }

    @Test func aJobLargerThanTheWindowIsNotSubmitted() throws {
        let graph = try S.graph(pricing: #"{ "a:m": 0.30 }"#)
        var scheduler = RunScheduler(
            plan: S.plan(graph), laneNames: ["a"], limits: RunLimits(concurrency: 4, spendPerTenMinutes: ["a": 0.25]))
        _ = scheduler.start()
        let settled = S.settled(scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false))
        #expect(settled[0]?.error == "not submitted: its reservation $0.30 is more than providers.a.spendPerTenMinutes ($0.25)")
    }

    /// Reports each job's list price as its cost and records when each started.
    struct PricedProvider: ImageProvider {
        let starts = Locked<[ContinuousClock.Instant]>([])
        func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
            starts.withLock { $0.append(.now) }
            var receipt = try await OfflineProvider().generate(request)
            receipt.actualCost = request.job.unitPrice
            return receipt
        }
    }

    @Test func aRunWaitsForItsWindowAndMakesEveryJob() async throws {
        let workspace = try TestWorkspace()
        let json = baseManifest(
            references: "[[]]", extra: #", "pricing": { "local:nano-banana-2": 0.10 }"#, matrixExtra: #", "variants": 2"#)
        let path = try workspace.write("m.json", json)
        let store = ContentStore(root: workspace.outputRoot)
        let plan = try PlanEvaluator.evaluate(Planner.expand(try ManifestLoader.load(path: path)), store: store)
        let provider = PricedProvider()
        var policy = BudgetPolicy.standard
        policy.spendWindowSeconds = 0.4
        let runner = Runner(
            plan: plan, store: store, lanes: [ProviderLane(name: "local", provider: provider, concurrency: 8)],
            layout: OutputLayout(root: workspace.outputRoot), manifestName: "test",
            limits: RunLimits(concurrency: 8, budgetPolicy: policy, spendPerTenMinutes: ["local": 0.25]))
        let outcomes = await runner.run()
        #expect(outcomes.count == 8 && outcomes.allSatisfy { $0.status == .made })
        // Two jobs per window: job k + 2 starts only after job k's charge left the window.
        let starts = provider.starts.withLock { $0 }
        for k in 0..<(starts.count - 2) { #expect(starts[k].duration(to: starts[k + 2]) >= .milliseconds(400)) }
    }

    @Test func theManifestFieldReachesTheRun() async throws {
        let workspace = try TestWorkspace()
        let json = baseManifest(
            providers: #"{ "local": { "dialect": "offline", "spendPerTenMinutes": 0.05 } }"#, references: "[[]]",
            extra: #", "pricing": { "local:nano-banana-2": 0.10 }"#)
        let path = try workspace.write("m.json", json)
        let result = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(result.status == ExitCode.overBudget.rawValue)
        let rows = try readIndex(workspace, manifest: "test").jobRows
        #expect(rows.count == 4 && rows.allSatisfy { $0["status"] == "skipped" })
        #expect(rows.first?["error"] == "not submitted: its reservation $0.10 is more than providers.local.spendPerTenMinutes ($0.05)")
    }
}
