import Foundation

/// The run stage's scheduling rules as a pure state machine: events in, actions out.
///
/// Events: `start()`, `fill(...)` (slots may be free: the lanes' current limits, the jobs waiting out a
/// rate limit and whether a stop was requested come in as arguments), `providerAnswered(_:)`, `jobFinished(_:_:)` and
/// `keyLookedUp(_:key:entry:)`. Actions: start a job on its lane, settle a job with an outcome, or
/// look up the key of a chained job whose upstream is now made. It reads no clock and does no I/O;
/// `Runner` performs its actions, so every rule here is tested with plain values.
///
/// The rules: at most `limits.concurrency` jobs in flight and each lane's current limit; lanes are served
/// in the order they first got work; a job starts only after its upstream is made; a failure skips
/// only its dependents; identical requests are made once (`RequestOwners`); no job starts when
/// spent plus in-flight estimates plus its own would exceed the budget; a lane whose provider
/// refused further work starts nothing more.
struct RunScheduler {
    enum Action {
        case start(JobStart)
        case settle(index: Int, JobOutcome)
        /// Look the key up in the store and report back with `keyLookedUp`.
        case lookUp(index: Int, key: String)
    }

    /// A job to send: its lane, its key, and its upstream's image (chained steps).
    struct JobStart: Equatable {
        var index: Int
        var lane: Int
        var key: String
        var upstream: StoreEntry?
    }

    private let plan: EvaluatedPlan
    /// `laneOfJob[i]`: the lane of job `i`'s provider, `nil` when no lane serves it.
    private let laneOfJob: [Int?]
    private let laneNames: [String]
    private let limits: RunLimits

    private var keys: [String?]
    private var outcomes: [JobOutcome?]
    private var owners: RequestOwners
    /// Jobs waiting for an identical request (by its owner's index).
    private var waiters: [Int: [Int]] = [:]
    private var queues: [[Int]]
    private var queueHeads: [Int]
    /// Lanes in the order they first got work.
    private var laneOrder: [Int] = []
    private var running: [Int]
    private var inFlight = 0
    /// Jobs started and not yet answered.
    private var awaitingAnswer = Set<Int>()
    /// Lanes whose provider refused further work, with the reason.
    private var stoppedLanes: [Int: String] = [:]
    /// USD: made jobs at their actual (or estimated) cost.
    private(set) var spent = 0.0
    /// USD: the estimates of jobs in flight.
    private(set) var inFlightEstimate = 0.0

    init(plan: EvaluatedPlan, laneNames: [String], limits: RunLimits) {
        self.plan = plan
        self.laneNames = laneNames
        self.limits = limits
        let laneIndex = Dictionary(laneNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        laneOfJob = plan.graph.jobs.map { laneIndex[$0.provider] }
        keys = plan.states.map(\.key)
        outcomes = Array(repeating: nil, count: plan.graph.jobs.count)
        owners = RequestOwners()
        queues = Array(repeating: [], count: laneNames.count)
        queueHeads = Array(repeating: 0, count: laneNames.count)
        running = Array(repeating: 0, count: laneNames.count)
    }

    /// Whether `index` has its outcome.
    func isSettled(_ index: Int) -> Bool { outcomes[index] != nil }

    /// Jobs in flight (sent to a provider and not yet answered).
    var jobsInFlight: Int { inFlight }

    // MARK: Events

    /// Settles cached jobs and queues the jobs to make, in job order.
    mutating func start() -> [Action] {
        var actions: [Action] = []
        for (index, state) in plan.states.enumerated() {
            switch state {
            case .cached(let key, let entry):
                if outcomes[index] == nil { settle(index, JobOutcome(status: .cached, key: key, entry: entry), into: &actions) }
            case .toMake(let key):
                _ = owners.claim(key, by: index)
                enqueue(index, into: &actions)
            case .duplicate(_, let first):
                wait(index, on: first, into: &actions)
            case .blocked:
                break
            }
        }
        return actions
    }

    /// Starts queued jobs while slots are free. `laneLimit(l)` is lane `l`'s current limit; `waitingJobs`
    /// of the jobs in flight are waiting out a rate limit and hold no slot of the run's concurrency.
    mutating func fill(laneLimit: (Int) -> Int, waitingJobs: Int = 0, stopRequested: Bool) -> [Action] {
        var actions: [Action] = []
        while inFlight - max(0, waitingJobs) < limits.concurrency, !stopRequested, let index = nextReady(laneLimit) {
            let job = plan.graph.jobs[index]
            // Only jobs with a lane are queued, and only with their key.
            guard let lane = laneOfJob[index], let key = keys[index] else {
                preconditionFailure("job \(index) queued without a lane or key")
            }
            let estimate = job.unitPrice ?? 0
            if let budget = limits.maxCost, spent + inFlightEstimate + estimate > budget + 1e-9 {
                let error =
                    "skipped for budget: spent \(Money.format(spent)) + in flight \(Money.format(inFlightEstimate))"
                    + " + this job \(Money.format(estimate)) would exceed \(Money.format(budget))"
                settle(index, JobOutcome(status: .skipped, key: key, error: error, skippedForBudget: true), into: &actions)
                continue
            }
            inFlightEstimate += estimate
            running[lane] += 1
            inFlight += 1
            awaitingAnswer.insert(index)
            actions.append(.start(JobStart(index: index, lane: lane, key: key, upstream: job.upstream.flatMap { outcomes[$0]?.entry })))
        }
        return actions
    }

    /// The provider's part of a job is over: its slot is free (its image may still be being stored).
    mutating func providerAnswered(_ index: Int) {
        guard let lane = laneOfJob[index], awaitingAnswer.remove(index) != nil else {
            preconditionFailure("job \(index) answered without being started, or twice")
        }
        inFlight -= 1
        running[lane] -= 1
    }

    /// A started job is over.
    mutating func jobFinished(_ index: Int, _ outcome: JobOutcome) -> [Action] {
        inFlightEstimate = max(0, inFlightEstimate - (plan.graph.jobs[index].unitPrice ?? 0))
        var actions: [Action] = []
        settle(index, outcome, into: &actions)
        return actions
    }

    /// The store's answer for a chained job's key.
    mutating func keyLookedUp(_ index: Int, key: String, entry: StoreEntry?) -> [Action] {
        precondition(outcomes[index] == nil && keys[index] == nil, "job \(index) looked up twice")
        var actions: [Action] = []
        keys[index] = key
        if let entry {
            settle(index, JobOutcome(status: .cached, key: key, entry: entry), into: &actions)
        } else if let first = owners.claim(key, by: index) {
            wait(index, on: first, into: &actions)
        } else {
            enqueue(index, into: &actions)
        }
        return actions
    }

    /// The outcome of a job that never got one: not submitted, and why.
    func unsettledOutcome(_ index: Int, reason: String) -> JobOutcome {
        if let lane = laneOfJob[index], let refusal = stoppedLanes[lane] {
            return JobOutcome(
                status: .skipped, key: keys[index],
                error: "not submitted: provider \(laneNames[lane]) stopped after: \(refusal)")
        }
        return JobOutcome(status: .skipped, key: keys[index], error: "not submitted: \(reason)")
    }

    // MARK: Rules

    /// `index` asks for the same request as `owner`: it shares the owner's outcome, now if there is one.
    private mutating func wait(_ index: Int, on owner: Int, into actions: inout [Action]) {
        if let outcome = outcomes[owner] {
            settle(index, RunScheduler.shared(outcome, of: plan.graph.jobs[owner].id), into: &actions)
        } else {
            waiters[owner, default: []].append(index)
        }
    }

    private mutating func enqueue(_ index: Int, into actions: inout [Action]) {
        guard let lane = laneOfJob[index] else {
            let provider = plan.graph.jobs[index].provider
            settle(index, JobOutcome(status: .failed, error: "no provider \"\(provider)\" is configured"), into: &actions)
            return
        }
        if !laneOrder.contains(lane) { laneOrder.append(lane) }
        queues[lane].append(index)
    }

    private mutating func nextReady(_ laneLimit: (Int) -> Int) -> Int? {
        for lane in laneOrder where stoppedLanes[lane] == nil {
            guard running[lane] < laneLimit(lane), queueHeads[lane] < queues[lane].count else { continue }
            queueHeads[lane] += 1
            return queues[lane][queueHeads[lane] - 1]
        }
        return nil
    }

    /// Records an outcome, then settles what follows from it: identical requests share it, and
    /// chained jobs either get their key looked up or are skipped.
    private mutating func settle(_ index: Int, _ outcome: JobOutcome, into actions: inout [Action]) {
        let job = plan.graph.jobs[index]
        outcomes[index] = outcome
        actions.append(.settle(index: index, outcome))
        if outcome.status == .made {
            spent += outcome.costUnit == CostUnit.usd.rawValue ? (outcome.actualCost ?? job.unitPrice ?? 0) : (job.unitPrice ?? 0)
        }
        if outcome.stopsProvider, let lane = laneOfJob[index], stoppedLanes[lane] == nil {
            stoppedLanes[lane] = outcome.error ?? "refused"
        }
        for waiter in waiters.removeValue(forKey: index) ?? [] {
            settle(waiter, RunScheduler.shared(outcome, of: job.id), into: &actions)
        }
        // Only jobs the plan left blocked are resolved here; the others already have their state.
        for dependent in plan.graph.dependents[index] {
            guard case .blocked = plan.states[dependent] else { continue }
            guard outcome.succeeded, let entry = outcome.entry else {
                settle(dependent, JobOutcome(status: .skipped, error: "upstream \(job.id) \(outcome.status.rawValue)"), into: &actions)
                continue
            }
            actions.append(.lookUp(index: dependent, key: plan.key(for: plan.graph.jobs[dependent], upstreamOutputHash: entry.outputHash)))
        }
    }

    /// The outcome of a job that asked for the same request as `owner`.
    static func shared(_ outcome: JobOutcome, of owner: String) -> JobOutcome {
        if outcome.succeeded {
            return JobOutcome(status: .cached, key: outcome.key, entry: outcome.entry, notes: ["same request as \(owner)"])
        }
        return JobOutcome(
            status: outcome.status == .skipped ? .skipped : .failed, key: outcome.key,
            error: "same request as \(owner), which \(outcome.status.rawValue): \(outcome.error ?? "unknown error")",
            skippedForBudget: outcome.skippedForBudget)
    }
}
