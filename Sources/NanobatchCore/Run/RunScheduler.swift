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
/// only its dependents; identical requests are made once (`RequestOwners`); a lane whose provider
/// refused further work starts nothing more. The budget (`BudgetPolicy`): a job starts only if
/// spent plus the reservations in flight plus its own reservation stays within `maxCost`; one that
/// would fit once jobs in flight are counted waits, one that cannot fit any more is skipped. A job's
/// reservation is replaced by what it counts at the moment its provider answers. A provider with
/// `spendPerTenMinutes` starts a job only while its window has room (`SpendWindow`); `fill` then asks
/// to be called again when the window opens (`wake`), as it reads no clock of its own.
struct RunScheduler {
    enum Action {
        case start(JobStart)
        case settle(index: Int, JobOutcome)
        /// Look the key up in the store and report back with `keyLookedUp`.
        case lookUp(index: Int, key: String)
        /// Call `fill` again at this time (seconds, the clock `fill` is given): a spend window opens.
        case wake(at: Double)
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
    /// USD: answered jobs at what they count at (`BudgetPolicy.charge`).
    private(set) var spent = 0.0
    /// USD: the reservations of jobs in flight.
    private(set) var inFlightReserved = 0.0
    /// Jobs in flight: their prices as the budget sees them.
    private var reservations: [Int: BudgetPolicy.Prices] = [:]
    /// Answered jobs not yet finished: what they counted at.
    private var charges: [Int: BudgetPolicy.Charge] = [:]
    /// Per lane: its provider's `spendPerTenMinutes`, when it has one.
    private var windows: [SpendWindow?]

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
        windows = laneNames.map { name in
            limits.spendPerTenMinutes[name].map { SpendWindow(limit: $0, seconds: limits.budgetPolicy.spendWindowSeconds) }
        }
    }

    /// Whether `index` has its outcome.
    func isSettled(_ index: Int) -> Bool { outcomes[index] != nil }

    /// Jobs in flight (sent to a provider and not yet answered).
    var jobsInFlight: Int { inFlight }
    /// Whether a queued job could still start: a lane that is not stopped has one.
    var hasStartableJobs: Bool { queues.indices.contains { stoppedLanes[$0] == nil && queueHeads[$0] < queues[$0].count } }

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
    /// of the jobs in flight are waiting out a rate limit and hold no slot of the run's concurrency;
    /// `now` (seconds, any steady clock) places answered jobs' charges in their providers' spend windows.
    mutating func fill(laneLimit: (Int) -> Int, waitingJobs: Int = 0, stopRequested: Bool, now: Double = 0) -> [Action] {
        var actions: [Action] = []
        // Lanes whose next job waits until jobs in flight are counted or a spend window opens.
        var waiting = Set<Int>()
        var wake: Double?
        for lane in windows.indices { windows[lane]?.advance(to: now) }
        while inFlight - max(0, waitingJobs) < limits.concurrency, !stopRequested,
            let next = nextReady(laneLimit, passing: waiting)
        {
            let (lane, index) = (next.lane, next.index)
            let job = plan.graph.jobs[index]
            // Only jobs with a lane are queued, and only with their key.
            guard let key = keys[index] else { preconditionFailure("job \(index) queued without a key") }
            let prices = limits.budgetPolicy.prices(for: job)
            if let budget = limits.maxCost, spent + inFlightReserved + prices.reservation > budget + 1e-9 {
                guard spent + prices.reservation > budget + 1e-9 else {
                    waiting.insert(lane)
                    continue
                }
                queueHeads[lane] += 1
                let error =
                    "skipped for budget: spent \(Money.format(spent)) + this job's reservation"
                    + " \(Money.format(prices.reservation)) would exceed \(Money.format(budget))"
                settle(index, JobOutcome(status: .skipped, key: key, error: error, skippedForBudget: true), into: &actions)
                continue
            }
            switch windows[lane]?.fit(prices.reservation) ?? .now {
            case .now:
                break
            case .wait(let until):
                waiting.insert(lane)
                if let until { wake = min(wake ?? until, until) }
                continue
            case .never:
                queueHeads[lane] += 1
                let error =
                    "not submitted: its reservation \(Money.format(prices.reservation)) is more than"
                    + " providers.\(laneNames[lane]).spendPerTenMinutes (\(Money.format(windows[lane]?.limit ?? 0)))"
                settle(index, JobOutcome(status: .skipped, key: key, error: error, skippedForBudget: true), into: &actions)
                continue
            }
            windows[lane]?.started(reserving: prices.reservation)
            queueHeads[lane] += 1
            reservations[index] = prices
            inFlightReserved += prices.reservation
            running[lane] += 1
            inFlight += 1
            awaitingAnswer.insert(index)
            actions.append(.start(JobStart(index: index, lane: lane, key: key, upstream: job.upstream.flatMap { outcomes[$0]?.entry })))
        }
        if let wake { actions.append(.wake(at: wake)) }
        return actions
    }

    /// The provider's part of a job is over (`answer` as it said, before the image is stored): its
    /// slot is free, and its reservation is replaced by what it counts at.
    mutating func providerAnswered(_ index: Int, _ answer: JobOutcome) {
        guard let lane = laneOfJob[index], awaitingAnswer.remove(index) != nil, let prices = reservations.removeValue(forKey: index)
        else {
            preconditionFailure("job \(index) answered without being started, or twice")
        }
        inFlight -= 1
        running[lane] -= 1
        let charge = limits.budgetPolicy.charge(for: answer, prices: prices)
        inFlightReserved = reservations.isEmpty ? 0 : max(0, inFlightReserved - prices.reservation)
        spent += charge.amount
        charges[index] = charge
        windows[lane]?.answered(reserved: prices.reservation, charged: charge.amount)
    }

    /// A started job is over. Its outcome carries what it counted at; a rejected cost figure is
    /// removed and explained in a note.
    mutating func jobFinished(_ index: Int, _ outcome: JobOutcome) -> [Action] {
        if awaitingAnswer.contains(index) { providerAnswered(index, outcome) }
        var outcome = outcome
        if let charge = charges.removeValue(forKey: index) {
            outcome.countedCost = charge.amount
            if let rejection = charge.rejection {
                outcome.actualCost = nil
                outcome.notes.append(rejection)
            }
        }
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

    /// The next job a lane may start (not yet taken from its queue), passing over `waiting` lanes.
    private func nextReady(_ laneLimit: (Int) -> Int, passing waiting: Set<Int>) -> (lane: Int, index: Int)? {
        for lane in laneOrder where stoppedLanes[lane] == nil && !waiting.contains(lane) {
            guard running[lane] < laneLimit(lane), queueHeads[lane] < queues[lane].count else { continue }
            return (lane, queues[lane][queueHeads[lane]])
        }
        return nil
    }

    /// Records an outcome, then settles what follows from it: identical requests share it, and
    /// chained jobs either get their key looked up or are skipped.
    private mutating func settle(_ index: Int, _ outcome: JobOutcome, into actions: inout [Action]) {
        let job = plan.graph.jobs[index]
        outcomes[index] = outcome
        actions.append(.settle(index: index, outcome))
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
                let waits = outcome.status == .pending
                settle(
                    dependent,
                    JobOutcome(
                        status: waits ? .pending : .skipped,
                        error: waits ? nil : "upstream \(job.id) \(outcome.status.rawValue)",
                        notes: waits ? ["waits for \(job.id), pending in a batch"] : []),
                    into: &actions)
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
        if outcome.status == .pending {
            var shared = JobOutcome(status: .pending, key: outcome.key, notes: ["same request as \(owner), pending in a batch"])
            shared.batch = outcome.batch
            return shared
        }
        return JobOutcome(
            status: outcome.status == .skipped ? .skipped : .failed, key: outcome.key,
            error: "same request as \(owner), which \(outcome.status.rawValue): \(outcome.error ?? "unknown error")",
            skippedForBudget: outcome.skippedForBudget)
    }
}
