import Foundation

/// A job's latest submission-journal record as the remote store keeps it, so that another machine
/// knows what was paid for: under `ac/<SHA-256 of "nanobatch-journal-v1\n" + content key>`, a name
/// of its own that never collides with the job's image record (`ac/<content key>`) and is 64 hex
/// digits like every action-cache key. Each write replaces the previous one of the same job.
struct MirroredJournalRecord: Codable, Sendable, Equatable {
    static let currentVersion = 1
    static let kindName = "nanobatch-journal"
    /// The journal's events (see `SubmissionJournal`); anything else is not a record this tool wrote.
    static let events: Set<String> = ["submit", "task", "result", "intent", "end", "lost"]

    var version: Int
    var kind: String
    var key: String
    var event: String
    var provider: String
    var job: String
    var manifest: String
    /// The task id, result URL, batch name or batch display name; empty for the other events.
    var detail: String
    /// Seconds since 1970, as the writing machine's clock said.
    var time: Double
    /// `nanobatch <version>`.
    var madeBy: String
    /// `K/N` when a shard wrote it.
    var shard: String?

    init(_ record: SubmissionJournal.Record, shard: String?) {
        version = Self.currentVersion
        kind = Self.kindName
        key = record.key
        event = record.event
        provider = record.provider
        job = record.job
        manifest = record.manifest
        detail = record.detail
        time = record.time
        madeBy = "nanobatch \(NanobatchCLI.version)"
        self.shard = shard
    }

    /// Where the record of `key` lives in the action cache.
    static func name(for key: String) -> String { SHA256.hash("nanobatch-journal-v1\n" + key).hexString }

    var record: SubmissionJournal.Record {
        SubmissionJournal.Record(event: event, time: time, key: key, provider: provider, job: job, manifest: manifest, detail: detail)
    }

    /// Sorted keys and no spaces: the same record is the same bytes.
    var encoded: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The record stored for `key`, checked: its kind, version, key and event are ones this tool writes.
    static func decode(_ data: Data, key: String, source: URL) throws -> MirroredJournalRecord {
        if let newer = try? JSONDecoder().decode(MirroredJournalRecord.self, from: data), newer.kind == kindName,
            newer.version > currentVersion
        {
            throw RemoteStoreError(
                .malformedRecord,
                "\(source) is a journal record of a newer nanobatch (\(newer.madeBy), version \(newer.version)); nothing was sent: update nanobatch"
            )
        }
        guard let record = try? JSONDecoder().decode(MirroredJournalRecord.self, from: data), record.kind == kindName,
            record.version == currentVersion, record.key == key, events.contains(record.event), record.time.isFinite,
            !(["task", "result", "intent"].contains(record.event) && record.detail.isEmpty)
        else {
            throw RemoteStoreError(
                .malformedRecord,
                "\(source) is not a nanobatch journal record for this job (\(data.count) bytes); nothing was sent, as it may name a paid task; remove it from the store to go on"
            )
        }
        return record
    }
}
