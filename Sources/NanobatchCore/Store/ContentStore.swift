import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the store knows of one finished image.
package struct StoreEntry: Sendable, Equatable {
    var key: String
    var info: ImageInfo
    var bytes: Int
    /// SHA-256 of the image file: what chained steps put in their own keys.
    var outputHash: String
    var blobPath: String
}

/// Content-addressed image store under `<output root>/.nanobatch/store`, shared by every manifest
/// using that root. Blobs are `<ab>/<key>.<ext>`, moved into place only once whole and fsynced.
/// What is known of each blob (format, pixel size, bytes, SHA-256, modification time) is one line of
/// the append-only `entries.log`, read once per process: a lookup is then one `stat`. A blob whose
/// size or modification time differs from its line is checked in full (header, ending, hash) before
/// it counts; a blob without a line (a run killed between the rename and the append) is recovered.
/// An instance reads the log and each shard's listing once: it sees what it writes itself, but not
/// what other processes write later, so make one per command (the run lock keeps writers apart).
final class ContentStore: ImageStore, Sendable {
    let root: URL
    let storeDirectory: String
    let temporaryDirectory: String
    let logPath: String

    /// Syncs new images in groups (one `syncfs` for a burst, not one `fsync` each).
    private let groupSync = GroupSync()
    private let state = Locked(State())

    /// What this instance has read and opened, shared by the threads that use it.
    private struct State {
        var records: [String: EntryRecord]?
        var logLines = 0
        var logDescriptor: Int32 = -1
        var knownDirectories = Set<String>()
        /// The shard folders that existed when first asked (folders made later hold only blobs in `records`).
        var shardFolders: Set<String>?
        var shardListings: [String: Set<String>] = [:]
    }

    /// Whether a lookup hashes the blob even when its size and modification time match its record:
    /// what finds bit rot that left both unchanged (`run --verify`, `verify`).
    let verifiesContents: Bool

    init(root: URL, verifiesContents: Bool = false) {
        self.root = root
        self.verifiesContents = verifiesContents
        let layout = OutputLayout(root: root)
        self.storeDirectory = layout.storeDirectory
        self.temporaryDirectory = layout.temporaryDirectory
        self.logPath = layout.entriesLogPath
    }

    deinit { state.withLock { if $0.logDescriptor >= 0 { close($0.logDescriptor) } } }

    func folder(for key: String) -> String { "\(storeDirectory)/\(key.prefix(2))" }
    func blobPath(for key: String, format: ImageFormat) -> String { "\(folder(for: key))/\(key).\(format.fileExtension)" }

    /// The verified entry for `key`, or `nil` (absent, incomplete, or corrupt: such an entry is made again).
    func lookup(_ key: String) -> StoreEntry? {
        guard let record = loadedRecords()[key] else { return recover(key) }
        let blob = blobPath(for: key, format: record.info.format)
        guard let status = FileIO.status(blob) else { return nil }
        let entry = StoreEntry(key: key, info: record.info, bytes: record.bytes, outputHash: record.sha256, blobPath: blob)
        let unchanged = status.size == record.bytes && status.modified == record.modified
        if unchanged && !verifiesContents { return entry }
        // Touched since it was recorded (or asked to verify): trust it only if it is still the same whole image.
        guard status.size == record.bytes, let image = try? ImageInspector.examineFile(at: blob),
            image.info == record.info, image.sha256 == record.sha256
        else { return nil }
        if !unchanged {
            append(EntryRecord(key: key, info: image.info, bytes: image.bytes, sha256: image.sha256, modified: status.modified))
        }
        return entry
    }

    /// Whether any image file exists for `key`, whole or not (to tell "gone" from "failed its check").
    func hasBlob(for key: String) -> Bool {
        ImageFormat.allCases.contains { FileIO.fileSize(blobPath(for: key, format: $0)) != nil }
    }

    /// A run killed between moving an image into place and appending its line left a whole image
    /// without one: keep it (it was paid for) and record it.
    func recover(_ key: String) -> StoreEntry? {
        let names = blobNames(inShardOf: key)
        for format in ImageFormat.allCases where names.contains("\(key).\(format.fileExtension)") {
            let blob = blobPath(for: key, format: format)
            guard let status = FileIO.status(blob) else { continue }
            guard let image = try? ImageInspector.examineFile(at: blob), image.info.format == format else { return nil }
            append(EntryRecord(key: key, info: image.info, bytes: image.bytes, sha256: image.sha256, modified: status.modified))
            return StoreEntry(key: key, info: image.info, bytes: image.bytes, outputHash: image.sha256, blobPath: blob)
        }
        return nil
    }

    /// The file names in `key`'s shard folder, listed once per store instance: a plan of many new
    /// jobs then costs one listing per shard instead of a `stat` per job and format. Blobs this
    /// instance commits later are in `records`.
    private func blobNames(inShardOf key: String) -> Set<String> {
        let shard = String(key.prefix(2))
        if let names = state.withLock({ $0.shardListings[shard] }) { return names }
        // A fresh store has few shard folders: one listing of the store says which to list.
        let shards =
            state.withLock { $0.shardFolders }
            ?? {
                let listed = Set((try? FileManager.default.contentsOfDirectory(atPath: storeDirectory)) ?? [])
                state.withLock { $0.shardFolders = listed }
                return listed
            }()
        let names = shards.contains(shard) ? Set((try? FileManager.default.contentsOfDirectory(atPath: folder(for: key))) ?? []) : []
        state.withLock { $0.shardListings[shard] = names }
        return names
    }

    // MARK: The entries log

    /// Reads the entries log now (else the first lookup does).
    func preload() { _ = loadedRecords() }

    private func loadedRecords() -> [String: EntryRecord] {
        state.withLock { state in
            if let records = state.records { return records }
            let (read, lines) = EntryRecord.readLog(logPath)
            state.records = read
            state.logLines = lines
            return read
        }
    }

    /// Appends one line (a single `write` on an O_APPEND descriptor). Not fsynced: a lost line costs
    /// one re-check of the blob, which was fsynced before it was moved into place.
    private func append(_ record: EntryRecord) {
        _ = loadedRecords()
        try? ensureDirectory((logPath as NSString).deletingLastPathComponent)
        state.withLock { state in
            state.records?[record.key] = record
            if state.logDescriptor < 0 {
                state.logDescriptor = open(logPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            }
            let descriptor = state.logDescriptor
            guard descriptor >= 0 else { return }
            let line = Array(record.line.utf8)
            _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            state.logLines += 1
        }
    }

    /// Rewrites the log with one line per blob still present, when stale lines outnumber live ones.
    /// Call only under the run lock.
    func compactLogIfWorthIt() throws {
        let current = loadedRecords()
        let worthIt = state.withLock { $0.logLines > 2 * current.count + 1000 }
        guard worthIt else { return }
        try rewriteLog(current.values.filter { FileIO.fileSize(blobPath(for: $0.key, format: $0.info.format)) != nil })
    }

    /// Forgets entries whose blobs were removed (by `clean`). Call only under the run lock.
    func forget(_ keys: Set<String>) throws {
        try rewriteLog(loadedRecords().values.filter { !keys.contains($0.key) })
    }

    private func rewriteLog(_ kept: [EntryRecord]) throws {
        let text = kept.sorted { $0.key < $1.key }.map(\.line).joined()
        try FileIO.writeAtomically(Data(text.utf8), to: logPath, temporaryDirectory: temporaryDirectory)
        state.withLock { state in
            if state.logDescriptor >= 0 {
                close(state.logDescriptor)
                state.logDescriptor = -1
            }
            state.records = Dictionary(kept.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
            state.logLines = kept.count
        }
    }

    /// Creates a folder once per store instance (the later calls are a set lookup).
    func ensureDirectory(_ path: String) throws {
        if state.withLock({ $0.knownDirectories.contains(path) }) { return }
        try FileIO.createDirectory(path)
        state.withLock { _ = $0.knownDirectories.insert(path) }
    }

    // MARK: Writing

    /// A fresh temporary path for a provider to write into; the name carries our pid so that
    /// leftovers of a killed run can be told apart from a live run's files.
    func temporaryFile(for key: String) throws -> URL {
        try ensureDirectory(temporaryDirectory)
        return URL(fileURLWithPath: FileIO.temporaryName(in: temporaryDirectory, hint: String(key.prefix(16))))
    }

    enum CommitError: Error, CustomStringConvertible {
        case notAnImage(String)
        var description: String {
            switch self {
            case .notAnImage(let detail): return "the provider's answer is not a whole PNG, JPEG or WebP image (\(detail))"
            }
        }
    }

    /// Verifies the temporary file and makes it durable (one read), moves it into place, and records it.
    func commit(temporary: URL, key: String) throws -> StoreEntry {
        let path = temporary.path
        guard let size = FileIO.fileSize(path) else { throw CommitError.notAnImage("no file written") }
        guard let image = try ImageInspector.examineFile(at: path, beforeClosing: { try self.makeReadOnlyAndDurable($0, path: path) })
        else {
            try? FileManager.default.removeItem(atPath: path)
            throw CommitError.notAnImage("\(size) bytes, unknown or truncated")
        }
        return try place(path, image, key: key)
    }

    /// Read-only (the friendly file is the same file, a hard link, so an editor saving in place is
    /// refused instead of changing the store's image), then durable: the mode is set before the sync,
    /// so it costs no second write of the inode.
    private func makeReadOnlyAndDurable(_ descriptor: Int32, path: String) throws {
        fchmod(descriptor, 0o444)
        try groupSync.makeDurable(descriptor, path: path)
    }

    /// Moves a checked, durable temporary file to its blob path and records it.
    private func place(_ temporary: String, _ image: ExaminedImage, key: String) throws -> StoreEntry {
        try ensureDirectory(folder(for: key))
        let blob = blobPath(for: key, format: image.info.format)
        try FileIO.rename(temporary, to: blob)
        let modified = FileIO.status(blob)?.modified ?? 0
        append(EntryRecord(key: key, info: image.info, bytes: image.bytes, sha256: image.sha256, modified: modified))
        return StoreEntry(key: key, info: image.info, bytes: image.bytes, outputHash: image.sha256, blobPath: blob)
    }

    /// Stores image bytes a provider answered with inline: checks them in memory, writes and syncs a
    /// temporary file, moves it into place, and records it. The same result as `commit(temporary:key:)`
    /// without writing the bytes to one file and reading them back.
    func commit(image: Data, key: String) throws -> StoreEntry {
        guard let examined = ImageInspector.examine(image) else {
            throw CommitError.notAnImage("\(image.count) bytes, unknown or truncated")
        }
        try ensureDirectory(temporaryDirectory)
        let temporary = FileIO.temporaryName(in: temporaryDirectory, hint: String(key.prefix(16)))
        do {
            try FileIO.writeNew(image, to: temporary) { try self.makeReadOnlyAndDurable($0, path: temporary) }
            return try place(temporary, examined, key: key)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Whether `friendlyPath` already is the entry's image (the same file, not a copy).
    func isLinked(_ entry: StoreEntry, at friendlyPath: String) -> Bool {
        FileIO.inode(friendlyPath).map { isBlob(of: entry, $0) } ?? false
    }

    private func isBlob(of entry: StoreEntry, _ file: (device: UInt64, inode: UInt64)) -> Bool {
        guard let blob = FileIO.inode(entry.blobPath) else { return false }
        return blob == file
    }

    /// Points a friendly path at a store entry (a hard link, or a copy where links fail), atomically.
    /// A file already there whose bytes are no image the store ever recorded is someone's edit: it is
    /// kept beside, as `<stem>.edited.<ext>`, and that path is returned.
    @discardableResult
    func link(_ entry: StoreEntry, to friendlyPath: String) throws -> String? {
        var keptEdit: String?
        if let existing = FileEntry.at(friendlyPath) {
            if isBlob(of: entry, (existing.identity.device, existing.identity.inode)) { return nil }
            if existing.kind == .file && !isRecordedImage(friendlyPath) {
                keptEdit = try keepAside(friendlyPath)
            }
        }
        if keptEdit != nil || FileEntry.at(friendlyPath) == nil {
            try ensureDirectory((friendlyPath as NSString).deletingLastPathComponent)
            // Nothing there (any more): one link(2) puts the whole file in place or fails.
            if Foundation.link(entry.blobPath, friendlyPath) == 0 { return keptEdit }
        }
        try ensureDirectory((friendlyPath as NSString).deletingLastPathComponent)
        try ensureDirectory(temporaryDirectory)
        let temporary = FileIO.temporaryName(in: temporaryDirectory, hint: "link")
        if Foundation.link(entry.blobPath, temporary) != 0 {
            try FileManager.default.copyItem(atPath: entry.blobPath, toPath: temporary)
            try FileIO.fsync(path: temporary)
        }
        try FileIO.rename(temporary, to: friendlyPath)
        return keptEdit
    }

    /// Whether the file's bytes are an image the store recorded (a copy delivered where links fail).
    private func isRecordedImage(_ path: String) -> Bool {
        guard let hash = try? SHA256.hashFile(at: URL(fileURLWithPath: path)).hexString else { return false }
        return loadedRecords().values.contains { $0.sha256 == hash }
    }

    /// Renames `path` to the first free `<stem>.edited[-n].<ext>` beside it.
    private func keepAside(_ path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().path
        let ext = url.pathExtension
        var candidate = "\(stem).edited.\(ext)"
        var number = 2
        while FileEntry.at(candidate) != nil {
            candidate = "\(stem).edited-\(number).\(ext)"
            number += 1
        }
        try FileIO.rename(path, to: candidate)
        return candidate
    }

    /// Removes temporary files left by processes that are no longer running.
    func removeAbandonedTemporaries() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory) else { return }
        for name in names where name.hasSuffix(".partial") {
            let parts = name.split(separator: ".")
            guard parts.count >= 4, let pid = Int32(parts[parts.count - 3]) else { continue }
            if !FileIO.isProcessAlive(pid) {
                try? FileManager.default.removeItem(atPath: "\(temporaryDirectory)/\(name)")
            }
        }
    }
}
