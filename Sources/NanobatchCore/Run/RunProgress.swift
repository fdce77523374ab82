import Foundation

/// Counts for the progress line, and the failures since the previous report.
package struct RunProgress: Sendable {
    /// A job that failed: its id and why.
    package struct Failure: Sendable, Equatable {
        package var job: String
        package var reason: String
    }

    package var total: Int
    package var toMake: Int
    package var made = 0
    package var cached = 0
    package var failed = 0
    package var skipped = 0
    /// In a batch that has not finished (handed back by `run --no-wait`).
    package var pending = 0
    /// Jobs sent to a provider (or being stored) and not finished yet.
    package var inFlight = 0
    /// What providers reported, by unit ("USD", "credits"), as in the report's totals.
    package var spent: [String: Double] = [:]
    package var elapsed: Double = 0
    /// Failures settled since the previous report (the runner empties it after each one), so each is told once.
    package var recentFailures: [Failure] = []

    package var done: Int { made + cached + failed + skipped + pending }

    mutating func record(_ outcome: JobOutcome, job: String, elapsed: Duration) {
        switch outcome.status {
        case .made: made += 1
        case .cached: cached += 1
        case .failed:
            failed += 1
            recentFailures.append(Failure(job: job, reason: outcome.error ?? "unknown error"))
        case .skipped: skipped += 1
        case .pending: pending += 1
        case .notSelected: break
        }
        // Paid but lost before it was stored (a full disk) still counts, as in the report.
        if outcome.status == .made || outcome.status == .failed, let cost = outcome.actualCost {
            spent[outcome.costUnit, default: 0] += cost
        }
        self.elapsed = elapsed.seconds
    }

    /// Seconds left at `elapsed` seconds into the run, from the pace of jobs sent so far.
    package func eta(at elapsed: Double) -> Double? {
        let finished = made + failed
        guard finished > 0 else { return nil }
        let remaining = max(0, toMake - finished)
        return elapsed / Double(finished) * Double(remaining)
    }
}
