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
///
/// With a remote store, every record also goes to the store (`JournalMirror`), durably where the
/// local line is durable, and the store's records of the jobs about to run are merged in when the
/// journal is opened: a task paid for on another machine is resumed here.
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
        /// A provider-side batch's record (its intent, or its name `batches/…`), not one job's own task.
        var isBatch: Bool { batchIntent != nil || taskID?.hasPrefix("batches/") == true }

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
    /// The remote store's copy of the journal, when the run has a remote store.
    let mirror: JournalMirror?
    /// What the local journal held for each job when it was opened (`fingerprint`s): a record in the
    /// store that is one of these was written here, anything else was written on another machine.
    let localFingerprints: [String: Set<String>]
    /// Jobs whose record in the store was read (all at once when the journal was opened, or one by one
    /// before a job's first submission).
    let lookedUp: Locked<Set<String>>

    /// Reads the journal, keeps what is still open (and other manifests' unresolved submissions, for
    /// them to report), and rewrites the file when that differs from what it holds. `hasResult`
    /// says whether the store already holds a key's image. `dataSync` returns 0, or -1 with `errno`.
    /// `imported`: the remote store's records (`JournalMirror.records`) of the jobs `lookedUpKeys`; each
    /// is taken unless the local journal holds it (see `SubmissionJournal+Mirror.swift`).
    init(
        root: URL, manifest: String = "", mirror: JournalMirror? = nil, imported: [Record] = [], lookedUpKeys: Set<String> = [],
        hasResult: (String) -> Bool,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        dataSync: @escaping @Sendable (Int32) -> Int32 = { fdatasync($0) }
    ) throws {
        path = OutputLayout(root: root).journalPath
        self.manifest = manifest
        self.now = now
        self.mirror = mirror
        let contents = SubmissionJournal.readContents(path)
        localFingerprints = SubmissionJournal.fingerprints(contents.records)
        lookedUp = Locked(lookedUpKeys.union(imported.map(\.key)))
        let taken = SubmissionJournal.unknown(imported, to: localFingerprints)
        let analysis = SubmissionJournal.analyse(contents.records + taken, manifest: manifest, hasResult: hasResult, now: now())
        unresolved = analysis.unresolved
        openTasks = Locked(analysis.tasks)
        try FileIO.createDirectory((path as NSString).deletingLastPathComponent)
        let kept = analysis.kept.map(SubmissionJournal.line).joined()
        // Also rewritten when a crash left a line without its newline, so the next line starts whole.
        if contents.lines > 0 || !taken.isEmpty, Data(kept.utf8) != contents.data {
            try FileIO.writeAtomically(Data(kept.utf8), to: path)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIO.Failure(operation: "open", path: path, code: errno) }
        writer = JournalWriter(fd: fd, path: path, dataSync: dataSync)
        closeReportedInStore(imported: imported)
    }

    deinit { writer.finish() }

    /// Why the journal (or its copy in the remote store) stopped taking records, if it did: from then
    /// on `submitting` refuses every paid request.
    var failure: JournalFailure? { writer.failure ?? mirror?.failure }

    /// The open task, result URL or batch intent for `key` at `provider`, if one was journaled within the resume window.
    func openTask(for key: String, provider: String) -> OpenTask? {
        openTasks.withLock { $0[key].flatMap { $0.provider == provider ? $0 : nil } }
    }

    /// Returns once the submit line is on disk: call before the paid request is sent, and send it
    /// only if this returns. Throws `JournalFailure` when the line cannot be made durable.
    func submitting(key: String, provider: String, job: String) async throws {
        if let failure = mirror?.failure { throw failure }
        let record = record("submit", key, provider, job)
        try await writer.appendDurably(SubmissionJournal.line(record))
        do {
            try await mirror?.write(record)
        } catch {
            // Not sent: the local line is closed, so no run reports it as possibly paid.
            writer.writeNow(SubmissionJournal.line(self.record("end", key, provider, job)))
            throw error
        }
    }

    /// Returns once the task line is on disk (and in the remote store). A failure is kept in
    /// `failure`: the task goes on (polling is free), but nothing more is paid for.
    func taskCreated(key: String, provider: String, job: String, taskID: String) async {
        let task = OpenTask(key: key, provider: provider, job: job, event: "task", detail: taskID, createdAt: now(), manifest: manifest)
        openTasks.withLock { $0[task.key] = task }
        try? await writer.appendDurably(SubmissionJournal.line(task.record))
        try? await mirror?.write(task.record)
    }

    /// Writes a synchronous request's result URL before it is downloaded, without waiting for a sync:
    /// the line survives the process being killed at once, and reaches the disk with the next sync (a
    /// later `submit` line's, which covers the whole file). Only a machine crash in between loses it;
    /// the submission is then reported as possibly paid, never paid again silently.
    func resultLocated(key: String, provider: String, job: String, location: String) {
        let task = OpenTask(key: key, provider: provider, job: job, event: "result", detail: location, createdAt: now(), manifest: manifest)
        openTasks.withLock { $0[task.key] = task }
        writer.writeNow(SubmissionJournal.line(task.record))
        mirror?.send(task.record)
    }

    /// The job is over; an end lost to a crash is harmless (the store or the next answer settles it).
    /// `imageStored`: the end of a made job, which the remote store does not need (its image record
    /// says more, and is published after this: an end there first would tell another machine to pay again).
    func ended(key: String, provider: String, job: String, imageStored: Bool = false) {
        openTasks.withLock { $0[key] = nil }
        let record = record("end", key, provider, job)
        writer.writeNow(SubmissionJournal.line(record))
        if !imageStored { mirror?.send(record) }
    }

    /// The provider made (and charged for) the image, but it cannot be downloaded any more: the
    /// record is closed, so the next run submits the job again.
    func resultLost(key: String, provider: String, job: String) {
        openTasks.withLock { $0[key] = nil }
        let record = record("lost", key, provider, job)
        writer.writeNow(SubmissionJournal.line(record))
        mirror?.send(record)
    }

    func record(_ event: String, _ key: String, _ provider: String, _ job: String) -> Record {
        Record(event: event, time: now(), key: key, provider: provider, job: job, manifest: manifest)
    }
}
