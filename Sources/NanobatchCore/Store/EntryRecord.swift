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

    /// Parses one line without its newline; `nil` for anything malformed.
    init?(line: Substring) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 8, fields[0] == "v1", fields[1].utf8.count == 64, fields[6].utf8.count == 64,
              let format = ImageFormat(rawValue: String(fields[2])),
              let width = Int(fields[3]), let height = Int(fields[4]), let bytes = Int(fields[5]),
              let modified = Int64(fields[7]) else { return nil }
        self.init(key: String(fields[1]), info: ImageInfo(format: format, width: width, height: height), bytes: bytes,
                  sha256: String(fields[6]), modified: modified)
    }

    init(key: String, info: ImageInfo, bytes: Int, sha256: String, modified: Int64) {
        self.key = key
        self.info = info
        self.bytes = bytes
        self.sha256 = sha256
        self.modified = modified
    }

    /// Every whole line of the log (a torn last line and malformed lines are skipped; the last line
    /// for a key wins), and how many lines it has.
    static func readLog(_ path: String) -> (records: [String: EntryRecord], lines: Int) {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return ([:], 0) }
        let text = String(decoding: data, as: UTF8.self)
        var records: [String: EntryRecord] = [:]
        var lines = 0
        var rest = text[...]
        while let newline = rest.firstIndex(of: "\n") {
            lines += 1
            if let record = EntryRecord(line: rest[..<newline]) { records[record.key] = record }
            rest = rest[rest.index(after: newline)...]
        }
        return (records, lines)
    }
}
