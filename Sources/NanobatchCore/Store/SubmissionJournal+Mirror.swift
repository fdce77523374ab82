import Foundation

/// How the journal meets its copy in the remote store (`JournalMirror`), which holds each job's latest
/// record as the last machine to touch the job wrote it.
///
/// Which record of a job is newer is decided without comparing the clocks of different machines: a
/// record in the store that the local journal holds was written here (or taken from the store
/// before), so the local lines after it are newer; any other record was written elsewhere since this
/// journal last saw the job, and is taken. Running one job on two machines at once is not supported.
extension SubmissionJournal {
    /// What identifies a record across machines: event, time (to the millisecond, as lines keep it), provider, detail.
    static func fingerprint(_ record: Record) -> String {
        [record.event, stamp(record.time), record.provider, record.detail].joined(separator: "\t")
    }

    static func fingerprints(_ records: [Record]) -> [String: Set<String>] {
        records.reduce(into: [:]) { $0[$1.key, default: []].insert(fingerprint($1)) }
    }

    /// The records of `imported` that the local journal does not hold, in time order.
    static func unknown(_ imported: [Record], to local: [String: Set<String>]) -> [Record] {
        imported.filter { !(local[$0.key]?.contains(fingerprint($0)) ?? false) }.sorted { ($0.time, $0.key) < ($1.time, $1.key) }
    }

    /// Submissions this run reports as possibly paid (a submission without an answer, or a task too old
    /// to resume) whose record the store holds: closed there too (`end`), so no machine reports them
    /// again. A record the store holds for such a job is the one reported: a newer one written
    /// elsewhere would have been taken, and an open task is not reported.
    func closeReportedInStore(imported: [Record]) {
        guard let mirror else { return }
        let inStore = Set(imported.map(\.key))
        for submission in unresolved where inStore.contains(submission.key) {
            mirror.send(record("end", submission.key, submission.provider, submission.job))
        }
    }

    /// Before a job's first submission, when its record in the store was not read when the journal was
    /// opened (a chained job, whose key was not known then): a task, result URL or batch another
    /// machine left open for it is taken, so it is resumed instead of paid again. Throws when the
    /// store cannot be read (then nothing may be sent).
    func lookUpInStore(key: String, provider: String) async throws {
        guard let mirror, !lookedUp.withLock({ $0.contains(key) }), openTask(for: key, provider: provider) == nil else { return }
        let records = try await mirror.records(for: [key])
        lookedUp.withLock { _ = $0.insert(key) }
        guard let stored = records.first,
            !(localFingerprints[key]?.contains(SubmissionJournal.fingerprint(stored)) ?? false),
            ["task", "result", "intent"].contains(stored.event), stored.provider == provider
        else { return }
        let task = OpenTask(
            key: key, provider: provider, job: stored.job, event: stored.event, detail: stored.detail,
            createdAt: SubmissionJournal.plausibleTime(stored.time, now: now()), manifest: stored.manifest)
        guard task.createdAt >= now() - SubmissionJournal.resumeWindow(for: task) else { return }
        openTasks.withLock { $0[key] = task }
        writer.writeNow(SubmissionJournal.line(task.record))
    }

    /// A made job's image is in the remote store: its end goes there too, after the image's record, so
    /// a machine finding the image never sees a stale submission, and one finding neither pays.
    func imagePublished(key: String, provider: String, job: String) {
        mirror?.send(record("end", key, provider, job))
    }
}
