import Foundation

/// One job waiting in the batch queue: its request, and the continuation its `generate` call waits
/// on, resumed exactly once (by its batch's result, a failure, a stop, or the task's cancellation).
final class GeminiBatchWaiter: Sendable {
    private struct State {
        var continuation: CheckedContinuation<GenerationReceipt, any Error>?
        var result: Result<GenerationReceipt, any Error>?
        var resumed = false
        /// The job's resume handles no longer apply (its batch expired, or was never created).
        var fresh = false
        var notes: [String] = []
        /// Batches of this job that expired in this run.
        var expiries = 0
    }

    let request: GenerationRequest
    private let state = Locked(State())

    init(request: GenerationRequest) { self.request = request }

    var key: String { request.key }
    var model: String { request.job.model }
    var entry: SubmissionJournal.BatchEntry { .init(key: request.key, provider: request.job.provider, job: request.job.id) }
    /// The batch an earlier run created for this job (from the journal).
    var resumeBatch: String? { state.withLock { $0.fresh ? nil : request.resumeTaskID } }
    /// The display name of a batch an earlier run was about to create for this job.
    var resumeIntent: String? { state.withLock { $0.fresh ? nil : request.resumeBatchIntent } }
    var isResumed: Bool { state.withLock { $0.resumed } }
    var notes: [String] { state.withLock { $0.notes } }
    var expiries: Int { state.withLock { $0.expiries } }

    /// Its batch expired: it goes in a new batch.
    func expired(_ batch: String) {
        state.withLock { $0.expiries += 1 }
        makeFresh(note: "\(batch) expired without results: submitted in a new batch")
    }

    /// From now on the job goes in a new batch; `note` says why.
    func makeFresh(note: String) {
        state.withLock {
            $0.fresh = true
            $0.notes.append(note)
        }
    }

    /// Called once by `generate` with its continuation; resumes it at once if the job already ended.
    func wait(_ continuation: CheckedContinuation<GenerationReceipt, any Error>) {
        let early = state.withLock { state -> Result<GenerationReceipt, any Error>? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func succeed(_ receipt: GenerationReceipt) { finish(.success(receipt)) }
    func fail(_ error: any Error) { finish(.failure(error)) }

    private func finish(_ result: Result<GenerationReceipt, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<GenerationReceipt, any Error>? in
            guard !state.resumed else { return nil }
            state.resumed = true
            guard let continuation = state.continuation else {
                state.result = result
                return nil
            }
            state.continuation = nil
            return continuation
        }
        continuation?.resume(with: result)
    }
}
