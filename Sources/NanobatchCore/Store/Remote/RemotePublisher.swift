import Foundation

/// Puts what a run makes into the remote store as soon as it is in the local store: the image first
/// (`cas/<sha256>`), then the job's record (`ac/<key>`), so a record never names a missing image.
/// Create-only: an entry already there is left as it is (a record naming another image of the same
/// job stays: the first maker wins), except a record whose image is gone from the store. Each write
/// is checked by reading it back (the image's size, the record's bytes).
package final class RemotePublisher: Sendable {
    package let client: RemoteStoreClient
    /// `K/N` for a sharded run, written into each record.
    package let shard: String?
    private let failed = Locked<[String]>([])
    private let published = Locked(0)

    package init(client: RemoteStoreClient, shard: String?) {
        self.client = client
        self.shard = shard
    }

    /// Images that could not be published, one message each.
    package var failures: [String] { failed.withLock { $0 } }
    /// Images published by this process (new records written).
    package var publishedCount: Int { published.withLock { $0 } }

    /// Publishes one stored image; on failure returns a note for the job (and keeps it in `failures`).
    package func publishNoting(_ entry: StoreEntry) async -> String? {
        do {
            try await publish(entry)
            return nil
        } catch {
            let message = "not put into the remote store: \(error)"
            failed.withLock { $0.append(message) }
            return message
        }
    }

    package func publish(_ entry: StoreEntry) async throws {
        let bytes = try await WorkerThreads.storing.run { try Data(contentsOf: URL(fileURLWithPath: entry.blobPath)) }
        // The local image is checked before it is shared: a changed blob is never sent.
        guard SHA256.hash(bytes).hexString == entry.outputHash else {
            throw RemoteStoreError(.corrupt, "the local image \(entry.blobPath) no longer matches its hash; not published")
        }
        try await putBlobIfMissing(bytes, hash: entry.outputHash)
        let record = StoreRecord(entry: entry, shard: shard)
        if let existing = try await client.get(.ac, entry.key) {
            let there = try StoreRecord.decode(existing, key: entry.key, source: client.url(.ac, entry.key))
            if there.sha256 == record.sha256 { return }
            // Another image of the same job, made elsewhere: kept, unless its image is gone.
            if try await client.size(.cas, there.sha256) != nil { return }
        }
        let encoded = record.encoded
        try await client.put(.ac, entry.key, encoded)
        guard let back = try await client.get(.ac, entry.key) else {
            throw RemoteStoreError(.refused(status: 404), "\(client.url(.ac, entry.key)): the record written could not be read back")
        }
        if back != encoded {
            // A racing writer's record is fine if it is a whole record naming an image the store has.
            let there = try StoreRecord.decode(back, key: entry.key, source: client.url(.ac, entry.key))
            guard try await client.size(.cas, there.sha256) != nil else {
                throw RemoteStoreError(.corrupt, "\(client.url(.ac, entry.key)): the record read back differs from the one written")
            }
        }
        published.withLock { $0 += 1 }
    }

    private func putBlobIfMissing(_ bytes: Data, hash: String) async throws {
        if let size = try await client.size(.cas, hash), size == bytes.count || size < 0 { return }
        try await client.put(.cas, hash, bytes)
        let size = try await client.size(.cas, hash)
        guard let size, size == bytes.count || size < 0 else {
            throw RemoteStoreError(
                .corrupt,
                "\(client.url(.cas, hash)): the store holds \(size.map { "\($0)" } ?? "no") bytes after \(bytes.count) were written")
        }
    }
}
