import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(1))) struct AdaptiveLimitTests {
    @Test func aCutHalvesAndARoundTripOfSuccessesAddsOneSlot() {
        var limit = AdaptiveLimit(maximum: 16)
        limit.cut()
        limit.cut()
        #expect(limit.current == 4)
        for _ in 0..<3 { limit.succeeded() }
        #expect(limit.current == 4)
        limit.succeeded()
        #expect(limit.current == 5, "one more slot after `current` successes")
        for _ in 0..<200 { limit.succeeded() }
        #expect(limit.current == 16, "never above the configured limit")
        for _ in 0..<10 { limit.cut() }
        #expect(limit.current == 1, "never below one")
    }

    @Test func tokenBucketSpacesRequestsAtTheConfiguredRate() {
        var bucket = TokenBucket(ratePerMinute: 60, burst: 2, now: 0)
        let waits = [0, 0, 0, 0, 10, 10, 10].map { bucket.reserve(at: Double($0)) }
        // Two at once (the burst), then one a second; idle time refills up to the burst.
        #expect(waits.map { ($0 * 1000).rounded() / 1000 } == [0, 0, 1, 2, 0, 0, 1])
    }

    @Test func theRequestsPerMinuteBucketPacesPollsAndCreatesAlike() async throws {
        let clock = FakeClock(0)
        let governor = RateGovernor(concurrency: 4, requestsPerMinute: 60, clock: { clock.now })
        let sleeps = SleepRecorder()
        for create in [true, false, true, false, true, false, true, false, true, false, true, false] {
            _ = try await governor.awaitTurn(create: create, secondsLeft: { 60 }, sleep: sleeps.sleep)
        }
        // A burst of ten, then one a second (booked on credit).
        #expect(sleeps.recorded == [1, 2])
    }
}
