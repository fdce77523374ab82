import Foundation
import LoopbackHTTP
import NanobatchCore

#if canImport(Glibc)
    import Glibc
#endif

// Rate-control rows: the real `nanobatch run` against a loopback provider that pushes back.
//   nanobatch-bench rate-limit TOOL [jobs] [concurrency] [limit/s] [latencyMs]
//   nanobatch-bench rate-noise TOOL [jobs] [concurrency] [latencyMs] [429 %]

/// A provider's limit of `limit` accepted requests in any sliding second. Beyond it: 429 with
/// `Retry-After` in whole seconds (rounded up), as HTTP says, until the oldest accept leaves the window.
final class SlidingWindowLimit: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var accepted: [UInt64] = []
    private var oldest = 0
    private(set) var refused = 0

    init(limit: Int) { self.limit = limit }

    /// nil when the request is accepted, else the `Retry-After` seconds.
    func admit() -> Int? {
        let now = DispatchTime.now().uptimeNanoseconds
        return lock.withLock {
            while oldest < accepted.count, accepted[oldest] + 1_000_000_000 <= now { oldest += 1 }
            guard accepted.count - oldest >= limit else {
                accepted.append(now)
                return nil
            }
            refused += 1
            let wait = Double(accepted[oldest] + 1_000_000_000 - now) / 1e9
            return max(1, Int(wait.rounded(.up)))
        }
    }
}

/// A gateway that answers 429 to a share of requests at random, whatever the load (no `Retry-After`).
final class RandomRefusals: @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    private let share: Double
    private(set) var refused = 0

    init(share: Double) { self.share = share }

    func refuses() -> Bool {
        lock.withLock {
            // SplitMix64, seeded: the same draws every run.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            let draw = Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
            if draw < share { refused += 1 }
            return draw < share
        }
    }
}

/// One synchronous run (openai-images, base64 answers) against `decide`; what the server saw.
struct RateRun {
    var measured: Measured
    var requests: Int
    /// Seconds from the first request to the last reply.
    var span: Double
}

func rateRun(
    tool: String, name: String, jobs: Int, concurrency: Int, latencyMs: Int, retry: String = "",
    refuse: @escaping @Sendable () -> ServerReply?
) throws -> RateRun {
    let png = smallPNG()
    let answer = ServerReply.json(#"{"created":1,"data":[{"b64_json":"\#(png.base64EncodedString())"}]}"#)
    let latency = useconds_t(latencyMs * 1000)
    let server = try LoopbackServer { _ in
        usleep(latency)
        return refuse() ?? answer
    }
    defer { server.stop() }
    let folder = try temporaryFolder(name)
    let provider =
        #"{ "api": { "dialect": "openai-images", "baseURL": "\#(server.baseURL)", "apiKeyEnv": "BENCH_KEY", "concurrency": \#(concurrency), "responseFormat": "b64_json"\#(retry) } }"#
    let path = folder.appendingPathComponent("m.json")
    try manifest(name: name, provider: provider, jobs: jobs, concurrency: concurrency, model: "nano-banana")
        .write(to: path, atomically: true, encoding: .utf8)
    let run = try measure(
        tool, ["run", path.path, "--output", folder.appendingPathComponent("out").path, "--quiet"],
        environment: ["BENCH_KEY": "bench-key"])
    let span = server.lastReplyAt > server.firstRequestAt ? Double(server.lastReplyAt - server.firstRequestAt) / 1e9 : 0
    return RateRun(measured: run, requests: server.requestsServed, span: span)
}

/// (a) A provider enforcing `limit` requests/s: the run should reach ≥ 0.9 of it with ≤ 5 % of its requests refused.
func rateLimit(tool: String, jobs: Int, concurrency: Int, limit: Int, latencyMs: Int) throws -> Bool {
    let window = SlidingWindowLimit(limit: limit)
    let run = try rateRun(tool: tool, name: "ratelimit", jobs: jobs, concurrency: concurrency, latencyMs: latencyMs) {
        window.admit().map {
            ServerReply(
                status: 429, headers: ["Content-Type": "application/json", "Retry-After": "\($0)"],
                body: Data(#"{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}"#.utf8))
        }
    }
    let accepted = run.requests - window.refused
    let achieved = run.span > 0 ? Double(accepted) / run.span : 0
    let refusedShare = run.requests > 0 ? Double(window.refused) / Double(run.requests) : 1
    let ok = achieved >= 0.9 * Double(limit) && refusedShare <= 0.05 && run.measured.status == 0
    result(
        "rate limit \(limit)/s (sliding 1 s window), \(jobs) jobs at c\(concurrency), \(latencyMs) ms",
        String(
            format: "%.3f of the limit (%.1f/s: %d accepted in %.2f s), %.1f %% refused (%d of %d requests)",
            achieved / Double(limit), achieved, accepted, run.span, refusedShare * 100, window.refused, run.requests),
        target: "≥ 0.90, ≤ 5 %", ok: ok)
    return ok
}

/// (b) Random 429s on `percent` % of requests and no real limit: wall time ≤ 2 × the clean run's.
func rateNoise(tool: String, jobs: Int, concurrency: Int, latencyMs: Int, percent: Int) throws -> Bool {
    // Waits scaled to the latency (the defaults start at 1 s, 200 requests' worth): what is measured is
    // the rate, not the backoff. Six attempts: with four, one job in 10,000 fails on four 429s in a row.
    let retry = #", "retry": { "maxAttempts": 6, "initialDelaySeconds": 0.05, "maximumDelaySeconds": 1 }"#
    let clean = try rateRun(
        tool: tool, name: "ratenoise-clean", jobs: jobs, concurrency: concurrency, latencyMs: latencyMs, retry: retry
    ) { nil }
    let random = RandomRefusals(share: Double(percent) / 100)
    let noisy = try rateRun(
        tool: tool, name: "ratenoise", jobs: jobs, concurrency: concurrency, latencyMs: latencyMs, retry: retry
    ) {
        random.refuses()
            ? .json(#"{"error":{"message":"upstream capacity exhausted, try again","code":"rate_limited"}}"#, status: 429) : nil
    }
    let ratio = noisy.measured.wall / clean.measured.wall
    let ok = ratio <= 2 && clean.measured.status == 0 && noisy.measured.status == 0
    result(
        "random \(percent) % 429s, \(jobs) jobs at c\(concurrency), \(latencyMs) ms",
        String(
            format: "%.2f × the clean run (%.2f s vs %.2f s; %d of %d requests refused)", ratio, noisy.measured.wall,
            clean.measured.wall, random.refused, noisy.requests),
        target: "≤ 2 ×", ok: ok)
    return ok
}
