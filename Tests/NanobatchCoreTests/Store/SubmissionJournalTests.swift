import Foundation
import Testing

@testable import NanobatchCore

#if canImport(Glibc)
    import Glibc
#endif

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
        try await journal.submitting(key: "k1", provider: "api", job: "a")
        await journal.taskCreated(key: "k1", provider: "api", job: "a", taskID: "t-1")
        try await journal.submitting(key: "k2", provider: "api", job: "b")
        await journal.taskCreated(key: "k2", provider: "api", job: "b", taskID: "t-2")
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
                return fdatasync(fd)
            })
        let callers = 16
        await withTaskGroup(of: Void.self) { group in
            for number in 0..<callers {
                group.addTask { try? await journal.submitting(key: "k\(number)", provider: "api", job: "job-\(number)") }
            }
        }
        #expect(journal.syncCount >= 1 && journal.syncCount <= 3, "not one sync per caller: \(journal.syncCount)")
        // A task line from a synchronous caller is durable when the call returns, and shares syncs too.
        await journal.taskCreated(key: "k0", provider: "api", job: "job-0", taskID: "t-0")
        let reopened = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(Set(reopened.unresolved.map(\.job)) == Set((1..<callers).map { "job-\($0)" }), "every line whole")
        #expect(reopened.openTask(for: "k0", provider: "api")?.taskID == "t-0")
    }

    @Test func aTornLastLineIsIgnored() async throws {
        let workspace = try TestWorkspace()
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        await journal.taskCreated(key: "k1", provider: "api", job: "a", taskID: "t-1")
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
        try await journal.submitting(key: "lost", provider: "api", job: "lost-job")
        try await journal.submitting(key: "stored", provider: "api", job: "stored-job")
        await journal.taskCreated(key: "old", provider: "api", job: "old-job", taskID: "t-old")

        clock.advance(SubmissionJournal.resumeWindow + 60)
        let later = try SubmissionJournal(root: workspace.outputRoot, hasResult: { $0 == "stored" }, now: { clock.now })
        #expect(later.unresolved.map(\.job).sorted() == ["lost-job", "old-job"])
        #expect(later.openTask(for: "old", provider: "api") == nil, "a task older than the result-URL lifetime is not resumed")

        let again = try SubmissionJournal(root: workspace.outputRoot, hasResult: { _ in false }, now: { clock.now })
        #expect(again.unresolved == [])
    }

    @Test func fieldsCannotBreakTheLineFormat() async throws {
        let workspace = try TestWorkspace()
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        await journal.taskCreated(key: "k", provider: "api", job: "a", taskID: "evil\tid\nv1\tend\t0\tk\tapi\ta")
        let reopened = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(reopened.openTask(for: "k", provider: "api")?.taskID == "evil\tid\nv1\tend\t0\tk\tapi\ta", "kept whole")
    }

    // MARK: Fail closed

    @Test func aFailedSyncRefusesThatSubmissionAndEveryLaterOne() async throws {
        let workspace = try TestWorkspace()
        let syncs = Locked(0)
        // The first sync succeeds, every later one fails as a full or broken disk would.
        let journal = try SubmissionJournal(
            root: workspace.outputRoot, hasResult: { _ in false },
            dataSync: syncsThenFails(counting: syncs))
        try await journal.submitting(key: "k1", provider: "api", job: "a")
        #expect(journal.failure == nil)
        await #expect(throws: JournalFailure.self) { try await journal.submitting(key: "k2", provider: "api", job: "b") }
        let failure = try #require(journal.failure)
        #expect(failure.reason.contains("sync") && failure.description.contains("no paid request is sent"), "\(failure)")
        // Refused at once from now on, without touching the file.
        await #expect(throws: JournalFailure.self) { try await journal.submitting(key: "k3", provider: "api", job: "c") }
        #expect(syncs.withLock { $0 } == 2)
        await journal.taskCreated(key: "k1", provider: "api", job: "a", taskID: "t-1")  // returns; the failure stays
        #expect(journal.failure == failure)
    }

    /// A real write failure: the journal is a symlink to /dev/full, where every write fails with ENOSPC.
    @Test func aJournalOnAFullDiskRefusesSubmissions() async throws {
        let workspace = try TestWorkspace()
        let layout = OutputLayout(root: workspace.outputRoot)
        try FileIO.createDirectory((layout.journalPath as NSString).deletingLastPathComponent)
        try FileManager.default.createSymbolicLink(atPath: layout.journalPath, withDestinationPath: "/dev/full")
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        await #expect(throws: JournalFailure.self) { try await journal.submitting(key: "k1", provider: "api", job: "a") }
        #expect(journal.failure?.reason.contains("No space left on device") == true, "\(String(describing: journal.failure))")
    }

    // MARK: Corrupt and long lines

    /// Hand-edited or corrupt times: nothing traps, and no submission or task is lost (their time
    /// is read as now, so a task is resumable for one more window, then expires as usual).
    @Test func implausibleTimesNeitherTrapNorLoseRecords() async throws {
        let workspace = try TestWorkspace()
        let path = OutputLayout(root: workspace.outputRoot).journalPath
        let badTimes = ["inf", "-inf", "nan", "1e300", "-1e300"]
        var text = ""
        for (number, time) in badTimes.enumerated() {
            text += "v1\ttask\t\(time)\tt\(number)\tapi\tjob-t\(number)\ttask-\(number)\n"
            text += "v2\tsubmit\t\(time)\ts\(number)\tapi\tjob-s\(number)\t\n"
            text += "v2\tsubmit\t\(time)\te\(number)\tapi\tjob-e\(number)\t\n"
            text += "v2\tend\t\(time)\te\(number)\tapi\tjob-e\(number)\t\n"
        }
        try writeJournal(text, in: workspace)
        let clock = FakeClock(1_763_700_000)
        let journal = try SubmissionJournal(root: workspace.outputRoot, hasResult: { _ in false }, now: { clock.now })
        for number in badTimes.indices {
            #expect(journal.openTask(for: "t\(number)", provider: "api")?.taskID == "task-\(number)")
            #expect(journal.openTask(for: "t\(number)", provider: "api")?.createdAt == clock.now)
        }
        #expect(journal.unresolved.map(\.job) == badTimes.indices.map { "job-s\($0)" })
        #expect(Set(journal.unresolved.map(\.submittedAt)) == [SubmissionJournal.timestamp(clock.now)])
        #expect(SubmissionJournal.analyse(SubmissionJournal.read(path).records, hasResult: { _ in false }, now: clock.now).tasks.count == 5)

        clock.advance(SubmissionJournal.resumeWindow + 1)
        let later = try SubmissionJournal(root: workspace.outputRoot, hasResult: { _ in false }, now: { clock.now })
        #expect(later.openTask(for: "t0", provider: "api") == nil, "expired one window after it was first read")
        #expect(later.unresolved.count == 5)
    }

    @Test func idsOfAnyLengthAndContentComeBackWhole() async throws {
        let workspace = try TestWorkspace()
        let strange = "a%25b\tc\nd\re\u{0}f%" + String(repeating: "é∆x", count: 3000)
        let journal = try SubmissionJournal(root: workspace.outputRoot, manifest: "m\tn") { _ in false }
        await journal.taskCreated(key: "k", provider: "api", job: "j\nk", taskID: strange)
        journal.resultLocated(key: "k2", provider: "api", job: "j2", location: "https://cdn.test/x?sig=" + strange)
        let records = SubmissionJournal.read(journal.path).records
        #expect(records.map(\.detail) == [strange, "https://cdn.test/x?sig=" + strange])
        #expect(records.map(\.manifest) == ["m\tn", "m\tn"] && records.first?.job == "j\nk")
        let reopened = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(reopened.openTask(for: "k", provider: "api")?.taskID == strange)
        #expect(reopened.openTask(for: "k2", provider: "api")?.resultLocation == "https://cdn.test/x?sig=" + strange)
    }

    @Test func versionOneLinesAreReadAndRewrittenAsVersionTwo() throws {
        let workspace = try TestWorkspace()
        let path = OutputLayout(root: workspace.outputRoot).journalPath
        try writeJournal("v1\tsubmit\t1763700000.000\tk1\tapi\ta\nv1\ttask\t1763700000.500\tk1\tapi\ta\tt%41\n", in: workspace)
        let journal = try SubmissionJournal(root: workspace.outputRoot, hasResult: { _ in false }, now: { 1_763_700_100 })
        #expect(journal.openTask(for: "k1", provider: "api")?.taskID == "t%41", "version 1 fields are not unescaped")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "v2\ttask\t1763700000.500\tk1\tapi\ta\t\tt%2541\n")
    }

    @Test func aTornLineIsNotExtendedByTheNextRun() async throws {
        let workspace = try TestWorkspace()
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        let handle = try #require(FileHandle(forWritingAtPath: journal.path))
        handle.write(Data("v2\ttask\t1763700000.000\tk0\tapi\ta\t\tt-".utf8))  // killed mid-write
        try handle.close()
        let next = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        await next.taskCreated(key: "k1", provider: "api", job: "b", taskID: "t-1")
        let reopened = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(reopened.openTask(for: "k1", provider: "api")?.taskID == "t-1", "the line after a torn one is whole")
    }

    // MARK: Manifests sharing a root

    @Test func unresolvedSubmissionsGoOnlyToTheManifestThatMadeThem() async throws {
        let workspace = try TestWorkspace()
        let first = try SubmissionJournal(root: workspace.outputRoot, manifest: "a") { _ in false }
        try await first.submitting(key: "k1", provider: "api", job: "shared-job-id")
        await first.taskCreated(key: "k2", provider: "api", job: "open", taskID: "t-2")

        let other = try SubmissionJournal(root: workspace.outputRoot, manifest: "b") { _ in false }
        #expect(other.unresolved == [], "another manifest's submission is not reported to b")
        #expect(other.openTask(for: "k2", provider: "api")?.taskID == "t-2", "open tasks serve every manifest (same key, same image)")
        let owner = try SubmissionJournal(root: workspace.outputRoot, manifest: "a") { _ in false }
        #expect(owner.unresolved.map(\.job) == ["shared-job-id"], "kept for a, and reported to it")
        let again = try SubmissionJournal(root: workspace.outputRoot, manifest: "a") { _ in false }
        #expect(again.unresolved == [], "reported once")
    }
}

/// Writes a journal file by hand, as an older version, an editor or a corrupted disk would leave it.
func writeJournal(_ text: String, in workspace: TestWorkspace) throws {
    let path = OutputLayout(root: workspace.outputRoot).journalPath
    try FileIO.createDirectory((path as NSString).deletingLastPathComponent)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// A journal sync hook that syncs for real the first time, then fails with EIO (a disk gone bad),
/// counting every call in `syncs`.
func syncsThenFails(counting syncs: Locked<Int>) -> @Sendable (Int32) -> Int32 {
    { fd in
        let number = syncs.withLock {
            $0 += 1
            return $0
        }
        guard number > 1 else { return fdatasync(fd) }
        errno = EIO
        return -1
    }
}
