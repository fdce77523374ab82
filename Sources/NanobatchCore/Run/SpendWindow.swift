import Foundation

/// One provider's `spendPerTenMinutes`, as pure data: what its jobs reserved and were charged in a
/// rolling window. Jobs in flight count at their reservation for as long as they run; an answered
/// job counts at its charge from the first `fill` after its answer until the window has passed
/// (later than the provider billed it, so never too little). `RunScheduler` asks before each start.
struct SpendWindow {
    /// USD allowed within any `seconds`.
    let limit: Double
    let seconds: Double
    private var reserved = 0.0
    /// Charges of answered jobs with the time they were first seen, oldest first.
    private var charges: [(time: Double, amount: Double)] = []
    /// Charges answered since the last `advance(to:)`, not yet given a time.
    private var unstamped: [Double] = []

    init(limit: Double, seconds: Double) {
        self.limit = limit
        self.seconds = seconds
    }

    enum Fit: Equatable {
        case now
        /// Not before this time; `nil`: not until a job in flight answers.
        case wait(until: Double?)
        /// Larger than the limit itself.
        case never
    }

    /// Stamps new charges with `now` and forgets those older than the window.
    mutating func advance(to now: Double) {
        charges += unstamped.map { (now, $0) }
        unstamped = []
        charges.removeAll { $0.time <= now - seconds }
    }

    /// Whether a job reserving `amount` may start (after `advance(to:)`).
    func fit(_ amount: Double) -> Fit {
        if amount > limit + 1e-9 { return .never }
        var used = reserved + charges.reduce(0) { $0 + $1.amount } + unstamped.reduce(0, +)
        if used + amount <= limit + 1e-9 { return .now }
        // The window frees as the oldest charges leave it.
        for charge in charges {
            used -= charge.amount
            if used + amount <= limit + 1e-9 { return .wait(until: charge.time + seconds) }
        }
        return .wait(until: nil)
    }

    mutating func started(reserving amount: Double) { reserved += amount }

    mutating func answered(reserved amount: Double, charged charge: Double) {
        reserved = max(0, reserved - amount)
        unstamped.append(charge)
    }
}
