import Foundation

/// The local store as `plan` sees it with a remote store: a job whose record the remote store has
/// counts as cached, with the image it would fetch (its `blobPath` names the remote blob). Only
/// `lookup` differs; nothing is ever written through it.
final class RemoteOverlayStore: ImageStore, Sendable {
    let local: ContentStore
    private let remote = Locked<[String: StoreEntry]>([:])

    init(local: ContentStore) { self.local = local }

    func add(_ record: StoreRecord) {
        guard let info = record.info else { return }
        let entry = StoreEntry(
            key: record.key, info: info, bytes: record.bytes, outputHash: record.sha256, blobPath: "remote:cas/\(record.sha256)")
        remote.withLock { $0[record.key] = entry }
    }

    func lookup(_ key: String) -> StoreEntry? { local.lookup(key) ?? remote.withLock { $0[key] } }
    func hasBlob(for key: String) -> Bool { local.hasBlob(for: key) }
    func temporaryFile(for key: String) throws -> URL { try local.temporaryFile(for: key) }
    func commit(temporary: URL, key: String) throws -> StoreEntry { try local.commit(temporary: temporary, key: key) }
    func commit(image: Data, key: String) throws -> StoreEntry { try local.commit(image: image, key: key) }
    func isLinked(_ entry: StoreEntry, at friendlyPath: String) -> Bool { local.isLinked(entry, at: friendlyPath) }
    func link(_ entry: StoreEntry, to friendlyPath: String) throws -> String? { try local.link(entry, to: friendlyPath) }
}
