import Foundation

/// Adaptive concurrency for one provider, as pure data: TCP's AIMD per round trip. A cut halves the
/// limit (the caller cuts at most once per round trip: only for requests sent after the last cut), and
/// every `current` successes in a row add one slot back, up to the configured limit.
package struct AdaptiveLimit: Sendable, Equatable {
    package let maximum: Int
    package private(set) var current: Int
    private var successesSinceChange = 0

    package init(maximum: Int) {
        self.maximum = max(1, maximum)
        self.current = max(1, maximum)
    }

    /// Multiplicative decrease, never below one.
    package mutating func cut() {
        current = max(1, current / 2)
        successesSinceChange = 0
    }

    /// Additive increase: one slot per round trip of successes.
    package mutating func succeeded() {
        guard current < maximum else { return }
        successesSinceChange += 1
        if successesSinceChange >= current {
            current += 1
            successesSinceChange = 0
        }
    }
}
