import Foundation
import LoopbackHTTP

@testable import NanobatchCore

/// SplitMix64: a small seeded generator, so a failing fault-injection run can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Injects faults into a fake's answers at fixed rates, drawn from a seeded generator. The same
/// request (method, path, body) never fails more than `maxStreak` times in a row, so every job that
/// can succeed does within the retry policy; faults that remain are counted by kind.
final class FaultPlan: @unchecked Sendable {
    struct Rates {
        var rateLimited = 0.10
        var serverError = 0.05
        var connectionReset = 0.02
        var truncatedDownload = 0.02
    }

    private let lock = NSLock()
    private var random: SeededRandom
    private let rates: Rates
    private let maxStreak: Int
    private var streaks: [String: Int] = [:]
    private(set) var counts: [String: Int] = [:]

    init(seed: UInt64, rates: Rates = Rates(), maxStreak: Int = 2) {
        random = SeededRandom(seed: seed)
        self.rates = rates
        self.maxStreak = maxStreak
    }

    var injected: [String: Int] { lock.withLock { counts } }

    func reply(_ fake: FakeAPI, _ request: ReceivedRequest) -> ServerReply? {
        lock.withLock {
            let identity = "\(request.method) \(request.target) \(SHA256.hash(request.body).hexString.prefix(16))"
            guard streaks[identity, default: 0] < maxStreak else {
                streaks[identity] = 0
                return nil
            }
            let draw = Double.random(in: 0..<1, using: &random)
            var reply: ServerReply?
            var kind = ""
            if request.path.hasPrefix("/files/") {
                if draw < rates.truncatedDownload {
                    kind = "truncated download"
                    // The file is served by the fake's own route; only a cut-short copy is sent here.
                    let name = String(request.path.dropFirst("/files/".count))
                    let whole = fake.file(named: name) ?? Data(count: 64)
                    reply = ServerReply(
                        status: 200, headers: ["Content-Type": "image/png"], body: whole,
                        fault: .truncateBody(after: whole.count / 2))
                }
            } else if draw < rates.rateLimited {
                kind = "429"
                reply = .json(#"{"code":"error","message":"rate limit exceeded, slow down"}"#, status: 429)
            } else if draw < rates.rateLimited + rates.serverError {
                kind = "5xx"
                let status = [500, 502, 503, 504][Int.random(in: 0..<4, using: &random)]
                // Some gateways echo the request's headers in errors: the key must never be kept.
                reply = .json(
                    #"{"code":"error","message":"upstream failed; request had Authorization: Bearer \#(fake.key)"}"#, status: status)
            } else if draw < rates.rateLimited + rates.serverError + rates.connectionReset, request.method != "POST" {
                // Only reads: a create whose connection dies is not sent again (RetryPolicy.resendsUnknownCreates).
                kind = "connection reset"
                reply = ServerReply(fault: .closeWithoutAnswer)
            }
            if reply != nil {
                streaks[identity, default: 0] += 1
                counts[kind, default: 0] += 1
            } else {
                streaks[identity] = 0
            }
            return reply
        }
    }
}
