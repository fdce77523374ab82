import Foundation
import Testing

@testable import NanobatchCore

/// The budget's rules in the scheduler (`BudgetPolicy`): reservations before a job starts, what a
/// job counts at when its provider answers, and which reported costs are believed. No I/O.
@Suite(.timeLimit(.minutes(1))) struct RunSchedulerBudgetTests {
    typealias S = RunSchedulerTests

    static func scheduler(_ graph: JobGraph, concurrency: Int, maxCost: Double?, lanes: [String] = ["a"]) -> RunScheduler {
        var scheduler = RunScheduler(plan: S.plan(graph), laneNames: lanes, limits: RunLimits(concurrency: concurrency, maxCost: maxCost))
        _ = scheduler.start()
        return scheduler
    }

    static func fill(_ scheduler: inout RunScheduler) -> [RunScheduler.Action] {
        scheduler.fill(laneLimit: { _ in 8 }, stopRequested: false)
    }

    static func failed(_ key: String, attempts: Int, unknown: Bool = false) -> JobOutcome {
        var outcome = JobOutcome(status: .failed, key: key, error: "HTTP 500")
        outcome.attempts = attempts
        outcome.outcomeUnknown = unknown
        return outcome
    }

    @Test func aJobThatWouldFitOnceJobsInFlightAreCountedWaitsAndOneThatCannotIsSkipped() throws {
        let graph = try S.graph(variants: 4, pricing: #"{ "a:m": 0.10 }"#)
        var scheduler = Self.scheduler(graph, concurrency: 4, maxCost: 0.25)
        // $0.10 + $0.10 reserved; a third would make $0.30.
        #expect(S.starts(Self.fill(&scheduler)) == [0, 1])
        #expect(abs(scheduler.inFlightReserved - 0.20) < 1e-9)
        // Job 0 cost more than its price: $0.12 spent + $0.10 in flight + $0.10 is still too much, but may fit later.
        scheduler.providerAnswered(0, S.made("k0", cost: 0.12))
        #expect(abs(scheduler.spent - 0.12) < 1e-9 && abs(scheduler.inFlightReserved - 0.10) < 1e-9)
        #expect(Self.fill(&scheduler).isEmpty)
        // Job 1 cost $0.05: $0.17 + $0.10 exceeds $0.25 with nothing in flight, so nothing more can fit.
        scheduler.providerAnswered(1, S.made("k1", cost: 0.05))
        let settled = S.settled(Self.fill(&scheduler))
        #expect(settled.keys.sorted() == [2, 3] && settled.values.allSatisfy(\.skippedForBudget))
        #expect(settled[2]?.error == "skipped for budget: spent $0.17 + this job's reservation $0.10 would exceed $0.25")
    }

    @Test func aJobsCostCountsWhenItsProviderAnswersNotWhenItsImageIsStored() throws {
        let graph = try S.graph(variants: 3, pricing: #"{ "a:m": 0.10 }"#)
        var scheduler = Self.scheduler(graph, concurrency: 1, maxCost: 0.30)
        #expect(S.starts(Self.fill(&scheduler)) == [0])
        scheduler.providerAnswered(0, S.made("k0", cost: 0.15))
        // Job 0's image is still being stored; its cost already counts: $0.15 + $0.10 fits, the third will not.
        #expect(S.starts(Self.fill(&scheduler)) == [1])
        scheduler.providerAnswered(1, S.made("k1", cost: 0.15))
        #expect(S.settled(Self.fill(&scheduler))[2]?.skippedForBudget == true)
        let finished = S.settled(scheduler.jobFinished(0, S.made("k0", cost: 0.15)))
        #expect(finished[0]?.countedCost == 0.15 && finished[0]?.actualCost == 0.15)
        #expect(abs(scheduler.spent - 0.30) < 1e-9)
    }

    @Test func tokenPricedJobsReserveTheirPriceTimesTheSafetyFactor() throws {
        let graph = try S.graph(
            models: #"["g:gemini-3-pro-image"]"#, variants: 4,
            providers: #"{ "g": { "dialect": "gemini", "apiKeyEnv": "K" } }"#)
        let prices = BudgetPolicy.standard.prices(for: graph.jobs[0])
        #expect(graph.jobs[0].unitPrice == 0.134)
        #expect(abs(prices.reservation - 0.201) < 1e-9)
        #expect(prices.bound.map { abs($0 - 2.40) < 1e-9 } == true, "10 × the 4K price")
        var scheduler = Self.scheduler(graph, concurrency: 4, maxCost: 0.536, lanes: ["g"])
        #expect(S.starts(Self.fill(&scheduler)) == [0, 1])
        // A fixed-price job reserves its price.
        let fixed = try S.graph(pricing: #"{ "a:m": 0.134 }"#)
        #expect(BudgetPolicy.standard.prices(for: fixed.jobs[0]).reservation == 0.134)
    }

    @Test(arguments: [5.0, -0.5, .infinity, .nan])
    func anImplausibleReportedCostIsRejectedAndCountedAtTheReservation(reported: Double) throws {
        let graph = try S.graph(variants: 2, pricing: #"{ "a:m": 0.10 }"#)
        var scheduler = Self.scheduler(graph, concurrency: 1, maxCost: nil)
        _ = Self.fill(&scheduler)
        let outcome = try #require(S.settled(scheduler.jobFinished(0, S.made("k0", cost: reported)))[0])
        #expect(outcome.status == .made && outcome.actualCost == nil && outcome.countedCost == 0.10)
        #expect(outcome.notes.count == 1 && outcome.notes[0].hasPrefix("reported cost "))
        #expect(
            outcome.notes[0].hasSuffix(
                "rejected (\(reported.isNaN || reported.isInfinite ? "not a finite amount" : reported < 0 ? "negative" : "above $1.00, 10× the most one image of this model should cost")); counted at its reservation $0.10"
            ))
        #expect(scheduler.spent == 0.10)
    }

    @Test func aCostWithinTheBoundIsBelievedEvenAboveTheReservation() throws {
        var scheduler = Self.scheduler(try S.graph(pricing: #"{ "a:m": 0.10 }"#), concurrency: 1, maxCost: nil)
        _ = Self.fill(&scheduler)
        let outcome = try #require(S.settled(scheduler.jobFinished(0, S.made("k0", cost: 0.90)))[0])
        #expect(outcome.actualCost == 0.90 && outcome.countedCost == 0.90 && outcome.notes.isEmpty)
    }

    @Test func aFailedJobCountsAtItsReservationWhenItMayHaveBeenBilled() throws {
        let graph = try S.graph(variants: 3, pricing: #"{ "a:m": 0.10 }"#)
        var scheduler = Self.scheduler(graph, concurrency: 3, maxCost: nil)
        _ = Self.fill(&scheduler)
        let never = S.settled(scheduler.jobFinished(0, Self.failed("k0", attempts: 0)))[0]
        let reached = S.settled(scheduler.jobFinished(1, Self.failed("k1", attempts: 2)))[1]
        let unknown = S.settled(scheduler.jobFinished(2, Self.failed("k2", attempts: 0, unknown: true)))[2]
        #expect(never?.countedCost == 0 && reached?.countedCost == 0.10 && unknown?.countedCost == 0.10)
        #expect(abs(scheduler.spent - 0.20) < 1e-9)
    }

    /// Many jobs whose costs vary up to their reservation, answered in a scrambled order: the spend
    /// never passes the budget, and the jobs that fit are made.
    @Test func spendNeverPassesTheBudgetWhileCostsStayWithinTheirReservations() throws {
        let graph = try S.graph(models: #"["a:m", "b:m"]"#, variants: 40, pricing: #"{ "a:m": 0.10, "b:m": 0.04 }"#)
        var scheduler = Self.scheduler(graph, concurrency: 6, maxCost: 2.5, lanes: ["a", "b"])
        var inFlight = S.starts(Self.fill(&scheduler))
        var step = 0
        while !inFlight.isEmpty {
            step += 1
            let index = inFlight.remove(at: (step * 7) % inFlight.count)
            let price = graph.jobs[index].unitPrice ?? 0
            scheduler.providerAnswered(index, S.made("k\(index)", cost: price * Double(step % 5 + 6) / 10))
            #expect(scheduler.spent <= 2.5 + 1e-9)
            _ = scheduler.jobFinished(index, S.made("k\(index)"))
            inFlight += S.starts(Self.fill(&scheduler))
        }
        #expect(scheduler.spent > 2.5 - 0.10, "the budget is used up to the last job that fits")
        #expect((0..<graph.jobs.count).allSatisfy(scheduler.isSettled))
    }
}
