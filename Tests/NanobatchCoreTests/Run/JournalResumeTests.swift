import Foundation
import LoopbackHTTP
import SocketHTTP
import Testing

@testable import NanobatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// An async dialect's fake and a model it offers, for tests run against each one.
struct AsyncDialectCase: Sendable, CustomStringConvertible {
    let dialect: String
    let model: String
    let makeFake: @Sendable () throws -> FakeAPI
    var description: String { dialect }

    static let all = [
        AsyncDialectCase(dialect: "mountsea", model: "nano-banana-fast") { try DialectFakes.mountsea() },
        AsyncDialectCase(dialect: "image-tasks", model: "NanoBanana") { try DialectFakes.imageTasks() },
        AsyncDialectCase(dialect: "evolink", model: "nano-banana-beta") { try DialectFakes.evolink() },
    ]
}

/// A store whose disk is full: it looks up and hands out temporary files, but takes no image.
final class StoreThatCannotCommit: ImageStore {
    let inner: ContentStore
    init(_ inner: ContentStore) { self.inner = inner }

    func lookup(_ key: String) -> StoreEntry? { inner.lookup(key) }
    func hasBlob(for key: String) -> Bool { inner.hasBlob(for: key) }
    func temporaryFile(for key: String) throws -> URL { try inner.temporaryFile(for: key) }
    func commit(temporary: URL, key: String) throws -> StoreEntry { throw FileIO.Failure(operation: "write", path: "blob", code: ENOSPC) }
    func commit(image: Data, key: String) throws -> StoreEntry { throw FileIO.Failure(operation: "write", path: "blob", code: ENOSPC) }
    func isLinked(_ entry: StoreEntry, at friendlyPath: String) -> Bool { inner.isLinked(entry, at: friendlyPath) }
    func link(_ entry: StoreEntry, to friendlyPath: String) throws -> String? { try inner.link(entry, to: friendlyPath) }
}

/// Runs a manifest against a fake through the runner itself, with the store and journal given.
func runThroughRunner(
    _ fake: FakeAPI, _ manifest: String, in workspace: TestWorkspace, store: any ImageStore, journal: SubmissionJournal,
    concurrency: Int = 4
) async throws -> [JobOutcome] {
    let loaded = try ManifestLoader.load(path: try workspace.write("api-test.json", manifest))
    let plan = try PlanEvaluator.evaluate(Planner.expand(loaded), store: store)
    let lanes = try ProviderLane.make(
        for: plan, manifest: loaded, environment: ["NB_TEST_KEY": fake.key], plainHTTP: SocketHTTPTransport(), override: nil)
    return await Runner(
        plan: plan, store: store, lanes: lanes, layout: OutputLayout(root: workspace.outputRoot), manifestName: loaded.name,
        limits: RunLimits(concurrency: concurrency), journal: journal
    ).run()
}

/// The key and id of a manifest's first job.
func firstJob(of manifest: String, in workspace: TestWorkspace) throws -> (key: String, id: String) {
    let loaded = try ManifestLoader.load(path: try workspace.write("api-test.json", manifest))
    let plan = try PlanEvaluator.evaluate(Planner.expand(loaded), store: ContentStore(root: workspace.outputRoot))
    return (try #require(plan.states[0].key), plan.graph.jobs[0].id)
}

/// Reruns never pay again for work the provider already did: a task or result URL in the journal is
/// fetched again, whatever went wrong after it was paid for.
@Suite(.timeLimit(.minutes(2))) struct JournalResumeTests {
    static let fastRetry = #", "retry": { "initialDelaySeconds": 0.01 }"#

    func paidRequests(_ fake: FakeAPI) -> Int { fake.requests.filter { $0.method == "POST" }.count }

    @Test func aMadeImageTheStoreRefusedIsFetchedAgainNotPaidAgain() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], prompts: [("a", "A red cube"), ("b", "A blue cube")],
            providerExtra: Self.fastRetry)
        let store = ContentStore(root: workspace.outputRoot)
        let journal = try SubmissionJournal(root: workspace.outputRoot, manifest: "api-test") { store.lookup($0) != nil }
        let outcomes = try await runThroughRunner(fake, manifest, in: workspace, store: StoreThatCannotCommit(store), journal: journal)
        #expect(outcomes.map(\.status) == [.failed, .failed])
        #expect(outcomes.allSatisfy { $0.error?.contains("downloads it again instead of paying") == true }, "\(outcomes.map(\.error))")
        #expect(fake.createdTasks.count == 2)

        let rerun = try await runAgainst(fake, manifest, in: workspace)
        #expect(rerun.status == 0, "\(rerun.err)")
        #expect(fake.createdTasks.count == 2, "the rerun paid for new tasks")
        let rows = try readIndex(workspace, manifest: "api-test").jobRows
        #expect(Set(rows.compactMap { $0["resumedTask"]?.stringValue }) == Set(fake.createdTasks.map(\.id)))
    }

    /// A journaled task finished, but its image is gone (result URLs live about 24 h): the job
    /// fails with a clear message and no new task; the record is closed, so the next run pays.
    @Test(arguments: AsyncDialectCase.all)
    func aResumedTaskWhoseImageIsGoneFailsWithoutPayingAgain(_ dialect: AsyncDialectCase) async throws {
        let fake = try dialect.makeFake()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(dialect: dialect.dialect, fake: fake, models: [dialect.model], providerExtra: Self.fastRetry)
        let job = try firstJob(of: manifest, in: workspace)
        let taskID = fake.createTask(ratio: "16:9", outcome: .succeed)
        try await SubmissionJournal(root: workspace.outputRoot, manifest: "api-test") { _ in false }
            .taskCreated(key: job.key, provider: "api", job: job.id, taskID: taskID)
        // The result URL answers 404, with a body in the provider's own error format.
        fake.injectFaults { _, request in
            request.path.hasPrefix("/files/") ? FakeAPI.openAIError(404, code: "resource_not_found", message: "expired") : nil
        }

        let first = try await runAgainst(fake, manifest, in: workspace)
        #expect(first.status == 1, "\(first.err)")
        #expect(paidRequests(fake) == 0, "a new task was paid for")
        #expect(first.err.contains("can no longer be downloaded") && first.err.contains("the next run pays"), "\(first.err)")
        let reopened = try SubmissionJournal(root: workspace.outputRoot, manifest: "api-test") { _ in false }
        #expect(reopened.openTask(for: job.key, provider: "api") == nil, "closed as lost")
        #expect(reopened.unresolved == [], "told already; not reported again as possibly paid")

        fake.injectFaults { _, _ in nil }
        let second = try await runAgainst(fake, manifest, in: workspace)
        #expect(second.status == 0, "\(second.err)")
        #expect(paidRequests(fake) == 1)
    }

    @Test func aSynchronousResultWhoseDownloadFailedIsFetchedAgainNotPaidAgain() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        fake.injectFaults { _, request in request.path.hasPrefix("/files/") ? .json(#"{"error":"busy"}"#, status: 503) : nil }
        let manifest = apiManifest(dialect: "openai-images", fake: fake, models: ["nano-banana"], providerExtra: Self.fastRetry)
        let first = try await runAgainst(fake, manifest, in: workspace)
        #expect(first.status == 1)
        #expect(paidRequests(fake) == 1)

        fake.injectFaults { _, _ in nil }
        let second = try await runAgainst(fake, manifest, in: workspace)
        #expect(second.status == 0, "\(second.err)")
        #expect(paidRequests(fake) == 1, "the rerun paid again for an image it had a URL for")
        let row = try readIndex(workspace, manifest: "api-test").jobRows.first
        #expect(row?["notes"]?.serialized().contains("downloaded the result an earlier run was answered with") == true)
        #expect(row?["attempts"]?.numberValue == 0)
    }

    /// The journaled result URL is gone by the rerun: the job fails, nothing is paid, and the
    /// record is closed as lost (the next run pays, as the message says).
    @Test func aSynchronousResultThatIsGoneFailsWithoutPayingAgain() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        fake.injectFaults { _, request in request.path.hasPrefix("/files/") ? .json(#"{"error":"busy"}"#, status: 503) : nil }
        let manifest = apiManifest(dialect: "openai-images", fake: fake, models: ["nano-banana"], providerExtra: Self.fastRetry)
        #expect(try await runAgainst(fake, manifest, in: workspace).status == 1)
        fake.injectFaults { _, request in request.path.hasPrefix("/files/") ? .json(#"{"error":"gone"}"#, status: 404) : nil }
        let second = try await runAgainst(fake, manifest, in: workspace)
        #expect(second.status == 1)
        #expect(paidRequests(fake) == 1)
        #expect(second.err.contains("can no longer be downloaded"), "\(second.err)")
        fake.injectFaults { _, _ in nil }
        #expect(try await runAgainst(fake, manifest, in: workspace).status == 0)
        #expect(paidRequests(fake) == 2)
    }

    /// evolink submits a task again when it fails with a "retry later" code; a failed download of a
    /// finished task is not such a failure, whatever the download's error body says.
    @Test func aFinishedTaskWhoseDownloadFailsIsNotSubmittedAgain() async throws {
        let fake = try DialectFakes.evolink()
        let workspace = try TestWorkspace()
        fake.injectFaults { _, request in
            request.path.hasPrefix("/files/") ? FakeAPI.openAIError(503, code: "service_unavailable", message: "busy") : nil
        }
        let manifest = apiManifest(dialect: "evolink", fake: fake, models: ["nano-banana-beta"], providerExtra: Self.fastRetry)
        let first = try await runAgainst(fake, manifest, in: workspace)
        #expect(first.status == 1)
        #expect(paidRequests(fake) == 1, "a finished task was paid for again")
        let job = try firstJob(of: manifest, in: workspace)
        let journal = try SubmissionJournal(root: workspace.outputRoot, manifest: "api-test") { _ in false }
        #expect(journal.openTask(for: job.key, provider: "api")?.taskID == fake.createdTasks.first?.id, "kept for the rerun")
    }

    @Test func aTaskWithALongIDIsResumedNotPaidAgain() async throws {
        let fake = try DialectFakes.mountsea()
        fake.taskIDFiller = String(repeating: "0123456789", count: 150)
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], prompts: [("slow", "A slow sunrise [stuck]")],
            providerExtra: Self.fastRetry)
        let first = Task { try await runAgainst(fake, manifest, in: workspace) }
        #expect(try await eventually(within: .seconds(60)) { fake.requests.contains { $0.path.hasSuffix("/gemini/task/result") } })
        first.cancel()
        #expect(try await first.value.status == 130)

        fake.releaseStuckTasks()
        let second = try await runAgainst(fake, manifest, in: workspace)
        #expect(second.status == 0, "\(second.err)")
        #expect(fake.createdTasks.count == 1, "the task was created again")
        #expect(fake.createdTasks.first?.id.utf8.count ?? 0 > 1500)
        #expect(fake.violations == [])
    }

    @Test func aTaskIDHoldingTheKeyNeverReachesTheJournal() async throws {
        let fake = try DialectFakes.mountsea()
        fake.taskIDFiller = "-" + fake.key
        let workspace = try TestWorkspace()
        let manifest = apiManifest(dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], providerExtra: Self.fastRetry)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(filesAndTextsMentioning(fake.key, under: workspace, texts: [result.out, result.err]) == [])
        let row = try readIndex(workspace, manifest: "api-test").jobRows.first
        #expect(row?["notes"]?.serialized().contains("not journaled") == true, "\(row?.serialized() ?? "")")
    }

    /// A poll refused for good (the key was revoked mid-run) does not close the paid task: the next
    /// run, with a working key, polls it instead of paying again.
    @Test func aTaskWhosePollIsRefusedStaysOpenForTheNextRun() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        fake.injectFaults { _, request in
            request.method == "GET" && request.path.hasSuffix("/gemini/task/result")
                ? FakeAPI.openAIError(401, code: "invalid_api_key", message: "key revoked") : nil
        }
        let manifest = apiManifest(dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], providerExtra: Self.fastRetry)
        #expect(try await runAgainst(fake, manifest, in: workspace).status != 0)
        #expect(paidRequests(fake) == 1)
        let job = try firstJob(of: manifest, in: workspace)
        let journal = try SubmissionJournal(root: workspace.outputRoot, manifest: "api-test") { _ in false }
        #expect(journal.openTask(for: job.key, provider: "api") != nil, "the paid task was closed")

        fake.injectFaults { _, _ in nil }
        #expect(try await runAgainst(fake, manifest, in: workspace).status == 0)
        #expect(paidRequests(fake) == 1, "the task was paid for again")
    }
}
