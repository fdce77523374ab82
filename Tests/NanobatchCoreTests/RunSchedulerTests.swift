import Foundation
import Testing

@testable import NanobatchCore

/// The scheduling rules, driven with events and checked by the actions they produce: no store,
/// no provider, no clock.
@Suite(.timeLimit(.minutes(2))) struct RunSchedulerTests {
    /// Two offline providers `a` and `b`; prompt `p` makes `variants` jobs on each listed model.
    static func graph(
        models: String = #"["a:m"]"#, variants: Int = 1, steps: String = "[]", pricing: String = "{}",
        providers: String = #"{ "a": { "dialect": "offline" }, "b": { "dialect": "offline" } }"#
    ) throws -> JobGraph {
        let json = """
            { "version": 1, "name": "s",
              "providers": \(providers),
              "matrix": { "prompts": [ { "id": "p", "text": "a cube" } ], "aspectRatios": ["1:1"],
                          "models": \(models), "variants": \(variants) },
              "steps": \(steps), "pricing": \(pricing) }
            """
        let manifest = try ManifestLoader.decode(Data(json.utf8), file: "s.json", directory: URL(fileURLWithPath: "/nonexistent"))
        return Planner.expand(manifest)
    }

    /// A plan in which every job is to make (or blocked on its upstream), with made-up keys.
    static func plan(_ graph: JobGraph, states: [Int: JobState] = [:]) -> EvaluatedPlan {
        let all = graph.jobs.map { job -> JobState in
            states[job.index] ?? (job.upstream.map { .blocked(upstream: $0) } ?? .toMake(key: "k\(job.index)"))
        }
        return EvaluatedPlan(graph: graph, states: all, referenceHashes: [:])
    }

    static func entry(_ key: String) -> StoreEntry {
        StoreEntry(
            key: key, info: ImageInfo(format: .png, width: 8, height: 8), bytes: 100, outputHash: "hash-\(key)",
            blobPath: "/store/\(key).png")
    }

    static func made(_ key: String, cost: Double? = nil) -> JobOutcome {
        var outcome = JobOutcome(status: .made, key: key, entry: entry(key))
        outcome.actualCost = cost
        return outcome
    }

    /// Prompt `p` with `variants` jobs and a step `night` chained on each; the scheduler started and filled once.
    struct Chain {
        let graph: JobGraph
        let plan: EvaluatedPlan
        var scheduler: RunScheduler
        let started: [Int]
    }

    static func chain(variants: Int = 1, globalLimit: Int = 4) throws -> Chain {
        let graph = try Self.graph(variants: variants, steps: #"[ { "id": "night", "from": "p", "prompt": "at night" } ]"#)
        let plan = Self.plan(graph)
        var scheduler = RunScheduler(plan: plan, laneNames: ["a"], limits: RunLimits(concurrency: globalLimit))
        _ = scheduler.start()
        let started = Self.starts(scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false))
        return Chain(graph: graph, plan: plan, scheduler: scheduler, started: started)
    }

    static func starts(_ actions: [RunScheduler.Action]) -> [Int] {
        actions.compactMap { if case .start(let start) = $0 { return start.index } else { return nil } }
    }

    static func settled(_ actions: [RunScheduler.Action]) -> [Int: JobOutcome] {
        var result: [Int: JobOutcome] = [:]
        for case .settle(let index, let outcome) in actions { result[index] = outcome }
        return result
    }

    @Test func neverMoreThanTheGlobalLimitInFlight() throws {
        var scheduler = RunScheduler(plan: Self.plan(try Self.graph(variants: 5)), laneNames: ["a"], limits: RunLimits(concurrency: 2))
        #expect(scheduler.start().isEmpty)
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 10 }, stopRequested: false)) == [0, 1])
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 10 }, stopRequested: false)).isEmpty)
        scheduler.providerAnswered(0, Self.made("k0"))
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 10 }, stopRequested: false)) == [2])
        #expect(scheduler.jobsInFlight == 2)
    }

    @Test func aLaneNeverExceedsItsCurrentLimitAndOthersUseTheFreeSlots() throws {
        let graph = try Self.graph(models: #"["a:m", "b:m"]"#, variants: 3)
        var scheduler = RunScheduler(plan: Self.plan(graph), laneNames: ["a", "b"], limits: RunLimits(concurrency: 8))
        _ = scheduler.start()
        let started = Self.starts(scheduler.fill(laneLimit: { $0 == 0 ? 1 : 2 }, stopRequested: false))
        #expect(started.map { graph.jobs[$0].provider } == ["a", "b", "b"])
        // The limit goes up (a governor's successes): the next fill starts more on that lane.
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 2 }, stopRequested: false)).map { graph.jobs[$0].provider } == ["a"])
    }

    @Test func jobsWaitingOutARateLimitHoldNoSlotOfTheRun() throws {
        var scheduler = RunScheduler(plan: Self.plan(try Self.graph(variants: 4)), laneNames: ["a"], limits: RunLimits(concurrency: 2))
        _ = scheduler.start()
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 2 }, stopRequested: false)) == [0, 1])
        // Job 0 waits out a 429: its lane's limit (from the governor) and the run's concurrency each leave one more slot.
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 3 }, waitingJobs: 1, stopRequested: false)) == [2])
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 3 }, waitingJobs: 1, stopRequested: false)).isEmpty)
        #expect(scheduler.jobsInFlight == 3)
    }

    @Test func aStopRequestStartsNothingAndSaysWhy() throws {
        var scheduler = RunScheduler(plan: Self.plan(try Self.graph(variants: 2)), laneNames: ["a"], limits: RunLimits(concurrency: 4))
        _ = scheduler.start()
        #expect(scheduler.fill(laneLimit: { _ in 4 }, stopRequested: true).isEmpty)
        #expect(scheduler.unsettledOutcome(0, reason: "interrupted (Ctrl-C)").error == "not submitted: interrupted (Ctrl-C)")
    }

    @Test func identicalRequestsAreMadeOnceAndShareTheResult() throws {
        let graph = try Self.graph(variants: 3)
        let plan = Self.plan(graph, states: [1: .duplicate(key: "k0", of: 0), 2: .duplicate(key: "k0", of: 0)])
        var scheduler = RunScheduler(plan: plan, laneNames: ["a"], limits: RunLimits(concurrency: 4))
        _ = scheduler.start()
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false)) == [0])
        let settled = Self.settled(scheduler.jobFinished(0, Self.made("k0")))
        #expect(settled.keys.sorted() == [0, 1, 2])
        #expect(settled[1]?.status == .cached && settled[1]?.notes == ["same request as \(graph.jobs[0].id)"])
        #expect(settled[2]?.entry == Self.entry("k0"))
    }

    @Test func aFailedOwnerFailsItsDuplicates() throws {
        let graph = try Self.graph(variants: 2)
        var scheduler = RunScheduler(
            plan: Self.plan(graph, states: [1: .duplicate(key: "k0", of: 0)]), laneNames: ["a"],
            limits: RunLimits(concurrency: 4))
        _ = scheduler.start()
        _ = scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false)
        let settled = Self.settled(scheduler.jobFinished(0, JobOutcome(status: .failed, key: "k0", error: "HTTP 500")))
        #expect(settled[1]?.status == .failed)
        #expect(settled[1]?.error == "same request as \(graph.jobs[0].id), which failed: HTTP 500")
    }

    @Test func aChainedJobIsLookedUpWithItsUpstreamsOutputThenStarted() throws {
        var chain = try Self.chain(variants: 1, globalLimit: 4)
        #expect(chain.started == [0])
        let actions = chain.scheduler.jobFinished(0, Self.made("k0"))
        let expectedKey = chain.plan.key(for: chain.graph.jobs[1], upstreamOutputHash: "hash-k0")
        guard case .lookUp(1, let key)? = actions.last else {
            Issue.record("no lookup: \(actions)")
            return
        }
        #expect(key == expectedKey)
        #expect(chain.scheduler.keyLookedUp(1, key: key, entry: nil).isEmpty)
        let next = chain.scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false)
        guard case .start(let start)? = next.first else {
            Issue.record("not started: \(next)")
            return
        }
        #expect(start == RunScheduler.JobStart(index: 1, lane: 0, key: expectedKey, upstream: Self.entry("k0")))
    }

    @Test func aChainedJobFoundInTheStoreIsCachedWithoutStarting() throws {
        var chain = try Self.chain(variants: 1, globalLimit: 4)
        _ = chain.scheduler.jobFinished(0, Self.made("k0"))
        let settled = Self.settled(chain.scheduler.keyLookedUp(1, key: "chained", entry: Self.entry("chained")))
        #expect(settled[1]?.status == .cached)
        #expect(chain.scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false).isEmpty)
    }

    @Test func twoChainedJobsWithOneKeyAreMadeOnce() throws {
        var chain = try Self.chain(variants: 2, globalLimit: 4)
        #expect(chain.started == [0, 1])
        // Both upstream jobs came back with the same image, so their chained jobs ask for one request.
        var image = Self.entry("k0")
        image.outputHash = "same image"
        var lookups: [(Int, String)] = []
        for index in [0, 1] {
            var outcome = Self.made("k\(index)")
            outcome.entry = image
            for case .lookUp(let dependent, let key) in chain.scheduler.jobFinished(index, outcome) { lookups.append((dependent, key)) }
        }
        #expect(lookups.map(\.0) == [2, 3] && lookups[0].1 == lookups[1].1)
        #expect(chain.scheduler.keyLookedUp(2, key: lookups[0].1, entry: nil).isEmpty)
        #expect(chain.scheduler.keyLookedUp(3, key: lookups[1].1, entry: nil).isEmpty)
        #expect(Self.starts(chain.scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false)) == [2])
        let settled = Self.settled(chain.scheduler.jobFinished(2, Self.made(lookups[0].1)))
        #expect(settled[3]?.notes == ["same request as \(chain.graph.jobs[2].id)"])
    }

    @Test func aJobAskingForARequestThatAlreadyFailedSharesTheFailureAtOnce() throws {
        var chain = try Self.chain(variants: 2, globalLimit: 1)
        var lookups: [(Int, String)] = []
        for case .lookUp(let dependent, let key) in chain.scheduler.jobFinished(0, Self.made("k0")) { lookups.append((dependent, key)) }
        _ = chain.scheduler.keyLookedUp(lookups[0].0, key: lookups[0].1, entry: nil)
        // Job 2 runs and fails; job 3 then turns out to ask for the very same request.
        let next = Self.starts(chain.scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false))
        #expect(next == [1])
        let image = Self.made("k1")
        var sameLookups: [(Int, String)] = []
        for case .lookUp(let dependent, _) in chain.scheduler.jobFinished(1, image) { sameLookups.append((dependent, lookups[0].1)) }
        #expect(Self.starts(chain.scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false)) == [2])
        _ = chain.scheduler.jobFinished(2, JobOutcome(status: .skipped, key: lookups[0].1, error: "over budget", skippedForBudget: true))
        let settled = Self.settled(chain.scheduler.keyLookedUp(sameLookups[0].0, key: sameLookups[0].1, entry: nil))
        #expect(settled[3]?.status == .skipped && settled[3]?.skippedForBudget == true)
        #expect(settled[3]?.error == "same request as \(chain.graph.jobs[2].id), which skipped: over budget")
    }

    @Test func duplicatesOfAJobWithoutALaneFailWithIt() throws {
        let graph = try Self.graph(variants: 2)
        var scheduler = RunScheduler(
            plan: Self.plan(graph, states: [1: .duplicate(key: "k0", of: 0)]), laneNames: [], limits: RunLimits(concurrency: 1))
        let settled = Self.settled(scheduler.start())
        #expect(settled[1]?.status == .failed)
        #expect(settled[1]?.error == "same request as \(graph.jobs[0].id), which failed: no provider \"a\" is configured")
    }

    @Test func aFailureSkipsOnlyItsDependents() throws {
        var chain = try Self.chain(variants: 2, globalLimit: 4)
        let settled = Self.settled(chain.scheduler.jobFinished(0, JobOutcome(status: .failed, key: "k0", error: "refused")))
        #expect(settled.keys.sorted() == [0, 2])
        #expect(settled[2]?.status == .skipped && settled[2]?.error == "upstream \(chain.graph.jobs[0].id) failed")
        #expect(!chain.scheduler.isSettled(1) && !chain.scheduler.isSettled(3))
    }

    @Test func aProviderThatRefusesFurtherWorkStopsOnlyItsLane() throws {
        let graph = try Self.graph(models: #"["a:m", "b:m"]"#, variants: 2)
        var scheduler = RunScheduler(plan: Self.plan(graph), laneNames: ["a", "b"], limits: RunLimits(concurrency: 1))
        _ = scheduler.start()
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 1 }, stopRequested: false)) == [0])
        var refusal = JobOutcome(status: .failed, key: "k0", error: "HTTP 402: no credit")
        refusal.stopsProvider = true
        _ = scheduler.jobFinished(0, refusal)
        let next = Self.starts(scheduler.fill(laneLimit: { _ in 1 }, stopRequested: false))
        #expect(next.map { graph.jobs[$0].provider } == ["b"])
        #expect(scheduler.unsettledOutcome(1, reason: "x").error == "not submitted: provider a stopped after: HTTP 402: no credit")
    }

    @Test func jobsOfAProviderWithoutALaneFailAtTheStart() throws {
        var scheduler = RunScheduler(plan: Self.plan(try Self.graph()), laneNames: [], limits: RunLimits(concurrency: 1))
        let settled = Self.settled(scheduler.start())
        #expect(settled[0]?.status == .failed && settled[0]?.error == "no provider \"a\" is configured")
    }

    @Test func cachedJobsSettleAtTheStartAndCountNothing() throws {
        let graph = try Self.graph(variants: 2)
        let plan = Self.plan(graph, states: [0: .cached(key: "k0", entry: Self.entry("k0"))])
        var scheduler = RunScheduler(plan: plan, laneNames: ["a"], limits: RunLimits(concurrency: 4, maxCost: 1))
        #expect(Self.settled(scheduler.start())[0]?.status == .cached)
        #expect(Self.starts(scheduler.fill(laneLimit: { _ in 4 }, stopRequested: false)) == [1])
        #expect(scheduler.spent == 0)
    }
}
