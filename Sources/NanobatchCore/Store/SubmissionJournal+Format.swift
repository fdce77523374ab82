import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The journal's line format. Version 2, written now, has one more field (the manifest) and escapes
/// every field, so ids and URLs of any length and content come back whole:
///
///     v2 <event> <time> <key> <provider> <job> <manifest> [<task id or result URL>]
///
/// Fields are separated by tabs; `%`, tab, CR, LF and other control bytes are written as `%XX`.
/// Version 1 lines (no manifest, fields written as they were) are still read.
extension SubmissionJournal {
    /// One journal line, as read.
    struct Record: Sendable, Equatable {
        var event: String
        /// Seconds since 1970, as written (not checked: `analyse` replaces implausible times).
        var time: Double
        var key: String
        var provider: String
        var job: String
        /// The manifest whose run wrote the line; empty for version 1 lines.
        var manifest: String = ""
        /// The task id of a `task` line, the result URL of a `result` line.
        var detail: String = ""

        /// The task id of a `task` line, else empty.
        var taskID: String { event == "task" ? detail : "" }
    }

    static func line(
        _ event: String, _ key: String, _ provider: String, _ job: String, manifest: String, _ detail: String?,
        time: Double
    ) -> String {
        var fields = ["v2", event, stamp(time), escape(key), escape(provider), escape(job), escape(manifest)]
        if let detail { fields.append(escape(detail)) }
        return fields.joined(separator: "\t") + "\n"
    }

    static func line(_ record: Record) -> String {
        line(
            record.event, record.key, record.provider, record.job, manifest: record.manifest,
            record.detail.isEmpty ? nil : record.detail, time: record.time)
    }

    /// Seconds with milliseconds; never traps (times outside 0...1e11 are clamped).
    static func stamp(_ time: Double) -> String {
        let seconds = time.isFinite ? min(max(0, time), 1e11) : 0
        let milliseconds = Int64((seconds * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// `%`, control bytes and DEL as `%XX`; everything else as it is.
    static func escape(_ field: String) -> String {
        guard field.utf8.contains(where: { $0 < 0x20 || $0 == 0x25 || $0 == 0x7F }) else { return field }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(field.utf8.count + 8)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in field.utf8 {
            if byte < 0x20 || byte == 0x25 || byte == 0x7F {
                bytes += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reverses `escape`; a `%` not followed by two hex digits is kept as it is.
    static func unescape(_ field: Substring) -> String {
        guard field.utf8.contains(0x25) else { return String(field) }
        let input = Array(field.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(input.count)
        func value(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        var index = 0
        while index < input.count {
            if input[index] == 0x25, index + 2 < input.count, let high = value(input[index + 1]), let low = value(input[index + 2]) {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What a journal file holds: its whole lines, how many there were, and the bytes read.
    struct Contents: Sendable {
        var records: [Record] = []
        var lines = 0
        var data = Data()
    }

    /// Whole lines only; anything malformed is skipped. A journal that is not a regular file
    /// (a device, a folder) reads as empty.
    static func read(_ path: String) -> (records: [Record], lines: Int) {
        let contents = readContents(path)
        return (contents.records, contents.lines)
    }

    static func readContents(_ path: String) -> Contents {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
            let data = FileManager.default.contents(atPath: path), !data.isEmpty
        else { return Contents() }
        var contents = Contents(data: data)
        // A line cut short by a crash has no newline: it is not read.
        guard let lastNewline = data.lastIndex(of: 0x0A) else {
            contents.lines = 1
            return contents
        }
        for line in data[...lastNewline].split(separator: 0x0A, omittingEmptySubsequences: true) {
            contents.lines += 1
            if let record = parse(String(decoding: line, as: UTF8.self)) { contents.records.append(record) }
        }
        return contents
    }

    static func parse(_ line: String) -> Record? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count >= 6, let time = Double(fields[2]), !fields[3].isEmpty else { return nil }
        var record: Record
        switch fields[0] {
        case "v1":
            record = Record(
                event: String(fields[1]), time: time, key: String(fields[3]), provider: String(fields[4]), job: String(fields[5]),
                detail: fields.count > 6 ? String(fields[6]) : "")
        case "v2":
            guard fields.count >= 7 else { return nil }
            record = Record(
                event: String(fields[1]), time: time, key: unescape(fields[3]), provider: unescape(fields[4]),
                job: unescape(fields[5]), manifest: unescape(fields[6]), detail: fields.count > 7 ? unescape(fields[7]) : "")
        default:
            return nil
        }
        if (record.event == "task" || record.event == "result") && record.detail.isEmpty { return nil }
        return record
    }

    /// An ISO 8601 time for reports; never traps.
    static func timestamp(_ seconds: Double) -> String {
        UTCTimestamp.iso8601(Date(timeIntervalSince1970: seconds.isFinite ? min(max(0, seconds), 1e11) : 0))
    }
}
