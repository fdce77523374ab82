import Foundation

/// Adaptive concurrency for one provider, as pure data: a 429 halves the limit (once per
/// `cooldown`, so one burst of 429s counts once), and every `limit` successes in a row add one
/// slot back, up to the configured limit (additive increase, multiplicative decrease).
package struct AdaptiveLimit: Sendable, Equatable {
    package let maximum: Int
    package private(set) var current: Int
    package var cooldown: Double
    private var successesSinceChange = 0
    private var lastCut: Double = -.infinity

    package init(maximum: Int, cooldown: Double = 2) {
        self.maximum = max(1, maximum)
        self.current = max(1, maximum)
        self.cooldown = cooldown
    }

    /// Returns true when the limit was cut.
    @discardableResult
    package mutating func rateLimited(at time: Double) -> Bool {
        guard time - lastCut >= cooldown else { return false }
        lastCut = time
        current = max(1, current / 2)
        successesSinceChange = 0
        return true
    }

    package mutating func succeeded() {
        guard current < maximum else { return }
        successesSinceChange += 1
        if successesSinceChange >= current {
            current += 1
            successesSinceChange = 0
        }
    }
}

/// A token bucket: `ratePerMinute` tokens a minute, holding at most `burst`.
/// `reserve` takes a token now or books the next one and says how long to wait for it.
package struct TokenBucket: Sendable, Equatable {
    package let ratePerSecond: Double
    package let burst: Double
    private var tokens: Double
    private var updated: Double

    package init(ratePerMinute: Double, burst: Double? = nil, now: Double) {
        ratePerSecond = max(ratePerMinute, 0.001) / 60
        self.burst = max(1, burst ?? min(ratePerMinute, 10).rounded(.down))
        tokens = self.burst
        updated = now
    }

    /// Seconds to wait before sending; the token is taken (possibly on credit) either way.
    package mutating func reserve(at now: Double) -> Double {
        if now > updated {
            tokens = min(burst, tokens + (now - updated) * ratePerSecond)
            updated = now
        }
        tokens -= 1
        return tokens >= 0 ? 0 : -tokens / ratePerSecond
    }
}

/// Shared per provider by its client (which reports 429s and successes and waits for tokens) and
/// the runner (which reads the current limit before starting a job).
package final class RateGovernor: Sendable {
    private struct State {
        var limit: AdaptiveLimit
        var bucket: TokenBucket?
        var cuts = 0
    }

    private let state: Locked<State>
    private let clock: @Sendable () -> Double
    /// Set when the provider refuses further work; the client checks it before each create.
    package let stop = ProviderStop()

    package init(
        concurrency: Int, requestsPerMinute: Double?,
        clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.clock = clock
        state = Locked(
            State(
                limit: AdaptiveLimit(maximum: concurrency), bucket: requestsPerMinute.map { TokenBucket(ratePerMinute: $0, now: clock()) }))
    }

    package var currentLimit: Int { state.withLock { $0.limit.current } }
    /// How many times a 429 cut the limit in this run.
    package var cutCount: Int { state.withLock { $0.cuts } }

    package func rateLimited() {
        let now = clock()
        state.withLock { if $0.limit.rateLimited(at: now) { $0.cuts += 1 } }
    }

    package func succeeded() { state.withLock { $0.limit.succeeded() } }

    /// Seconds to wait before the next request to this provider (0 without a requests-per-minute limit).
    package func reserveRequest() -> Double {
        let now = clock()
        return state.withLock { $0.bucket?.reserve(at: now) ?? 0 }
    }
}
