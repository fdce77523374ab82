import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// No paid request goes out unless its journal record is durable: a journal that cannot be written
/// stops paid work, and the run ends with the "cannot continue" status, keeping finished images.
@Suite(.timeLimit(.minutes(2))) struct JournalFailClosedTests {
    func paidRequests(_ fake: FakeAPI) -> Int { fake.requests.filter { $0.method == "POST" }.count }

    @Test func aJournalOnAFullDiskSendsNoPaidRequestAndExitsFour() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        let retry = #", "retry": { "initialDelaySeconds": 0.01 }"#
        let one = apiManifest(dialect: "openai-images", fake: fake, models: ["nano-banana"], providerExtra: retry)
        #expect(try await runAgainst(fake, one, in: workspace).status == 0)
        #expect(paidRequests(fake) == 1)

        // The disk is full for the journal: every write to it fails with ENOSPC.
        let journalPath = OutputLayout(root: workspace.outputRoot).journalPath
        try FileManager.default.removeItem(atPath: journalPath)
        try FileManager.default.createSymbolicLink(atPath: journalPath, withDestinationPath: "/dev/full")
        let three = apiManifest(
            dialect: "openai-images", fake: fake, models: ["nano-banana"],
            prompts: [("hero", "A red cube"), ("shelf", "A shelf of cubes"), ("lamp", "A lamp")], providerExtra: retry)
        let result = try await runAgainst(fake, three, in: workspace)
        #expect(result.status == ExitCode.cannotContinue.rawValue, "\(result.err)")
        #expect(paidRequests(fake) == 1, "a paid request went out without its journal record")
        #expect(result.err.contains("No space left on device") && result.err.contains("new submissions were stopped"), "\(result.err)")
        #expect(result.err.contains("finished images are kept"), "\(result.err)")
        let index = try readIndex(workspace, manifest: "api-test")
        #expect(statuses(index).values.filter { $0 == "cached" }.count == 1, "the finished image is kept")
        for row in index.jobRows where row["status"]?.stringValue != "cached" {
            #expect(row["error"]?.stringValue?.contains("cannot be written") == true, "\(row.serialized())")
        }
    }

    /// The task line of a created task cannot be synced: that task is still taken to its end (it is
    /// paid, and polling is free), but no other job is submitted.
    @Test func aTaskLineThatCannotBeSyncedStopsEveryOtherSubmission() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"],
            prompts: [("a", "A red cube"), ("b", "A blue cube"), ("c", "A green cube")],
            providerExtra: #", "concurrency": 1, "retry": { "initialDelaySeconds": 0.01 }"#)
        let store = ContentStore(root: workspace.outputRoot)
        let syncs = Locked(0)
        let journal = try SubmissionJournal(
            root: workspace.outputRoot, manifest: "api-test", hasResult: { store.lookup($0) != nil },
            dataSync: syncsThenFails(counting: syncs))
        let outcomes = try await runThroughRunner(fake, manifest, in: workspace, store: store, journal: journal, concurrency: 1)
        #expect(fake.createdTasks.count == 1, "a task was paid for after the journal failed")
        #expect(outcomes[0].status == .made, "\(outcomes[0].error ?? "")")
        for outcome in outcomes.dropFirst() {
            #expect(outcome.status != .made)
            #expect(outcome.error?.contains("cannot be written") == true, "\(outcome.error ?? "")")
        }
        #expect(journal.failure != nil)
    }
}
