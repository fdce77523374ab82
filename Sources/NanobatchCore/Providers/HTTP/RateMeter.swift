import Foundation

/// Counts events (a provider's accepts) of about the last second, in ten buckets of 0.1 s.
/// Pure: time is an argument.
package struct RateMeter: Sendable, Equatable {
    private static let buckets = 10
    private static let bucketSeconds = 0.1
    private var counts = [Int](repeating: 0, count: RateMeter.buckets)
    /// The bucket number (time / 0.1 s) the newest count is in.
    private var newest: Int?

    package init() {}

    package mutating func record(at time: Double) {
        let bucket = advance(to: time)
        counts[bucket % Self.buckets] += 1
    }

    /// Events counted before `time` and the seconds they cover: the nine whole buckets before
    /// `time`'s and the part of its bucket that has passed (0.9 to 1 s).
    package mutating func recent(at time: Double) -> (count: Int, seconds: Double) {
        let bucket = advance(to: time)
        let intoBucket = time / Self.bucketSeconds - Double(bucket)
        return (counts.reduce(0, +), (Double(Self.buckets - 1) + min(max(intoBucket, 0), 1)) * Self.bucketSeconds)
    }

    /// Empties the buckets time has left behind; returns `time`'s bucket number.
    private mutating func advance(to time: Double) -> Int {
        let bucket = Int((time / Self.bucketSeconds).rounded(.down))
        guard let newest else {
            self.newest = bucket
            return bucket
        }
        if bucket > newest {
            for stale in (newest + 1)...min(bucket, newest + Self.buckets) { counts[stale % Self.buckets] = 0 }
            self.newest = bucket
        }
        return max(bucket, newest)
    }
}
