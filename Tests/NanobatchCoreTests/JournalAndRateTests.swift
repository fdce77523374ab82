import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct RateTests {
    @Test func aRateLimitHalvesAndSuccessesGrowItBackSlowly() {
        var limit = AdaptiveLimit(maximum: 16, cooldown: 2)
        let firstCut = limit.rateLimited(at: 10)
        #expect(firstCut && limit.current == 8)
        let sameBurst = limit.rateLimited(at: 11)
        #expect(!sameBurst && limit.current == 8, "one burst of 429s counts once")
        let secondCut = limit.rateLimited(at: 12.5)
        #expect(secondCut)
        #expect(limit.current == 4)
        for _ in 0..<3 { limit.succeeded() }
        #expect(limit.current == 4)
        limit.succeeded()
        #expect(limit.current == 5, "one more slot after `current` successes")
        for _ in 0..<200 { limit.succeeded() }
        #expect(limit.current == 16, "never above the configured limit")
        for time in stride(from: 20.0, to: 40, by: 2) { limit.rateLimited(at: time) }
        #expect(limit.current == 1, "never below one")
    }

    @Test func tokenBucketSpacesRequestsAtTheConfiguredRate() {
        var bucket = TokenBucket(ratePerMinute: 60, burst: 2, now: 0)
        let waits = [0, 0, 0, 0, 10, 10, 10].map { bucket.reserve(at: Double($0)) }
        // Two at once (the burst), then one a second; idle time refills up to the burst.
        #expect(waits.map { ($0 * 1000).rounded() / 1000 } == [0, 0, 1, 2, 0, 0, 1])
    }

    @Test func governorCutsOnlyOncePerCooldownAndCountsCuts() {
        let clock = FakeClock(100)
        let governor = RateGovernor(concurrency: 8, requestsPerMinute: 120, clock: { clock.now })
        governor.rateLimited()
        governor.rateLimited()
        #expect(governor.currentLimit == 4)
        #expect(governor.cutCount == 1)
        clock.advance(3)
        governor.rateLimited()
        #expect(governor.currentLimit == 2)
        #expect(governor.cutCount == 2)
        var waits: [Double] = []
        for _ in 0..<12 { waits.append(governor.reserveRequest()) }
        #expect(waits.prefix(10).allSatisfy { $0 == 0 } && abs(waits[10] - 0.5) < 1e-9 && abs(waits[11] - 1.0) < 1e-9, "\(waits)")
    }

    /// The runner reads the governor: after a cut, no more than the cut limit run at once.
    @Test func theRunnerHonoursACutLimit() async throws {
        let workspace = try TestWorkspace()
        let json = baseManifest(
            providers: #"{ "local": { "dialect": "offline", "concurrency": 8 } }"#, references: "[[]]",
            extra: #", "concurrency": 8"#, matrixExtra: #", "variants": 12"#)
        let path = try workspace.write("m.json", json)
        let store = ContentStore(root: workspace.outputRoot)
        let plan = try PlanEvaluator.evaluate(Planner.expand(try ManifestLoader.load(path: path)), store: store)
        let governor = RateGovernor(concurrency: 8, requestsPerMinute: nil)
        governor.rateLimited()
        governor.rateLimited()  // within the cooldown: still 4
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
}
