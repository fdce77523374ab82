import Foundation

/// Counts for the progress line.
public struct RunProgress: Sendable {
    public var total: Int
    public var toMake: Int
    public var made = 0
    public var cached = 0
    public var failed = 0
    public var skipped = 0
    public var spent: Double = 0
    public var elapsed: Double = 0

    public var done: Int { made + cached + failed + skipped }

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
    public var eta: Double? {
        let finished = made + failed
        guard finished > 0 else { return nil }
        let remaining = max(0, toMake - finished)
        return elapsed / Double(finished) * Double(remaining)
    }
}
