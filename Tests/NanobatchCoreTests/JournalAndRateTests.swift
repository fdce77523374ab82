import Foundation
import Testing

@testable import NanobatchCore

final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double
    init(_ start: Double) { value = start }
    var now: Double { lock.withLock { value } }
    func advance(_ seconds: Double) { lock.withLock { value += seconds } }
}

@Suite(.timeLimit(.minutes(2))) struct SubmissionJournalTests {
    @Test func openTasksSurviveReopeningAndEndedOnesDoNot() async throws {
        let workspace = try TestWorkspace()
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        await journal.submitting(key: "k1", provider: "api", job: "a")
        journal.taskCreated(key: "k1", provider: "api", job: "a", taskID: "t-1")
        await journal.submitting(key: "k2", provider: "api", job: "b")
        journal.taskCreated(key: "k2", provider: "api", job: "b", taskID: "t-2")
        journal.ended(key: "k2", provider: "api", job: "b")

        let reopened = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(reopened.openTask(for: "k1", provider: "api")?.taskID == "t-1")
        #expect(reopened.openTask(for: "k1", provider: "other") == nil)
        #expect(reopened.openTask(for: "k2", provider: "api") == nil)
        #expect(reopened.unresolved == [])
        // Compacted to the one open task.
        #expect(SubmissionJournal.read(reopened.path).records.map(\.taskID) == ["t-1"])
    }

    @Test func appendsArrivingTogetherShareASyncAndAllSurvive() async throws {
        let workspace = try TestWorkspace()
        // A slow disk: every sync takes 100 ms, so callers arriving meanwhile must share the next one.
        let journal = try SubmissionJournal(
            root: workspace.outputRoot, hasResult: { _ in false },
            dataSync: { fd in
                usleep(100_000)
                _ = fdatasync(fd)
            })
        let callers = 16
        await withTaskGroup(of: Void.self) { group in
            for number in 0..<callers {
                group.addTask { await journal.submitting(key: "k\(number)", provider: "api", job: "job-\(number)") }
            }
        }
        #expect(journal.syncCount >= 1 && journal.syncCount <= 3, "not one sync per caller: \(journal.syncCount)")
        // A task line from a synchronous caller is durable when the call returns, and shares syncs too.
        journal.taskCreated(key: "k0", provider: "api", job: "job-0", taskID: "t-0")
        let reopened = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(Set(reopened.unresolved.map(\.job)) == Set((1..<callers).map { "job-\($0)" }), "every line whole")
        #expect(reopened.openTask(for: "k0", provider: "api")?.taskID == "t-0")
    }

    @Test func aTornLastLineIsIgnored() throws {
        let workspace = try TestWorkspace()
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        journal.taskCreated(key: "k1", provider: "api", job: "a", taskID: "t-1")
        let handle = try #require(FileHandle(forWritingAtPath: journal.path))
        handle.seekToEndOfFile()
        handle.write(Data("v1\ttask\t1763700000.000\tk2\tapi\tb\tt-".utf8))  // killed mid-write
        try handle.close()
        let reopened = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(reopened.openTask(for: "k1", provider: "api")?.taskID == "t-1")
        #expect(reopened.openTask(for: "k2", provider: "api") == nil)
    }

    @Test func submissionsWithoutResultAreReportedOnceAndTasksExpire() async throws {
        let workspace = try TestWorkspace()
        let clock = FakeClock(1_763_700_000)
        let journal = try SubmissionJournal(root: workspace.outputRoot, hasResult: { _ in false }, now: { clock.now })
        await journal.submitting(key: "lost", provider: "api", job: "lost-job")
        await journal.submitting(key: "stored", provider: "api", job: "stored-job")
        journal.taskCreated(key: "old", provider: "api", job: "old-job", taskID: "t-old")

        clock.advance(SubmissionJournal.resumeWindow + 60)
        let later = try SubmissionJournal(root: workspace.outputRoot, hasResult: { $0 == "stored" }, now: { clock.now })
        #expect(later.unresolved.map(\.job).sorted() == ["lost-job", "old-job"])
        #expect(later.openTask(for: "old", provider: "api") == nil, "a task older than the result-URL lifetime is not resumed")

        let again = try SubmissionJournal(root: workspace.outputRoot, hasResult: { _ in false }, now: { clock.now })
        #expect(again.unresolved == [])
    }

    @Test func fieldsCannotBreakTheLineFormat() throws {
        let workspace = try TestWorkspace()
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        journal.taskCreated(key: "k", provider: "api", job: "a", taskID: "evil\tid\nv1\tend\t0\tk\tapi\ta")
        let reopened = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(reopened.openTask(for: "k", provider: "api")?.taskID == "evil id v1 end 0 k api a")
    }
}

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
