import Foundation

/// The rate at which one provider's creates are sent, as pure data (time is an argument): AWS SDKs'
/// adaptive retry mode, a CUBIC-style client rate limiter, with `CongestionTest` deciding which 429s count.
///
/// Open (no limit) until a 429 counts as congestion. Then `W_max` is the rate the provider accepted
/// over the last second (the height of its wall; AWS measures the rate sent, which overshoots it),
/// the send rate drops to `β · W_max` and grows back along TCP CUBIC's curve,
/// `rate(t) = C · (t − K)³ + W_max` with `K = ∛(W_max · (1 − β) / C)`: quickly at first, flat near
/// `W_max`, then faster and faster past it, so a limit that was raised is found again. Never below `floor`.
/// Sends are spaced `1 / rate` apart (a bucket holding one token, so a provider's sliding window sees
/// no bursts). The `Retry-After` of a dense 429 (a storm) holds every create until it has passed; the
/// 429 that shows an overshoot only cuts. Only requests sent after the last cut can cause the next one
/// (TCP's one decrease per round trip).
///
/// | seconds after a cut (W_max 40/s) | 0 | 1 | 2 | 2.71 (K) | 4 | 5 |
/// |---|---|---|---|---|---|---|
/// | rate, requests/s | 32 | 38 | 39.85 | 40 | 40.85 | 44.78 |
package struct SendRateLimiter: Sendable, Equatable {
    package struct Settings: Sendable, Equatable {
        /// The multiplicative decrease: 0.8, not CUBIC's and AWS's 0.7, as `W_max` is what the provider
        /// accepted (its wall), not the rate sent past it.
        package var beta = 0.8
        /// CUBIC's scale constant (requests/s per s³).
        package var scale = 0.4
        /// Lowest rate, requests/s.
        package var floor = 0.5

        package static let standard = Settings()
    }

    /// A booked send time. It stands unless a cut moved the schedule before it came (`isCurrent`).
    package struct Reservation: Sendable, Equatable {
        package var sendAt: Double
        fileprivate var epoch: Int
    }

    package let settings: Settings
    package private(set) var test: CongestionTest
    /// `W_max`: the rate measured at the last cut; `nil` while open.
    package private(set) var maximumRate: Double?
    private var cutAt = -Double.infinity
    private var cubicK = 0.0
    private var nextSend = -Double.infinity
    private var pausedUntil = -Double.infinity
    private var firstSend: Double?
    private var accepts = RateMeter()
    /// Cuts so far; a reservation from an earlier epoch is booked again.
    package private(set) var cuts = 0

    package init(settings: Settings = .standard, test: CongestionTest.Settings = .standard) {
        self.settings = settings
        self.test = CongestionTest(settings: test)
    }

    /// Creates per second allowed at `time`; infinite while open.
    package func rate(at time: Double) -> Double {
        guard let maximumRate else { return .infinity }
        let since = time - cutAt - cubicK
        return max(settings.floor, settings.scale * since * since * since + maximumRate)
    }

    /// Whether the rate is still growing back to where the last cut found it.
    package func isRecovering(at time: Double) -> Bool { maximumRate != nil && time - cutAt < cubicK }

    /// Books the next send: now, or when the pause and the spacing allow.
    package mutating func reserve(at now: Double) -> Reservation {
        if firstSend == nil { firstSend = now }
        var sendAt = max(now, pausedUntil)
        if maximumRate != nil {
            sendAt = max(sendAt, nextSend)
            nextSend = sendAt + 1 / rate(at: sendAt)
        }
        return Reservation(sendAt: sendAt, epoch: cuts)
    }

    /// False when a cut came after the reservation was booked: it must be booked again.
    package func isCurrent(_ reservation: Reservation) -> Bool { reservation.epoch == cuts }

    /// The answer to a create sent at `sentAt`: accepted, or a retryable 429 (with its `Retry-After`).
    /// Returns true when it counted as congestion and cut the rate.
    @discardableResult
    package mutating func answered(sentAt: Double, limited: Bool, retryAfter: Double?, at now: Double) -> Bool {
        if !limited { accepts.record(at: now) }
        guard sentAt >= cutAt else { return false }
        let probing = maximumRate != nil && !isRecovering(at: sentAt)
        let verdict = test.record(limited: limited, mayJudgeExcess: probing, learnsBackground: !probing)
        guard verdict != .noise else { return false }
        // Only a storm's Retry-After holds every create: an overshoot is trimmed by the cut alone.
        cut(at: now, pausingFor: verdict == .dense ? retryAfter : nil)
        return true
    }

    /// Multiplicative decrease from the rate the provider accepted over the last second (at the start
    /// of a run: over the time since the first send plus the `Retry-After`), or from the current rate
    /// when that is lower.
    private mutating func cut(at now: Double, pausingFor retryAfter: Double?) {
        let recent = accepts.recent(at: now)
        let sinceFirst = now - (firstSend ?? now)
        // Early in a run the meter holds every accept so far, and the provider takes no more until the Retry-After.
        let span = sinceFirst < recent.seconds ? sinceFirst + max(0, retryAfter ?? 0) : recent.seconds
        let measured = Double(recent.count) / max(span, 0.001)
        let current = rate(at: now)
        maximumRate = max(settings.floor, min(measured, current))
        cubicK = cbrt((maximumRate ?? 0) * (1 - settings.beta) / settings.scale)
        cutAt = now
        nextSend = now
        if let retryAfter, retryAfter > 0 { pausedUntil = max(pausedUntil, now + retryAfter) }
        cuts += 1
        test.restart()
    }
}
