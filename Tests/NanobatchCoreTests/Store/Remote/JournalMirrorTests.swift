import Foundation
import LoopbackHTTP
import SocketHTTP
import Testing

@testable import NanobatchCore

/// The submission journal's copy in the remote store: paid work started on one machine (output root)
/// is resumed on another instead of being paid again, a submission that may have been paid is
/// reported on the next machine once, and a store that cannot keep the journal stops every payment.
@Suite(.timeLimit(.minutes(1))) struct JournalMirrorTests {
    let workspace: TestWorkspace
    let store: MemoryCacheServer

    init() throws {
        workspace = try TestWorkspace()
        store = try MemoryCacheServer()
    }

    /// `run` of `manifest` in its own output root (a machine) against the store.
    func run(_ fake: FakeAPI, _ manifest: String, machine: String, _ extra: [String] = []) async throws -> CLIResult {
        let path = try workspace.write("api-test.json", manifest)
        return await runCLI(
            ["run", path, "--output", root(machine), "--store", store.url, "--quiet"] + extra, environment: ["NB_TEST_KEY": fake.key])
    }

    func root(_ machine: String) -> String { workspace.url.appendingPathComponent(machine).path }

    func index(_ machine: String) throws -> JSONValue {
        try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: "\(root(machine))/api-test/index.json")))
    }

    func paidRequests(_ fake: FakeAPI) -> Int { fake.requests.filter { $0.method == "POST" }.count }

    /// The journal record the store holds for a job, decoded.
    func mirrored(_ key: String) throws -> MirroredJournalRecord? {
        guard let data = store["ac/\(MirroredJournalRecord.name(for: key))"] else { return nil }
        return try MirroredJournalRecord.decode(data, key: key, source: URL(fileURLWithPath: "/"))
    }

    static let twoMountseaJobs: @Sendable (FakeAPI) -> String = { fake in
        apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], prompts: [("a", "A red cube"), ("b", "A blue cube")],
            providerExtra: #", "retry": { "initialDelaySeconds": 0.01, "maxAttempts": 2 }"#)
    }

    @Test func aTaskPaidForOnOneMachineIsResumedOnAnotherNotPaidAgain() async throws {
        let fake = try DialectFakes.mountsea()
        // Machine a: both tasks are created and finish, but their images cannot be downloaded.
        fake.injectFaults { _, request in request.path.hasPrefix("/files/") ? .json(#"{"error":"busy"}"#, status: 503) : nil }
        let first = try await run(fake, Self.twoMountseaJobs(fake), machine: "a")
        #expect(first.status == ExitCode.jobsFailed.rawValue, "\(first.err)")
        #expect(fake.createdTasks.count == 2)
        let keys = try index("a").jobRows.compactMap { $0["key"]?.stringValue }
        #expect(keys.count == 2)
        for key in keys {
            let record = try #require(try mirrored(key), "no journal record in the store for \(key)")
            #expect(record.event == "task" && fake.createdTasks.map(\.id).contains(record.detail), "\(record)")
        }

        // Machine b starts empty: it polls those tasks and downloads their images.
        fake.injectFaults { _, _ in nil }
        let second = try await run(fake, Self.twoMountseaJobs(fake), machine: "b")
        #expect(second.status == 0, "\(second.err)")
        #expect(fake.createdTasks.count == 2, "machine b paid for new tasks")
        let rows = try index("b").jobRows
        #expect(Set(rows.compactMap { $0["resumedTask"]?.stringValue }) == Set(fake.createdTasks.map(\.id)))
        #expect(rows.allSatisfy { $0["status"]?.stringValue == "made" })
    }

    @Test func aSubmissionLostInFlightIsReportedOnTheNextMachineOnce() async throws {
        let fake = try DialectFakes.openAIImages()
        // Machine a: the create dies after it was sent; it may have been paid.
        fake.script("/v1/images/generations", [ServerReply(fault: .closeWithoutAnswer)])
        let manifest = apiManifest(
            dialect: "openai-images", fake: fake, models: ["nano-banana"],
            providerExtra: #", "concurrency": 1, "retry": { "initialDelaySeconds": 0.01 }"#,
            extra: #", "pricing": { "api:nano-banana": 0.04 }"#)
        let first = try await run(fake, manifest, machine: "a")
        #expect(first.status == ExitCode.jobsFailed.rawValue, "\(first.err)")

        // Machine b reports it, and (with a budget of 0) sends nothing.
        let second = try await run(fake, manifest, machine: "b", ["--max-cost", "0"])
        #expect(second.err.contains("1 submission of an earlier run ended without a result and may have been paid"), "\(second.err)")
        #expect(try index("b")["totals"]?["unresolvedSubmissions"]?.numberValue == 1)
        #expect(paidRequests(fake) == 1)

        // Reported once: machine c, which still has the job to make, is not told again.
        let third = try await run(fake, manifest, machine: "c")
        #expect(third.status == 0, "\(third.err)")
        #expect(!third.err.contains("may have been paid"), "\(third.err)")
        #expect(paidRequests(fake) == 2)
    }

    @Test func aStoreThatRefusesJournalRecordsStopsThePaymentsOnTheirRecord() async throws {
        let fake = try DialectFakes.mountsea()
        // Images and the probe are taken; journal records are not.
        let keys = try firstKeys(Self.twoMountseaJobs(fake))
        let refused = Set(keys.map { "/cache/ac/" + MirroredJournalRecord.name(for: $0) })
        store.intercept { request in
            request.method == "PUT" && refused.contains(request.path) ? .json("no", status: 403) : nil
        }
        let result = try await run(fake, Self.twoMountseaJobs(fake), machine: "a")
        #expect(result.status != 0)
        #expect(paidRequests(fake) == 0, "a task was paid for without its journal record in the store")
        #expect(result.err.contains("submission journal") && result.err.contains(store.url), "\(result.err)")
    }

    @Test func aStoreThatRefusesATaskRecordStopsEveryLaterPayment() async throws {
        let fake = try DialectFakes.mountsea()
        let manifest = apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], prompts: [("a", "A red cube"), ("b", "A blue cube")],
            providerExtra: #", "concurrency": 1, "retry": { "initialDelaySeconds": 0.01, "maxAttempts": 2 }"#)
        // Submissions are recorded; the first task's record is refused, slowly: a run that did not wait
        // for it would have finished that job and paid for the next one by then.
        store.intercept { request in
            guard request.method == "PUT", String(decoding: request.body, as: UTF8.self).contains(#""event":"task""#) else { return nil }
            Thread.sleep(forTimeInterval: 0.4)
            return .json("no", status: 403)
        }
        let result = try await run(fake, manifest, machine: "a")
        #expect(result.status != 0)
        #expect(paidRequests(fake) == 1, "a job was paid for after the store refused a task's record")
        #expect(result.err.contains("submission journal"), "\(result.err)")
    }

    @Test func aJournalRecordTheToolDidNotWriteStopsTheRunBeforeAnyPayment() async throws {
        let fake = try DialectFakes.mountsea()
        let keys = try firstKeys(Self.twoMountseaJobs(fake))
        store["ac/\(MirroredJournalRecord.name(for: keys[0]))"] = Data(#"{"event":"task"}"#.utf8)
        let result = try await run(fake, Self.twoMountseaJobs(fake), machine: "a")
        #expect(result.status != 0 && result.status != ExitCode.jobsFailed.rawValue, "\(result.err)")
        #expect(paidRequests(fake) == 0)
        #expect(result.err.contains("is not a nanobatch journal record"), "\(result.err)")
    }

    @Test func tonightsBatchIsCollectedTomorrowOnAnEmptyRunner() async throws {
        let fake = try GeminiBatchFake()
        fake.pollsPending = 2
        let manifest = batchManifest(fake)
        let path = try workspace.write("batch-test.json", manifest)
        func run(_ machine: String, _ extra: [String]) async -> CLIResult {
            await runCLI(
                ["run", path, "--output", root(machine), "--store", store.url, "--quiet"] + extra, environment: ["NB_TEST_KEY": fake.key])
        }
        let tonight = await run("tonight", ["--no-wait"])
        #expect(tonight.status == ExitCode.pending.rawValue, "\(tonight.err)")
        #expect(fake.creationCount == 1)
        // The merged report on a third machine says where the jobs are.
        let report = await runCLI(["report", path, "--output", root("office"), "--store", store.url])
        #expect(report.status == 0, "\(report.err)")
        let merged = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: "\(root("office"))/batch-test/index.json")))
        #expect(merged["totals"]?["pending"]?.numberValue == 4, "\(report.out)")

        let tomorrow = await run("tomorrow", [])
        #expect(tomorrow.status == 0, "\(tomorrow.err)")
        #expect(fake.creationCount == 1, "the runner of the next day created another batch")
        let collected = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: "\(root("tomorrow"))/batch-test/index.json")))
        #expect(collected["totals"]?["made"]?.numberValue == 4, "\(tomorrow.err)")
        #expect(collected["totals"]?["resumedTasks"]?.numberValue == 4)
    }

    /// The content keys of a manifest's jobs.
    func firstKeys(_ manifest: String) throws -> [String] {
        let loaded = try ManifestLoader.load(path: try workspace.write("api-test.json", manifest))
        return try PlanEvaluator.evaluate(Planner.expand(loaded), store: ContentStore(root: workspace.outputRoot)).states.compactMap(\.key)
    }
}

/// Merging the store's records into a local journal: a record the local journal does not hold was
/// written elsewhere since, and is taken; one it holds is older than the local lines after it.
@Suite(.timeLimit(.minutes(1))) struct JournalImportTests {
    func record(_ event: String, _ key: String, time: Double, detail: String = "") -> SubmissionJournal.Record {
        SubmissionJournal.Record(event: event, time: time, key: key, provider: "api", job: "j-\(key)", manifest: "m", detail: detail)
    }

    @Test func aRecordFromTheStoreThatThisJournalHoldsDoesNotReopenAJobEndedHere() async throws {
        let workspace = try TestWorkspace()
        let now = Date().timeIntervalSince1970
        let old = record("task", "k1", time: now - 60, detail: "t-old")
        do {
            let local = try SubmissionJournal(
                root: workspace.outputRoot, manifest: "m", hasResult: { _ in false }, now: { now - 60 })
            await local.taskCreated(key: "k1", provider: "api", job: "j-k1", taskID: "t-old")
            local.ended(key: "k1", provider: "api", job: "j-k1")
        }
        // From a machine whose clock is an hour ahead: still taken, as this journal never saw it.
        let imported = [old, record("task", "k2", time: now + 3600, detail: "t-2")]
        let journal = try SubmissionJournal(root: workspace.outputRoot, manifest: "m", imported: imported, hasResult: { _ in false })
        #expect(journal.openTask(for: "k1", provider: "api") == nil, "a task from the store this journal had ended was reopened")
        #expect(journal.openTask(for: "k2", provider: "api")?.taskID == "t-2")
        // Kept in the local file: the next run resumes it without asking the store.
        let reopened = try SubmissionJournal(root: workspace.outputRoot, manifest: "m", hasResult: { _ in false })
        #expect(reopened.openTask(for: "k2", provider: "api")?.taskID == "t-2")
    }

    @Test func aRecordWrittenElsewhereReplacesTheLocalOneWhateverItsTime() throws {
        let workspace = try TestWorkspace()
        let now = Date().timeIntervalSince1970
        // Written by a machine whose clock is ten minutes behind.
        let imported = [record("task", "k1", time: now - 600, detail: "t-new")]
        do {
            let local = try SubmissionJournal(root: workspace.outputRoot, manifest: "m", hasResult: { _ in false })
            local.resultLocated(key: "k1", provider: "api", job: "j-k1", location: "https://example.com/old.png")
        }
        let journal = try SubmissionJournal(root: workspace.outputRoot, manifest: "m", imported: imported, hasResult: { _ in false })
        #expect(journal.openTask(for: "k1", provider: "api")?.taskID == "t-new")
    }

    @Test func aChainedJobLooksUpItsRecordBeforeItsFirstSubmission() async throws {
        let workspace = try TestWorkspace()
        let server = try MemoryCacheServer()
        let mirror = try quickMirror(server)
        let now = Date().timeIntervalSince1970
        // Another machine created a task for k1; k2's record in the store is one this journal wrote, then ended.
        try await mirror.write(record("task", "k1", time: now - 5, detail: "t-elsewhere"))
        try await mirror.write(record("task", "k2", time: now - 4, detail: "t-here"))
        do {
            let local = try SubmissionJournal(root: workspace.outputRoot, manifest: "m", hasResult: { _ in false }, now: { now - 4 })
            await local.taskCreated(key: "k2", provider: "api", job: "j-k2", taskID: "t-here")
            local.ended(key: "k2", provider: "api", job: "j-k2")
        }
        let journal = try SubmissionJournal(root: workspace.outputRoot, manifest: "m", mirror: mirror, hasResult: { _ in false })
        #expect(journal.openTask(for: "k1", provider: "api") == nil)
        try await journal.lookUpInStore(key: "k1", provider: "api")
        #expect(journal.openTask(for: "k1", provider: "api")?.taskID == "t-elsewhere")
        try await journal.lookUpInStore(key: "k2", provider: "api")
        #expect(journal.openTask(for: "k2", provider: "api") == nil, "a task this journal ended was reopened from the store")
        // Looked up once per run.
        let reads = server.requests.filter { $0.method == "GET" }.count
        try await journal.lookUpInStore(key: "k1", provider: "api")
        #expect(server.requests.filter { $0.method == "GET" }.count == reads)
        // A store that cannot answer: an error, so nothing is sent.
        server.stop()
        await #expect(throws: (any Error).self) { try await journal.lookUpInStore(key: "k3", provider: "api") }
    }

    /// A mirror against `server` that tries each request once.
    func quickMirror(_ server: MemoryCacheServer) throws -> JournalMirror {
        let once = RemoteStorePolicy(
            requestTimeout: .seconds(20),
            retry: RetryPolicy(maxAttempts: 1, initialDelay: 0.01, multiplier: 1, maximumDelay: 0.01, jitter: 0, longestHonouredWait: 1),
            concurrency: 4, maxImageBytes: 1 << 20, maxRecordBytes: 1 << 16)
        let settings = RemoteStoreSettings(url: try #require(URL(string: server.url)), policy: once)
        return JournalMirror(client: RemoteStoreClient(settings: settings, transport: SocketHTTPTransport()), shard: nil)
    }

    @Test func aTaskTooOldToResumeIsReportedOnceAndClosedInTheStore() async throws {
        let workspace = try TestWorkspace()
        let server = try MemoryCacheServer()
        let mirror = try quickMirror(server)
        let stale = record("task", "k1", time: Date().timeIntervalSince1970 - 30 * 3600, detail: "t-old")
        try await mirror.write(stale)
        let journal = try SubmissionJournal(
            root: workspace.outputRoot, manifest: "m", mirror: mirror, imported: try await mirror.records(for: ["k1"]),
            hasResult: { _ in false })
        #expect(journal.unresolved.map(\.key) == ["k1"], "a task past its window is reported as possibly paid")
        await mirror.flush()
        let closed = try await mirror.records(for: ["k1"])
        #expect(closed.map(\.event) == ["end"], "the store still holds the expired task: every machine would report it again")
    }

    @Test func aStoppedCallerStopsWaitingForATaskRecordButTheRecordStillReachesTheStore() async throws {
        let server = try MemoryCacheServer()
        let gate = DispatchSemaphore(value: 0)
        server.intercept { request in
            if request.method == "PUT" { gate.wait() }
            return nil
        }
        let mirror = try quickMirror(server)
        let now = Date().timeIntervalSince1970
        // The job's submission is still on its way to the store; its task record waits behind it.
        mirror.send(record("submit", "k1", time: now))
        #expect(try await eventually { server.requests.contains { $0.method == "PUT" } })
        let waiter = Task { try await mirror.write(record("task", "k1", time: now + 1, detail: "t-1")) }
        waiter.cancel()
        _ = try? await waiter.value
        gate.signal()
        gate.signal()
        await mirror.flush()
        #expect(try await mirror.records(for: ["k1"]).map(\.detail) == ["t-1"], "the paid task's record was given up with its caller")
    }

    @Test func aStoppedRunsFlushGivesUpOnAStoreThatDoesNotAnswer() async throws {
        let server = try MemoryCacheServer()
        let gate = DispatchSemaphore(value: 0)
        server.intercept { request in
            if request.method == "PUT" { gate.wait() }
            return nil
        }
        defer { for _ in 0..<8 { gate.signal() } }
        let mirror = try quickMirror(server)
        let now = Date().timeIntervalSince1970
        // Two records of one job: the second waits behind the first, which the store never answers.
        mirror.send(record("task", "k1", time: now, detail: "t-1"))
        mirror.send(record("end", "k1", time: now + 1))
        #expect(try await eventually { server.requests.contains { $0.method == "PUT" } })
        await mirror.flush(within: .milliseconds(200))
        // Given up at the limit (cancelled), not when the request timed out 20 s later.
        let reason = mirror.failure?.reason.lowercased() ?? "none"
        #expect(reason.contains("cancel"), "\(reason)")
    }

    @Test func aRecordOfAnotherKindOrKeyIsRefused() throws {
        let source = URL(fileURLWithPath: "/store/ac/x")
        let good = MirroredJournalRecord(record("task", "k1", time: 1, detail: "t-1"), shard: "2/4")
        #expect(try MirroredJournalRecord.decode(good.encoded, key: "k1", source: source) == good)
        #expect(throws: RemoteStoreError.self) { try MirroredJournalRecord.decode(good.encoded, key: "k2", source: source) }
        var noDetail = good
        noDetail.detail = ""
        #expect(throws: RemoteStoreError.self) { try MirroredJournalRecord.decode(noDetail.encoded, key: "k1", source: source) }
        var otherEvent = good
        otherEvent.event = "paid"
        #expect(throws: RemoteStoreError.self) { try MirroredJournalRecord.decode(otherEvent.encoded, key: "k1", source: source) }
        #expect(MirroredJournalRecord.name(for: "k1").count == 64 && MirroredJournalRecord.name(for: "k1") != "k1")
    }
}
