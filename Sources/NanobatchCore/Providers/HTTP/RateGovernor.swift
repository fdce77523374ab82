import Foundation

/// One provider's rate control, shared by its client and the runner. The client asks for each
/// request's turn (the requests-per-minute bucket; for creates also the `SendRateLimiter`), reports
/// what each create got back, and waits out a create's 429 through `waitingOutRateLimit`. The runner
/// reads `currentLimit`: the adaptive concurrency (`AdaptiveLimit`, cut with the rate) plus the jobs
/// that are waiting out a 429, which free their slot meanwhile.
///
/// Only creates feed the limiter: a 429 on a poll or a download delays that request alone.
package final class RateGovernor: Sendable {
    private struct State {
        var limiter: SendRateLimiter
        var concurrency: AdaptiveLimit
        var bucket: TokenBucket?
        var waiting = 0
        /// Jobs waiting in a provider-side batch (no cap: a batch holds thousands).
        var parked = 0
    }

    /// A request's turn: when it went out, and whether it is a create (which the limiter hears about).
    package struct Turn: Sendable {
        package var sentAt: Double
        package var isCreate: Bool
    }

    private let state: Locked<State>
    private let slotFreed = Locked<(@Sendable () -> Void)?>(nil)
    private let clock: @Sendable () -> Double
    /// Set when the provider refuses further work; the client checks it before each create.
    package let stop = ProviderStop()

    package init(
        concurrency: Int, requestsPerMinute: Double?, limiter: SendRateLimiter = SendRateLimiter(),
        clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.clock = clock
        state = Locked(
            State(
                limiter: limiter, concurrency: AdaptiveLimit(maximum: concurrency),
                bucket: requestsPerMinute.map { TokenBucket(ratePerMinute: $0, now: clock()) }))
    }

    /// Jobs this lane may have in flight now: the adaptive limit, plus the jobs waiting out a 429
    /// (at most `waitingJobsPerSlot` × the configured concurrency of them).
    package var currentLimit: Int {
        state.withLock { $0.concurrency.current + min($0.waiting, waitingAllowance($0)) + $0.parked }
    }
    /// Jobs in flight that hold no slot: waiting out a 429, or waiting in a provider-side batch.
    package var jobsWaitingOutRateLimit: Int { state.withLock { min($0.waiting, waitingAllowance($0)) + $0.parked } }
    /// Jobs waiting out a 429 that hold no slot, per slot of the configured concurrency (a bound on the
    /// jobs in play when many wait at once).
    package static let waitingJobsPerSlot = 4
    private func waitingAllowance(_ state: State) -> Int { Self.waitingJobsPerSlot * state.concurrency.maximum }
    /// How many times a 429 counted as congestion and cut the rate and the concurrency in this run.
    package var cutCount: Int { state.withLock { $0.limiter.cuts } }

    /// Called whenever a job starts waiting out a 429, so the runner can fill its slot.
    package func onSlotFreed(_ action: (@Sendable () -> Void)?) { slotFreed.withLock { $0 = action } }

    /// Waits for this request's turn. Returns nil, without waiting, when the turn would come after
    /// `secondsLeft` (the job's deadline).
    package func awaitTurn(
        create: Bool, secondsLeft: () -> Double, sleep: (Duration) async throws -> Void
    ) async throws -> Turn? {
        let start = clock()
        let bucketWait = state.withLock { $0.bucket?.reserve(at: start) ?? 0 }
        if bucketWait > 0 {
            guard bucketWait < secondsLeft() else { return nil }
            try await sleep(.seconds(bucketWait))
        }
        guard create else { return Turn(sentAt: clock(), isCreate: false) }
        while true {
            let now = clock()
            let reservation = state.withLock { $0.limiter.reserve(at: now) }
            let wait = reservation.sendAt - now
            if wait <= 0 { return Turn(sentAt: reservation.sendAt, isCreate: true) }
            guard wait < secondsLeft() else { return nil }
            try await sleep(.seconds(wait))
            // A cut while waiting moved the schedule: book again under it.
            if state.withLock({ $0.limiter.isCurrent(reservation) }) { return Turn(sentAt: reservation.sendAt, isCreate: true) }
        }
    }

    /// What a create got back: accepted, or a retryable 429 with its `Retry-After`.
    package func answered(_ turn: Turn, limited: Bool, retryAfter: Double? = nil) {
        guard turn.isCreate else { return }
        let now = clock()
        state.withLock {
            if $0.limiter.answered(sentAt: turn.sentAt, limited: limited, retryAfter: retryAfter, at: now) {
                $0.concurrency.cut()
            } else if !limited {
                $0.concurrency.succeeded()
            }
        }
    }

    /// Runs `wait` (a job sleeping before it sends its create again after a 429) without holding
    /// the job's slot: the runner may start another job meanwhile.
    package func waitingOutRateLimit(_ wait: () async throws -> Void) async throws {
        state.withLock { $0.waiting += 1 }
        defer { state.withLock { $0.waiting -= 1 } }
        slotFreed.withLock { $0 }?()
        try await wait()
    }

    /// Runs `wait` (a job handed to a provider-side batch, waiting for its result) without holding
    /// the job's slot, so the runner keeps starting jobs that join the batch.
    package func waitingInBatch<Result: Sendable>(_ wait: () async throws -> Result) async throws -> Result {
        state.withLock { $0.parked += 1 }
        defer { state.withLock { $0.parked -= 1 } }
        slotFreed.withLock { $0 }?()
        return try await wait()
    }
}
