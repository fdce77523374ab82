import Foundation

/// Copies the submission journal's records into the remote store as they are written, so that a run
/// on another machine (a shard restarted on a new runner, tomorrow's collect of tonight's batches)
/// resumes a paid task instead of paying for it again, and reports a submission that may have been
/// paid without a result. Each job keeps its latest record (`MirroredJournalRecord`); the writes of
/// one job go out in the order they were made, each after the previous one finished.
///
/// It fails closed like the local journal: the first write the store refuses (after the client's
/// retries) is kept in `failure`, and from then on no paid request is sent (`SubmissionJournal`).
/// At most `policy.concurrency` writes are in flight; a caller cancelled while it waits cancels its write.
package final class JournalMirror: Sendable {
    let client: RemoteStoreClient
    let shard: String?
    private struct Pending {
        var number: Int
        var write: Task<JournalFailure?, Never>
    }
    /// The last write queued for each job, and every write not finished yet.
    private let pending = Locked<(next: Int, byKey: [String: Pending], unfinished: [Int: Task<JournalFailure?, Never>])>((0, [:], [:]))
    private let failed = Locked<JournalFailure?>(nil)
    private let written = Locked(0)
    private let slots: AsyncGate

    package init(client: RemoteStoreClient, shard: String?) {
        self.client = client
        self.shard = shard
        slots = AsyncGate(limit: client.policy.concurrency)
    }

    /// The first write the store refused, if one was.
    var failure: JournalFailure? { failed.withLock { $0 } }
    /// Records written so far.
    var writtenCount: Int { written.withLock { $0 } }

    /// Queues `record` behind the job's earlier writes without waiting for it.
    @discardableResult
    func send(_ record: SubmissionJournal.Record) -> Task<JournalFailure?, Never> {
        pending.withLock { state in
            let number = state.next
            state.next += 1
            let previous = state.byKey[record.key]?.write
            let write = Task { [self] in
                _ = await previous?.value
                let failure = await put(record)
                pending.withLock { state in
                    state.unfinished[number] = nil
                    if state.byKey[record.key]?.number == number { state.byKey[record.key] = nil }
                }
                return failure
            }
            state.byKey[record.key] = Pending(number: number, write: write)
            state.unfinished[number] = write
            return write
        }
    }

    /// Returns once the record is in the store; throws when the store refused it. A caller cancelled
    /// meanwhile stops waiting: a `submit` write is then cancelled too (its request is not sent), any
    /// other goes on (a paid task's record must reach the store), and `flush` waits for it.
    func write(_ record: SubmissionJournal.Record) async throws {
        if let failure = await outcome(of: [send(record)], cancelling: record.event == "submit") { throw failure }
    }

    /// Writes every record, `policy.concurrency` at a time; throws the first refusal once all were tried.
    /// A cancelled caller stops waiting and leaves the writes going.
    func write(_ records: [SubmissionJournal.Record]) async throws {
        if let failure = await outcome(of: records.map(send), cancelling: false) { throw failure }
    }

    /// The first failure of `writes` once all are done, or nil at once when the caller is cancelled.
    private func outcome(of writes: [Task<JournalFailure?, Never>], cancelling: Bool) async -> JournalFailure? {
        let waiting = Locked<CheckedContinuation<JournalFailure?, Never>?>(nil)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiting.withLock { $0 = continuation }
                Task {
                    var first: JournalFailure?
                    for write in writes {
                        let failure = await write.value
                        if first == nil { first = failure }
                    }
                    waiting.withLock { $0.take() }?.resume(returning: first)
                }
                if Task.isCancelled { waiting.withLock { $0.take() }?.resume(returning: nil) }
            }
        } onCancel: {
            if cancelling { for write in writes { write.cancel() } }
            waiting.withLock { $0.take() }?.resume(returning: nil)
        }
    }

    /// Waits for every queued write (before the run reports, so its records are all out); with a
    /// `limit`, cancels every write still going when it has passed (a stopped run does not hang on the store).
    func flush(within limit: Duration? = nil) async {
        let writes = pending.withLock { Array($0.unfinished.values) }
        guard let limit else {
            for write in writes { _ = await write.value }
            return
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { for write in writes { write.cancel() } }
        }
        for write in writes { _ = await write.value }
        timer.cancel()
    }

    /// The latest records the store has for `keys`, checked. A store that cannot answer is an error:
    /// without its answer a job might be paid for twice.
    func records(for keys: [String]) async throws -> [SubmissionJournal.Record] {
        let client = client
        return try await BoundedConcurrency.compactMap(count: keys.count, width: client.policy.concurrency) { index in
            let name = MirroredJournalRecord.name(for: keys[index])
            guard let data = try await client.get(.ac, name) else { return nil }
            return try MirroredJournalRecord.decode(data, key: keys[index], source: client.url(.ac, name)).record
        }
    }

    private func put(_ record: SubmissionJournal.Record) async -> JournalFailure? {
        let name = MirroredJournalRecord.name(for: record.key)
        do {
            try await slots.withSlot { try await client.put(.ac, name, MirroredJournalRecord(record, shard: shard).encoded) }
            written.withLock { $0 += 1 }
            return nil
        } catch {
            let failure = JournalFailure(path: client.url(.ac, name).absoluteString, reason: "\(error)")
            failed.withLock { if $0 == nil { $0 = failure } }
            return failure
        }
    }
}
