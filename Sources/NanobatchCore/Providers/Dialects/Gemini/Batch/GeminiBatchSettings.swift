import Foundation

/// How a run drives Gemini batches: policy as data (tests shorten the times).
package struct GeminiBatchSettings: Sendable {
    /// Wait until every batch is finished (`run`), or hand back its jobs as pending once it is
    /// submitted or still running (`run --no-wait`).
    package var waits = true
    /// Jobs that reach the batch queue with no more than this between them go in the same batch.
    package var gatherWindow: Duration = .milliseconds(500)
    /// Most requests in one batch (the enqueued-token cap of a Tier 1 project is about 1,000 images).
    package var maxLines = 1000
    /// Most bytes of one batch's JSONL input (Google's limit is 2 GB; references travel inline).
    package var maxBytes = 1_500_000_000
    /// Polls of a running batch: the first after `initial` seconds, then longer, at most `maximum`.
    package var poll = PollSchedule(initial: 10, multiplier: 1.5, maximum: 120)
    /// Polls in a row that may fail (each after the client's own retries) before a waiting run gives
    /// up on a batch: a wait of hours outlives a short outage. The journal keeps the batch either way.
    package var failedPollsTolerated = 5
    /// After a create whose answer was lost: how long to wait before looking for the batch by its
    /// display name, and how many times.
    package var adoptionWait: Duration = .seconds(5)
    package var adoptionAttempts = 3

    package init() {}

    /// The standard settings, with the manifest's `pollSeconds` as the first poll (the longest wait
    /// between polls is 12 times that, at most two minutes).
    package static func forProvider(pollSeconds: Double?, waits: Bool) -> GeminiBatchSettings {
        var settings = GeminiBatchSettings()
        settings.waits = waits
        if let pollSeconds, pollSeconds > 0 {
            settings.poll = PollSchedule(initial: pollSeconds, multiplier: 1.5, maximum: min(120, max(pollSeconds * 12, pollSeconds)))
            settings.adoptionWait = .seconds(min(5, pollSeconds))
        }
        return settings
    }
}

/// What a run shares with its batch queues: the journal, the stop signal and the board of batches.
package struct GeminiBatchRunContext: Sendable {
    package var journal: SubmissionJournal?
    package var stop: StopSignal
    package var board: GeminiBatchBoard
    package var waits: Bool

    package init(journal: SubmissionJournal?, stop: StopSignal, board: GeminiBatchBoard = GeminiBatchBoard(), waits: Bool = true) {
        self.journal = journal
        self.stop = stop
        self.board = board
        self.waits = waits
    }
}

/// A job handed back before its batch finished (`run --no-wait`, or a stop request): its batch
/// goes on at the provider, and the journal keeps its name so the next run collects the result.
package struct GeminiBatchPending: Error, Sendable, CustomStringConvertible {
    /// `batches/…`.
    package var batch: String
    /// The batch's state as the API wrote it (e.g. `BATCH_STATE_RUNNING`), or `submitted`.
    package var state: String

    package var description: String { "pending in \(batch) (\(state)); a later `nanobatch run` collects it" }
}
