import Foundation

/// Journal records of provider-side batches (Gemini Batch API), written for a whole batch at once:
///
/// - `intent` — the batch's display name, before it is created (durable): a run killed between the
///   create and its answer finds the batch again by that name instead of creating (and paying for) another;
/// - `task` — the batch's name (`batches/…`) the moment the create returns (durable): a rerun polls it.
///
/// Each is one line per key, appended and synced together. A batch's `task` and `intent` records stay
/// resumable for `batchResumeWindow` (a batch may wait 48 h before it expires).
extension SubmissionJournal {
    /// A job of a batch, as the journal names it.
    struct BatchEntry: Sendable, Equatable {
        var key: String
        var provider: String
        var job: String
    }

    /// How long a batch's records are worth resuming: its 48 h expiry, plus a day to collect the results.
    static let batchResumeWindow: Double = 72 * 3600

    /// How long `task` may be resumed.
    static func resumeWindow(for task: OpenTask) -> Double {
        task.isBatch ? batchResumeWindow : resumeWindow
    }

    /// Returns once every entry's intent line is on disk; throws `JournalFailure` when it cannot be
    /// (then the batch must not be created).
    func batchIntent(_ displayName: String, entries: [BatchEntry]) async throws {
        if let failure = mirror?.failure { throw failure }
        do {
            try await appendOpen(event: "intent", detail: displayName, entries: entries)
        } catch let failure as JournalFailure where failure != writer.failure {
            // The store refused the intent: the batch is not created, so its local lines are closed.
            openTasks.withLock { open in for entry in entries { open[entry.key] = nil } }
            writer.writeNow(entries.map { SubmissionJournal.line(record("end", $0.key, $0.provider, $0.job)) }.joined())
            throw failure
        }
    }

    /// Returns once every entry's `task` line (the batch's name) is on disk. A failure is kept in
    /// `failure`, as for `taskCreated`: polling goes on, nothing more is paid for.
    func batchCreated(_ batchName: String, entries: [BatchEntry]) async {
        try? await appendOpen(event: "task", detail: batchName, entries: entries)
    }

    private func appendOpen(event: String, detail: String, entries: [BatchEntry]) async throws {
        let time = now()
        let tasks = entries.map {
            OpenTask(key: $0.key, provider: $0.provider, job: $0.job, event: event, detail: detail, createdAt: time, manifest: manifest)
        }
        openTasks.withLock { open in for task in tasks { open[task.key] = task } }
        try await writer.appendDurably(tasks.map { SubmissionJournal.line($0.record) }.joined())
        try await mirror?.write(tasks.map(\.record))
    }
}
