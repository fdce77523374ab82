import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Append-only record of paid submissions under `<output root>/.nanobatch/journal`, shared by every
/// manifest using that root (runs on one root are serialised by the run lock).
///
/// One line per event (format in `SubmissionJournal+Format.swift`), fsynced before the run goes on:
/// - `submit` — a paid request is about to be sent (no request goes out unless this line is durable);
/// - `task` — an async provider returned this task id;
/// - `result` — a synchronous provider answered with this result URL (written before downloading it);
/// - `end` — the job finished (made, or failed for good);
/// - `lost` — the provider finished (and charged), but the result can no longer be downloaded.
///
/// A rerun resumes a journaled task or downloads a journaled result URL instead of paying again; a
/// submission with no task, no end and no image in the store may have been paid without a result
/// and is reported once, to the manifest that made it. A line cut short by a crash is ignored.
/// When a line cannot be written the journal fails closed: see `failure`.
package final class SubmissionJournal: Sendable {
    /// A journaled task or result URL with no end record: paid work a rerun can pick up for free.
    struct OpenTask: Sendable, Equatable {
        var key: String
        var provider: String
        var job: String
        /// A `task` (id) or `result` (URL) record.
        var event: String
        var detail: String
        /// Seconds since 1970.
        var createdAt: Double
        var manifest: String

        /// The async task to poll again.
        var taskID: String? { event == "task" ? detail : nil }
        /// The result URL of a synchronous request, to download again.
        var resultLocation: String? { event == "result" ? detail : nil }
        /// The display name of a provider-side batch about to be created: find it by listing, do not create another.
        var batchIntent: String? { event == "intent" ? detail : nil }

        var record: Record {
            Record(event: event, time: createdAt, key: key, provider: provider, job: job, manifest: manifest, detail: detail)
        }
    }

    /// A submission from an earlier run that ended neither with an image nor with an answer.
    struct Unresolved: Sendable, Equatable, Codable {
        var key: String
        var provider: String
        var job: String
        var submittedAt: String
    }

    /// How long a journaled task is worth polling again: result URLs live 24 h (evolink documents
    /// this; the others say nothing, so the same is assumed).
    static let resumeWindow: Double = 24 * 3600

    let path: String
    /// The manifest whose run writes the new lines (the journal is shared by every manifest on a root).
    let manifest: String
    let writer: JournalWriter
    /// Syncs done so far (several appends share one when they arrive together).
    var syncCount: Int { writer.syncCount }
    let openTasks: Locked<[String: OpenTask]>
    /// This manifest's submissions of earlier runs found without a result when the journal was opened.
    let unresolved: [Unresolved]
    let now: @Sendable () -> Double

    /// Reads the journal, keeps what is still open (and other manifests' unresolved submissions, for
    /// them to report), and rewrites the file when that differs from what it holds. `hasResult`
    /// says whether the store already holds a key's image. `dataSync` returns 0, or -1 with `errno`.
    init(
        root: URL, manifest: String = "", hasResult: (String) -> Bool,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        dataSync: @escaping @Sendable (Int32) -> Int32 = { fdatasync($0) }
    ) throws {
        path = OutputLayout(root: root).journalPath
        self.manifest = manifest
        self.now = now
        let contents = SubmissionJournal.readContents(path)
        let analysis = SubmissionJournal.analyse(contents.records, manifest: manifest, hasResult: hasResult, now: now())
        unresolved = analysis.unresolved
        openTasks = Locked(analysis.tasks)
        try FileIO.createDirectory((path as NSString).deletingLastPathComponent)
        let kept = analysis.kept.map(SubmissionJournal.line).joined()
        // Also rewritten when a crash left a line without its newline, so the next line starts whole.
        if contents.lines > 0, Data(kept.utf8) != contents.data {
            try FileIO.writeAtomically(Data(kept.utf8), to: path)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIO.Failure(operation: "open", path: path, code: errno) }
        writer = JournalWriter(fd: fd, path: path, dataSync: dataSync)
    }

    deinit { writer.finish() }

    /// Why the journal stopped taking lines, if it did: from then on `submitting` refuses every paid request.
    var failure: JournalFailure? { writer.failure }

    /// The open task, result URL or batch intent for `key` at `provider`, if one was journaled within the resume window.
    func openTask(for key: String, provider: String) -> OpenTask? {
        openTasks.withLock { $0[key].flatMap { $0.provider == provider ? $0 : nil } }
    }

    /// Returns once the submit line is on disk: call before the paid request is sent, and send it
    /// only if this returns. Throws `JournalFailure` when the line cannot be made durable.
    func submitting(key: String, provider: String, job: String) async throws {
        try await writer.appendDurably(line("submit", key, provider, job, nil))
    }

    /// Blocks until the task line is on disk (the provider's callback is synchronous). A failure is
    /// kept in `failure`: the task goes on (polling is free), but nothing more is paid for.
    func taskCreated(key: String, provider: String, job: String, taskID: String) {
        opened(OpenTask(key: key, provider: provider, job: job, event: "task", detail: taskID, createdAt: now(), manifest: manifest))
    }

    /// Writes a synchronous request's result URL before it is downloaded, without waiting for a sync:
    /// the line survives the process being killed at once, and reaches the disk with the next sync (a
    /// later `submit` line's, which covers the whole file). Only a machine crash in between loses it;
    /// the submission is then reported as possibly paid, never paid again silently.
    func resultLocated(key: String, provider: String, job: String, location: String) {
        let task = OpenTask(key: key, provider: provider, job: job, event: "result", detail: location, createdAt: now(), manifest: manifest)
        openTasks.withLock { $0[task.key] = task }
        writer.writeNow(SubmissionJournal.line(task.record))
    }

    private func opened(_ task: OpenTask) {
        openTasks.withLock { $0[task.key] = task }
        let written = DispatchSemaphore(value: 0)
        writer.appendDurably(SubmissionJournal.line(task.record)) { _ in written.signal() }
        written.wait()
    }

    /// The job is over; an end lost to a crash is harmless (the store or the next answer settles it).
    func ended(key: String, provider: String, job: String) {
        openTasks.withLock { $0[key] = nil }
        writer.writeNow(line("end", key, provider, job, nil))
    }

    /// The provider made (and charged for) the image, but it cannot be downloaded any more: the
    /// record is closed, so the next run submits the job again.
    func resultLost(key: String, provider: String, job: String) {
        openTasks.withLock { $0[key] = nil }
        writer.writeNow(line("lost", key, provider, job, nil))
    }

    private func line(_ event: String, _ key: String, _ provider: String, _ job: String, _ detail: String?) -> String {
        SubmissionJournal.line(event, key, provider, job, manifest: manifest, detail, time: now())
    }
}
