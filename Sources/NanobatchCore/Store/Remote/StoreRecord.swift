import Foundation

/// What the remote store keeps per job under `ac/<content key>`: which image (`cas/<sha256>`), its
/// format, pixel size and bytes, and who made it when. No host or user name: only the tool's
/// version and, for a sharded run, the shard.
package struct StoreRecord: Codable, Sendable, Equatable {
    package static let currentVersion = 1

    package var version: Int
    package var key: String
    package var sha256: String
    package var format: String
    package var width: Int
    package var height: Int
    package var bytes: Int
    /// `nanobatch <version>`.
    package var madeBy: String
    /// `K/N` when a shard made it.
    package var shard: String?
    /// ISO 8601, UTC.
    package var madeAt: String

    package init(entry: StoreEntry, shard: String?, madeAt: Date = Date()) {
        version = StoreRecord.currentVersion
        key = entry.key
        sha256 = entry.outputHash
        format = entry.info.format.rawValue
        width = entry.info.width
        height = entry.info.height
        bytes = entry.bytes
        madeBy = "nanobatch \(NanobatchCLI.version)"
        self.shard = shard
        self.madeAt = ISO8601DateFormatter().string(from: madeAt)
    }

    /// Sorted keys and no spaces: the same record is the same bytes.
    package var encoded: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    var info: ImageInfo? { ImageFormat(rawValue: format).map { ImageInfo(format: $0, width: width, height: height) } }

    /// The record stored under `key`, checked: its own key matches, its hash is SHA-256 hex, its format known.
    static func decode(_ data: Data, key: String, source: URL) throws -> StoreRecord {
        guard let record = try? JSONDecoder().decode(StoreRecord.self, from: data), record.version == currentVersion,
            record.key == key, record.sha256.count == 64, record.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
            record.info != nil, record.bytes > 0
        else {
            throw RemoteStoreError(
                .malformedRecord,
                "\(source) is not a nanobatch job record for this key (\(data.count) bytes); remove it from the store to make the job again"
            )
        }
        return record
    }
}
