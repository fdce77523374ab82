import Foundation

/// What the store knows of one finished image.
public struct StoreEntry: Sendable, Equatable {
    public var key: String
    public var info: ImageInfo
    public var bytes: Int
    /// SHA-256 of the image file: what chained steps put in their own keys.
    public var outputHash: String
    public var blobPath: String
}

/// Content-addressed image store under `<output root>/.nanobatch/store`, shared by every manifest
/// using that root. Blobs are `<ab>/<key>.<ext>` with a one-line `<key>.meta` beside them; both are
/// written atomically. A lookup is a hit only when the blob is present, of the recorded size, and
/// has a valid header and ending.
public final class ContentStore: Sendable {
    public let root: URL
    public let storeDirectory: String
    public let temporaryDirectory: String

    public init(root: URL) {
        self.root = root
        self.storeDirectory = root.appendingPathComponent(".nanobatch/store").path
        self.temporaryDirectory = root.appendingPathComponent(".nanobatch/tmp").path
    }

    func folder(for key: String) -> String { "\(storeDirectory)/\(key.prefix(2))" }
    func metaPath(for key: String) -> String { "\(folder(for: key))/\(key).meta" }
    func blobPath(for key: String, format: ImageFormat) -> String { "\(folder(for: key))/\(key).\(format.fileExtension)" }

    /// The verified entry for `key`, or `nil` (absent, incomplete, or corrupt: such an entry is made again).
    public func lookup(_ key: String) -> StoreEntry? {
        guard let line = FileIO.readSmallFile(metaPath(for: key)) else { return recover(key) }
        let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\t").map(String.init)
        guard fields.count == 6, fields[0] == "v1", let format = ImageFormat(rawValue: fields[1]),
              let width = Int(fields[2]), let height = Int(fields[3]), let bytes = Int(fields[4]) else { return nil }
        let blob = blobPath(for: key, format: format)
        guard FileIO.fileSize(blob) == bytes, let info = ImageInspector.inspectFile(at: blob),
              info == ImageInfo(format: format, width: width, height: height) else { return nil }
        return StoreEntry(key: key, info: info, bytes: bytes, outputHash: fields[5], blobPath: blob)
    }

    /// Whether any image file exists for `key`, whole or not (to tell "gone" from "failed its check").
    public func hasBlob(for key: String) -> Bool {
        ImageFormat.allCases.contains { FileIO.fileSize(blobPath(for: key, format: $0)) != nil }
    }

    /// A run killed between moving an image into place and writing its meta line left a whole image
    /// without one: keep it (it was paid for) and write the missing line.
    func recover(_ key: String) -> StoreEntry? {
        for format in ImageFormat.allCases {
            let blob = blobPath(for: key, format: format)
            guard let size = FileIO.fileSize(blob) else { continue }
            guard let info = ImageInspector.inspectFile(at: blob), info.format == format,
                  let hash = try? SHA256.hashFile(at: URL(fileURLWithPath: blob)).hexString else { return nil }
            let entry = StoreEntry(key: key, info: info, bytes: size, outputHash: hash, blobPath: blob)
            try? writeMeta(entry)
            return entry
        }
        return nil
    }

    /// The one-line meta record that `lookup` reads back: `v1 format width height bytes sha256`, tab-separated.
    func writeMeta(_ entry: StoreEntry) throws {
        let info = entry.info
        let line = "v1\t\(info.format.rawValue)\t\(info.width)\t\(info.height)\t\(entry.bytes)\t\(entry.outputHash)\n"
        try FileIO.writeAtomically(Data(line.utf8), to: metaPath(for: entry.key), temporaryDirectory: temporaryDirectory)
    }

    /// A fresh temporary path for a provider to write into; the name carries our pid so that
    /// leftovers of a killed run can be told apart from a live run's files.
    public func temporaryFile(for key: String) throws -> URL {
        try FileIO.createDirectory(temporaryDirectory)
        return URL(fileURLWithPath: FileIO.temporaryName(in: temporaryDirectory, hint: String(key.prefix(16))))
    }

    public enum CommitError: Error, CustomStringConvertible {
        case notAnImage(String)
        public var description: String {
            switch self {
            case .notAnImage(let detail): return "the provider's answer is not a whole PNG, JPEG or WebP image (\(detail))"
            }
        }
    }

    /// Verifies the temporary file, fsyncs it, and moves it into place; then writes the meta line.
    public func commit(temporary: URL, key: String) throws -> StoreEntry {
        let path = temporary.path
        guard let size = FileIO.fileSize(path) else { throw CommitError.notAnImage("no file written") }
        guard let info = ImageInspector.inspectFile(at: path) else {
            try? FileManager.default.removeItem(atPath: path)
            throw CommitError.notAnImage("\(size) bytes, unknown or truncated")
        }
        let outputHash = try SHA256.hashFile(at: temporary).hexString
        try FileIO.fsync(path: path)
        let folder = folder(for: key)
        try FileIO.createDirectory(folder)
        let blob = blobPath(for: key, format: info.format)
        try FileIO.rename(path, to: blob)
        let entry = StoreEntry(key: key, info: info, bytes: size, outputHash: outputHash, blobPath: blob)
        try writeMeta(entry)
        return entry
    }

    /// Points a friendly path at a store entry (a hard link, or a copy where links fail), atomically.
    public func link(_ entry: StoreEntry, to friendlyPath: String) throws {
        if let existing = FileIO.inode(friendlyPath), let blob = FileIO.inode(entry.blobPath), existing == blob { return }
        try FileIO.createDirectory((friendlyPath as NSString).deletingLastPathComponent)
        try FileIO.createDirectory(temporaryDirectory)
        let temporary = FileIO.temporaryName(in: temporaryDirectory, hint: "link")
        if Foundation.link(entry.blobPath, temporary) != 0 {
            try FileManager.default.copyItem(atPath: entry.blobPath, toPath: temporary)
            try FileIO.fsync(path: temporary)
        }
        try FileIO.rename(temporary, to: friendlyPath)
    }

    /// Removes temporary files left by processes that are no longer running.
    public func removeAbandonedTemporaries() {
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
