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
