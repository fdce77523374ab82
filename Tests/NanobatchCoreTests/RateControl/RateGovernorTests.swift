import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// The governor as the client and the runner use it: which 429s reach the limiter, Retry-After as
/// pacing, and jobs that wait out a 429 without holding a slot.
@Suite(.timeLimit(.minutes(1))) struct RateGovernorTests {
    static let refused = ServerReply(
        status: 429, headers: ["Retry-After": "1", "Content-Type": "application/json"],
        body: Data(#"{"error":{"message":"rate limit exceeded, slow down"}}"#.utf8))

    /// A storm: four creates answered 429 in a row.
    static func storm(_ governor: RateGovernor, retryAfter: Double? = nil, sentAt: Double = 0) {
        for _ in 0..<4 { governor.answered(RateGovernor.Turn(sentAt: sentAt, isCreate: true), limited: true, retryAfter: retryAfter) }
    }

    /// Over loopback HTTP: polls and downloads answered 429 leave the create rate and concurrency alone.
    @Test func pollAndDownload429sDoNotCutCreates() async throws {
        let server = try LoopbackServer { _ in RateGovernorTests.refused }
        defer { server.stop() }
        let governor = RateGovernor(concurrency: 8, requestsPerMinute: nil)
        let client = ProviderClient(
            config: ProviderConfig(name: "api", dialect: "openai-images", apiKeyEnv: "K"), baseURL: server.baseURL, apiKey: "k",
            transport: TransportKind.own.make(),
            retry: RetryPolicy(maxAttempts: 2, initialDelay: 0.01, multiplier: 1, maximumDelay: 0.01, jitter: 0, longestHonouredWait: 60),
            poll: PollSchedule(initial: 0.01), governor: governor, sleep: SleepRecorder().sleep, random: { 0.5 })
        let deadline = ContinuousClock.now + .seconds(30)
        let workspace = try TestWorkspace()
        for number in 0..<4 {
            var reads = 0
            await #expect(throws: ProviderFailure.self) {
                _ = try await client.sendJSON("GET", "/v1/tasks/t\(number)", body: nil, deadline: deadline, what: "poll", billable: &reads)
            }
            await #expect(throws: ProviderFailure.self) {
                _ = try await client.fetchResult(
                    "\(server.baseURL)/files/\(number).png", to: workspace.url.appendingPathComponent("\(number).png"), deadline: deadline)
            }
        }
        #expect(server.requestsServed == 4 * 2 + 4 * 3)
        #expect(governor.cutCount == 0 && governor.currentLimit == 8, "429s on polls and downloads cut nothing")
        // Creates answered 429: a storm after four in a row.
        for _ in 0..<2 {
            var billable = 0
            await #expect(throws: ProviderFailure.self) {
                _ = try await client.sendJSON(
                    "POST", "/v1/images", body: ["prompt": "a cube"], deadline: deadline, what: "create", billable: &billable)
            }
        }
        #expect(governor.cutCount == 1 && governor.currentLimit == 4)
    }

    @Test func aStormsRetryAfterPacesEveryCreateButNoPoll() async throws {
        let clock = FakeClock(100)
        let sleeps = SleepRecorder()
        let governor = RateGovernor(concurrency: 8, requestsPerMinute: nil, clock: { clock.now })
        Self.storm(governor, retryAfter: 2, sentAt: 100)
        #expect(governor.cutCount == 1 && governor.currentLimit == 4)
        let poll = try await governor.awaitTurn(create: false, secondsLeft: { 60 }, sleep: sleeps.sleep)
        #expect(poll != nil && sleeps.recorded.isEmpty, "polls do not wait for the create rate")
        let create = try await governor.awaitTurn(create: true, secondsLeft: { 60 }, sleep: sleeps.sleep)
        #expect(create?.sentAt == 102 && sleeps.recorded == [2], "the next create waits out the Retry-After")
        let tooLate = try await governor.awaitTurn(create: true, secondsLeft: { 1 }, sleep: sleeps.sleep)
        #expect(tooLate == nil, "a wait past the job's deadline is refused at once")
    }

    @Test func aCutWhileWaitingBooksTheTurnAgain() async throws {
        let clock = FakeClock(100)
        let governor = RateGovernor(concurrency: 8, requestsPerMinute: nil, clock: { clock.now })
        Self.storm(governor, sentAt: 100)
        _ = try await governor.awaitTurn(create: true, secondsLeft: { 60 }, sleep: { _ in })
        let waits = Locked<[Double]>([])
        let sleep: @Sendable (Duration) async throws -> Void = { duration in
            waits.withLock { $0.append(duration.seconds) }
            if waits.withLock({ $0.count }) == 1 { Self.storm(governor, retryAfter: 5, sentAt: clock.now) }
            clock.advance(duration.seconds)
        }
        let turn = try await governor.awaitTurn(create: true, secondsLeft: { 60 }, sleep: sleep)
        #expect(waits.withLock { $0.count } == 2, "booked again after the cut: \(waits.withLock { $0 })")
        #expect((turn?.sentAt ?? 0) >= 105, "under the new schedule, after the new Retry-After")
    }

    @Test func aJobWaitingOutA429HoldsNoSlot() async throws {
        let governor = RateGovernor(concurrency: 2, requestsPerMinute: nil)
        let freed = Locked(0)
        governor.onSlotFreed { freed.withLock { $0 += 1 } }
        var during: (limit: Int, waiting: Int) = (0, 0)
        try await governor.waitingOutRateLimit { during = (governor.currentLimit, governor.jobsWaitingOutRateLimit) }
        #expect(during.limit == 3 && during.waiting == 1 && freed.withLock { $0 } == 1)
        #expect(governor.currentLimit == 2 && governor.jobsWaitingOutRateLimit == 0)
    }
}

/// A provider whose first job waits out a 429 (through the lane's governor) until another job has
/// started, for at most two seconds; every job then makes its image offline.
struct WaitingProvider: ImageProvider {
    let inner = OfflineProvider(latency: .milliseconds(5))
    let governor: RateGovernor
    let calls = Locked(0)
    let otherStartedWhileWaiting = Locked(false)

    var submissionKind: SubmissionKind { inner.submissionKind }

    func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        let number = calls.withLock {
            $0 += 1
            return $0
        }
        if number == 1 {
            try await governor.waitingOutRateLimit {
                for _ in 0..<200 where calls.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
                otherStartedWhileWaiting.withLock { $0 = calls.withLock { $0 } >= 2 }
            }
        }
        return try await inner.generate(request)
    }
}

@Suite(.timeLimit(.minutes(3))) struct RateControlRunTests {
    func plan(_ workspace: TestWorkspace, concurrency: Int, variants: Int) throws -> (EvaluatedPlan, ContentStore) {
        let json = baseManifest(
            providers: #"{ "local": { "dialect": "offline", "concurrency": \#(concurrency) } }"#, references: "[[]]",
            extra: #", "concurrency": \#(concurrency)"#, matrixExtra: #", "variants": \#(variants)"#)
        let path = try workspace.write("m.json", json)
        let store = ContentStore(root: workspace.outputRoot)
        return (try PlanEvaluator.evaluate(Planner.expand(try ManifestLoader.load(path: path)), store: store), store)
    }

    /// The runner reads the governor: after a cut, no more than the cut limit run at once.
    @Test func theRunnerHonoursACutLimit() async throws {
        let workspace = try TestWorkspace()
        let (plan, store) = try plan(workspace, concurrency: 8, variants: 12)
        let governor = RateGovernor(concurrency: 8, requestsPerMinute: nil)
        RateGovernorTests.storm(governor)
        RateGovernorTests.storm(governor)  // sent before the first cut: the same round trip, still 4
        let probe = ConcurrencyProbe()
        let provider = ProbedProvider(inner: OfflineProvider(latency: .milliseconds(15)), probe: probe, name: "local")
        let runner = Runner(
            plan: plan, store: store, lanes: [ProviderLane(name: "local", provider: provider, governor: governor)],
            layout: OutputLayout(root: workspace.outputRoot), manifestName: "test", limits: RunLimits(concurrency: 8))
        let outcomes = await runner.run()
        #expect(outcomes.allSatisfy { $0.status == .made })
        #expect(probe.peak(for: "local") <= 4)
        #expect(probe.peak(for: "local") >= 2)
    }

    /// One slot, eight jobs: while the first waits out a 429, another runs.
    @Test func anotherJobRunsWhileOneWaitsOutA429() async throws {
        let workspace = try TestWorkspace()
        let (plan, store) = try plan(workspace, concurrency: 1, variants: 2)  // 2 prompts × 2 ratios × 2
        let governor = RateGovernor(concurrency: 1, requestsPerMinute: nil)
        let provider = WaitingProvider(governor: governor)
        let runner = Runner(
            plan: plan, store: store, lanes: [ProviderLane(name: "local", provider: provider, governor: governor)],
            layout: OutputLayout(root: workspace.outputRoot), manifestName: "test", limits: RunLimits(concurrency: 1))
        let outcomes = await runner.run()
        #expect(outcomes.count == 8 && outcomes.allSatisfy { $0.status == .made })
        #expect(provider.otherStartedWhileWaiting.withLock { $0 }, "the waiting job held the only slot")
    }

    /// The real CLI against an async provider that answers 429 at random to one API request in ten
    /// (creates and polls alike; never more than two creates, or two polls, in a row): every job is made, and random 429s
    /// are not taken for a limit.
    @Test func aRunAgainstRandom429sFinishesEveryJob() async throws {
        let fake = try DialectFakes.imageTasks()
        fake.pollsBeforeDone = 1
        // In a row per method: creates (POST) and polls (GET) interleave differently from run to run, and
        // the rate control hears creates only.
        let injected = Locked((draws: Draws(state: 20_261_128), inARow: [String: Int](), count: 0))
        fake.injectFaults { _, request in
            if request.path.hasPrefix("/files/") { return nil }
            return injected.withLock { state in
                let refuse = state.draws.next() < 0.1 && state.inARow[request.method, default: 0] < 2
                state.inARow[request.method] = refuse ? state.inARow[request.method, default: 0] + 1 : 0
                if refuse { state.count += 1 }
                return refuse ? .json(#"{"code":"error","message":"upstream capacity exhausted"}"#, status: 429) : nil
            }
        }
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "image-tasks", fake: fake, models: ["NanoBanana"], prompts: (0..<120).map { ("p\($0)", "Scene \($0)") },
            providerExtra: #", "concurrency": 8, "retry": { "maxAttempts": 8, "initialDelaySeconds": 0.005, "maximumDelaySeconds": 0.02 }"#,
            extra: #", "concurrency": 8"#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        let index = try readIndex(workspace, manifest: "api-test")
        #expect(index.jobRows.count == 120 && index.jobRows.allSatisfy { $0["status"]?.stringValue == "made" })
        #expect(injected.withLock { $0.count } > 20)
        #expect(index["rateLimitCuts"] == nil, "random 429s cut the rate: \(index["rateLimitCuts"]?.serialized() ?? "")")
        #expect(fake.violations == [])
    }
}
