import Foundation

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
