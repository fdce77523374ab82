import Foundation

/// One line of the store's `entries.log`: `v1 key format width height bytes sha256 modifiedNs`, tab-separated.
struct EntryRecord: Sendable, Equatable {
    var key: String
    var info: ImageInfo
    var bytes: Int
    var sha256: String
    /// The blob's modification time in nanoseconds since 1970, as `stat` gave it after the rename.
    var modified: Int64

    var line: String {
        "v1\t\(key)\t\(info.format.rawValue)\t\(info.width)\t\(info.height)\t\(bytes)\t\(sha256)\t\(modified)\n"
    }

    init(key: String, info: ImageInfo, bytes: Int, sha256: String, modified: Int64) {
        self.key = key
        self.info = info
        self.bytes = bytes
        self.sha256 = sha256
        self.modified = modified
    }

    /// Every whole line of the log (a torn last line and malformed lines are skipped; the last line
    /// for a key wins), and how many lines it has. Parsed as bytes: the log has a line per image.
    static func readLog(_ path: String) -> (records: [String: EntryRecord], lines: Int) {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return ([:], 0) }
        return data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var records: [String: EntryRecord] = [:]
            records.reserveCapacity(bytes.count / 170)
            var lines = 0
            var lineStart = 0
            for position in 0..<bytes.count where bytes[position] == 0x0A {
                lines += 1
                if let record = parse(UnsafeBufferPointer(rebasing: bytes[lineStart..<position])) { records[record.key] = record }
                lineStart = position + 1
            }
            return (records, lines)
        }
    }

    private static func parse(_ line: UnsafeBufferPointer<UInt8>) -> EntryRecord? {
        var fields: [Range<Int>] = []
        fields.reserveCapacity(8)
        var fieldStart = 0
        for position in 0..<line.count where line[position] == 0x09 {
            fields.append(fieldStart..<position)
            fieldStart = position + 1
        }
        fields.append(fieldStart..<line.count)
        guard fields.count == 8, fields[1].count == 64, fields[6].count == 64 else { return nil }
        func isHex(_ range: Range<Int>) -> Bool {
            range.allSatisfy { (0x30...0x39).contains(line[$0]) || (0x61...0x66).contains(line[$0]) }
        }
        guard isHex(fields[1]), isHex(fields[6]) else { return nil }  // the key becomes a path
        func text(_ index: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: line[fields[index]]), as: UTF8.self) }
        func number(_ index: Int) -> Int64? {
            let range = fields[index]
            guard !range.isEmpty, range.count <= 20 else { return nil }
            return Int64(String(decoding: UnsafeBufferPointer(rebasing: line[range]), as: UTF8.self))
        }
        guard text(0) == "v1", let format = ImageFormat(rawValue: text(2)), let width = number(3), let height = number(4),
            let bytes = number(5), let modified = number(7)
        else { return nil }
        return EntryRecord(
            key: text(1), info: ImageInfo(format: format, width: Int(width), height: Int(height)), bytes: Int(bytes),
            sha256: text(6), modified: modified)
    }
}
