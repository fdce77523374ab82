import Foundation
import Testing

@testable import NanobatchCore

/// A lane with more work than the limiter allows, one request at a time: each send is booked, then
/// answered `latency` later by `provider(sentAt)` (a 429 with its Retry-After, or nil for an accept).
struct LimiterDrive {
    var limiter = SendRateLimiter()
    var now = 0.0
    var latency = 0.001
    var limited = 0
    var sent = 0

    /// Sends one request and reads its answer; true when it cut the rate.
    @discardableResult
    mutating func sendOne(provider: (Double) -> Double??) -> Bool {
        let reservation = limiter.reserve(at: now)
        let answer = provider(reservation.sendAt)
        now = reservation.sendAt + latency
        sent += 1
        if answer != nil { limited += 1 }
        return limiter.answered(sentAt: reservation.sendAt, limited: answer != nil, retryAfter: answer ?? nil, at: now)
    }

    /// Sends until `end`; returns the cuts made meanwhile.
    @discardableResult
    mutating func send(until end: Double, provider: (Double) -> Double??) -> Int {
        let before = limiter.cuts
        while now < end { sendOne(provider: provider) }
        return limiter.cuts - before
    }

    /// 40 accepts in the first 40 ms, then 429s (Retry-After 0.956 s) until the storm cuts: W_max is
    /// then 40 accepts over 0.044 s + 0.956 s, 40/s.
    static func afterAStorm() -> LimiterDrive {
        var drive = LimiterDrive()
        for _ in 0..<40 { drive.sendOne { _ in nil } }
        while drive.limiter.cuts == 0 && drive.limited < 10 { drive.sendOne { _ in .some(0.956) } }
        return drive
    }
}

/// SplitMix64 draws in 0..<1, seeded.
struct Draws {
    var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}

@Suite(.timeLimit(.minutes(1))) struct SendRateLimiterTests {
    @Test func aStormOf429sCutsTheRateToWhatTheProviderAccepted() throws {
        let drive = LimiterDrive.afterAStorm()
        #expect(drive.limiter.cuts == 1 && drive.limited == 4, "four 429s in a row are a storm")
        let wall = try #require(drive.limiter.maximumRate)
        #expect(abs(wall - 40) < 1e-6)
        #expect(abs(drive.limiter.rate(at: drive.now) - 0.8 * 40) < 1e-6)
    }

    @Test func aStormsRetryAfterHoldsEveryCreateThenSendsArePaced() {
        var drive = LimiterDrive.afterAStorm()
        let cutAt = drive.now
        let first = drive.limiter.reserve(at: cutAt)
        let second = drive.limiter.reserve(at: cutAt)
        #expect(first.sendAt >= cutAt + 0.956 - 1e-9, "nobody sends before the Retry-After has passed")
        #expect(abs((second.sendAt - first.sendAt) - 1 / drive.limiter.rate(at: first.sendAt)) < 1e-9)
    }

    /// W_max 40/s, β 0.8: the table in `SendRateLimiter`'s comment.
    @Test(arguments: [(0.0, 32.0), (1, 37.984), (2, 39.854), (2.714, 40), (4, 40.85), (5, 44.776), (8, 99.066)])
    func growsBackAlongTheCubicCurveAndPastTheOldMaximum(secondsAfterCut: Double, rate: Double) {
        let drive = LimiterDrive.afterAStorm()
        #expect(abs(drive.limiter.rate(at: drive.now + secondsAfterCut) - rate) < 0.01)
    }

    @Test func only429sForRequestsSentAfterTheCutCanCutAgain() {
        var drive = LimiterDrive.afterAStorm()
        let cutAt = drive.now
        // Answers to requests that were on their way before the cut: one decrease per round trip.
        for sent in stride(from: cutAt - 0.004, to: cutAt, by: 0.0005) {
            drive.limiter.answered(sentAt: sent, limited: true, retryAfter: 1, at: cutAt + 0.01)
        }
        #expect(drive.limiter.cuts == 1)
        for offset in 1...4 {
            drive.limiter.answered(sentAt: cutAt + 1, limited: true, retryAfter: 1, at: cutAt + 1 + Double(offset) / 1000)
        }
        #expect(drive.limiter.cuts == 2)
    }

    @Test func aCutRebooksReservationsMadeBeforeIt() {
        var drive = LimiterDrive.afterAStorm()
        let booked = drive.limiter.reserve(at: drive.now + 2)
        #expect(drive.limiter.isCurrent(booked))
        for offset in 1...4 {
            drive.limiter.answered(sentAt: drive.now + 2, limited: true, retryAfter: nil, at: drive.now + 2 + Double(offset) / 1000)
        }
        #expect(!drive.limiter.isCurrent(booked))
    }

    @Test func anOvershootPastTheOldMaximumCutsWithoutPausing() {
        var drive = LimiterDrive.afterAStorm()
        let cutAt = drive.now
        drive.send(until: cutAt + 4) { _ in nil }
        #expect(drive.limiter.cuts == 1)
        // Probing past 40/s: the provider refuses one request in ten, Retry-After 1 s.
        var count = 0
        var cut = false
        while !cut && drive.now < cutAt + 6 {
            cut = drive.sendOne { _ in
                count += 1
                return count % 10 == 0 ? .some(1) : nil
            }
        }
        #expect(cut && drive.limited == 4 + 3, "the third 429 in 30 answers is above a 5 % margin")
        let next = drive.limiter.reserve(at: drive.now)
        #expect(next.sendAt < drive.now + 0.1, "an overshoot is trimmed by the cut, not by pausing every create")
        #expect(abs(drive.limiter.rate(at: drive.now) - 0.8 * (drive.limiter.maximumRate ?? 0)) < 0.01)
    }

    @Test func random429sOnOneRequestInTenNeverCutAnOpenLane() {
        var drive = LimiterDrive()
        var draws = Draws(state: 20_261_128)
        let cuts = drive.send(until: 30) { _ in draws.next() < 0.1 ? .some(nil) : nil }
        #expect(drive.sent > 20_000 && drive.limited > 2_000)
        #expect(cuts == 0)
        #expect(drive.limiter.rate(at: drive.now) == .infinity)
        #expect(abs(drive.limiter.test.background - 0.1) < 0.03, "learned: \(drive.limiter.test.background)")
    }

    @Test func random429sAfterARealLimitDoNotCollapseTheRate() throws {
        var drive = LimiterDrive.afterAStorm()
        let wall = try #require(drive.limiter.maximumRate)
        // The limit is gone; one request in ten is refused at random from now on.
        var draws = Draws(state: 7)
        drive.send(until: 30) { _ in draws.next() < 0.1 ? .some(nil) : nil }
        // A rare cluster of them still cuts (a window's share two standard errors above 10 %), but
        // seldom, and the rate keeps growing: no collapse.
        #expect(drive.limiter.cuts <= 8, "cuts: \(drive.limiter.cuts) in \(drive.sent) answers")
        #expect(drive.limiter.rate(at: drive.now) > 2 * wall, "the rate grew past the old limit: \(drive.limiter.rate(at: drive.now))")
        #expect(abs(drive.limiter.test.background - 0.1) < 0.04, "learned: \(drive.limiter.test.background)")
    }

    @Test func repeatedStormsNeverTakeTheRateBelowTheFloor() {
        var drive = LimiterDrive.afterAStorm()
        drive.send(until: 120) { _ in .some(nil) }
        #expect(drive.limiter.cuts > 10)
        #expect(drive.limiter.rate(at: drive.now) >= 0.5)
        #expect(drive.limiter.maximumRate == 0.5)
    }
}

/// One case of `CongestionTest`: answers (`x` a 429, `.` an accept) and what the last one shows.
struct CongestionCase: Sendable, CustomTestStringConvertible {
    let name: String
    let answers: String
    let probing: Bool
    let verdict: CongestionTest.Verdict
    var testDescription: String { name }
}

@Suite(.timeLimit(.minutes(1))) struct CongestionTestTests {
    static let cases = [
        CongestionCase(name: "four 429s in a row are a storm", answers: "....xxxx", probing: false, verdict: .dense),
        CongestionCase(name: "three in a row are not", answers: "........xxx", probing: false, verdict: .noise),
        CongestionCase(name: "more 429s than accepts (SRE, K = 2)", answers: "x.x.xx.x.x", probing: false, verdict: .dense),
        CongestionCase(name: "one in ten is noise before any cut", answers: ".........x", probing: false, verdict: .noise),
        CongestionCase(
            name: "one in ten is an overshoot above the last cut's rate", answers: ".........x", probing: true, verdict: .excess),
        CongestionCase(name: "too few answers to judge a share", answers: "....x", probing: true, verdict: .noise),
        CongestionCase(
            name: "one in fifty is within the margin", answers: String(repeating: ".", count: 49) + "x", probing: true, verdict: .noise),
    ]

    @Test(arguments: cases) func verdicts(_ example: CongestionCase) {
        var test = CongestionTest()
        var verdict = CongestionTest.Verdict.noise
        for answer in example.answers {
            verdict = test.record(limited: answer == "x", mayJudgeExcess: example.probing, learnsBackground: !example.probing)
        }
        #expect(verdict == example.verdict)
    }

    @Test func aLearnedBackgroundRaisesTheBarForRunsAndShares() {
        var test = CongestionTest()
        // Ten windows of 50 answers with 5 429s each: the background becomes 10 %.
        for _ in 0..<10 {
            for index in 0..<50 { _ = test.record(limited: index % 10 == 9, mayJudgeExcess: false, learnsBackground: true) }
        }
        #expect(abs(test.background - 0.1) < 0.001)
        #expect(test.streakLength == 6, "0.1⁶ is one in a million")
        test.restart()
        var verdicts: [CongestionTest.Verdict] = []
        for answer in ".........x.........x" {
            verdicts.append(test.record(limited: answer == "x", mayJudgeExcess: true, learnsBackground: false))
        }
        #expect(verdicts.allSatisfy { $0 == .noise }, "10 % is the background, not an overshoot")
    }
}
