import Foundation

/// Counts for the progress line.
package struct RunProgress: Sendable {
    package var total: Int
    package var toMake: Int
    package var made = 0
    package var cached = 0
    package var failed = 0
    package var skipped = 0
    package var spent: Double = 0
    package var elapsed: Double = 0

    package var done: Int { made + cached + failed + skipped }

    mutating func record(_ status: JobStatus, cost: Double, elapsed: Duration) {
        switch status {
        case .made: made += 1
        case .cached: cached += 1
        case .failed: failed += 1
        case .skipped: skipped += 1
        }
        spent += cost
        self.elapsed = elapsed.seconds
    }

    /// Seconds left, from the pace of jobs sent so far.
    package var eta: Double? {
        let finished = made + failed
        guard finished > 0 else { return nil }
        let remaining = max(0, toMake - finished)
        return elapsed / Double(finished) * Double(remaining)
    }
}
