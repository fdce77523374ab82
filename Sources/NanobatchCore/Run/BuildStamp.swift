import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fingerprint of a fully cached build: what shaped it (tool, manifest bytes, output root, budget)
/// and the identity of every file it read or wrote (inode, size, mtime, ctime). When the next run of the
/// same manifest finds all of it unchanged, it has nothing to do and says so after one `stat` per file,
/// like ninja's no-op; its reports already describe that build. Kept at `<root>/.nanobatch/stamps/<name>.stamp`.
///
/// Only a run in which every job was already cached writes a stamp (so the kept reports say exactly
/// what a full run would); every other run removes it before it changes anything.
enum BuildStamp {
    static let header = "nanobatch build stamp v1"

    /// What shapes a build besides the files it reads: the tool and its binary, the manifest's bytes
    /// and folder (relative references resolve against it), the output root and the budget.
    static func context(manifest: Manifest, root: String, maxCost: Double?) -> String {
        var text = "\(header)\ntool \(NanobatchCLI.version)\n"
        #if os(Linux)
            let binary = "/proc/self/exe"
        #else
            let binary = CommandLine.arguments.first ?? ""
        #endif
        if let identity = FileStatus.of(binary) {
            text += "binary \(identity.inode) \(identity.size) \(identity.modified)\n"
        }
        text += "manifest \(manifest.sourceDigest)\nfolder \(manifest.directory.standardizedFileURL.path)\n"
        text += "root \(root)\nmaxCost \(maxCost.map { "\($0)" } ?? "none")\n"
        // Re-rolls and picks change the build without changing the manifest (absent: the context as before takes).
        if !manifest.takes.entries.isEmpty { text += "takes \(SHA256.hash(manifest.takes.encoded()).hexString)\n" }
        return SHA256.hash(text).hexString
    }

    /// Records `files` (absolute paths; absent ones are recorded as absent). Returns false, writing
    /// nothing, when a path cannot be recorded on one line.
    @discardableResult
    static func write(to path: String, context: String, jobs: Int, root: String, files: [String]) throws -> Bool {
        let prefix = root + "/"
        // One `stat` and one line per file, in chunks on every core.
        let chunk = 2048
        let parts = ParallelMap.map(count: (files.count + chunk - 1) / chunk, chunk: 1) { part -> String? in
            var lines = ""
            lines.reserveCapacity(chunk * 100)
            for file in files[part * chunk..<min(files.count, (part + 1) * chunk)] {
                guard !file.utf8.contains(0x0A), file.hasPrefix("/") else { return nil }
                let recorded = file.hasPrefix(prefix) ? String(file.utf8.dropFirst(prefix.utf8.count))! : file
                let status = FileStatus.of(file) ?? .absent
                lines += "\(Int64(bitPattern: status.inode))\t\(status.size)\t\(status.modified)\t\(status.changed)\t\(recorded)\n"
            }
            return lines
        }
        var text = "\(header)\n\(context)\t\(jobs)\t\(files.count)\n"
        for part in parts {
            guard let part else { return false }
            text += part
        }
        text += "end\n"
        try FileIO.writeAtomically(Data(text.utf8), to: path)
        return true
    }

    static func remove(at path: String) {
        unlink(path)
    }

    /// The number of jobs of the stamped build when the stamp at `path` was made in `context` and every
    /// recorded file is still as it was; otherwise `nil`. Files are checked in parallel, straight from the bytes.
    static func check(at path: String, context: String, root: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let layout = data.withUnsafeBytes { raw -> (jobs: Int, files: Int, parts: [Range<Int>])? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lines: [Range<Int>] = []
            var start = 0
            // Header and context line; the body is split into ranges below.
            while lines.count < 2, let end = (start..<bytes.count).first(where: { bytes[$0] == 0x0A }) {
                lines.append(start..<end)
                start = end + 1
            }
            guard lines.count == 2, String(decoding: UnsafeBufferPointer(rebasing: bytes[lines[0]]), as: UTF8.self) == header else {
                return nil
            }
            let fields = String(decoding: UnsafeBufferPointer(rebasing: bytes[lines[1]]), as: UTF8.self).split(separator: "\t")
            guard fields.count == 3, fields[0] == context, let jobs = Int(fields[1]), let files = Int(fields[2]) else { return nil }
            let trailer = Array("end\n".utf8)
            guard bytes.count - start >= trailer.count,
                Array(bytes[(bytes.count - trailer.count)...]) == trailer
            else { return nil }
            let body = start..<(bytes.count - trailer.count)
            return (jobs, files, split(body, in: bytes, into: files >= 4096 ? ProcessInfo.processInfo.activeProcessorCount : 1))
        }
        guard let layout else { return nil }
        // The files matched so far; -1 once a part finds one that differs.
        let tally = Locked(0)
        DispatchQueue.concurrentPerform(iterations: layout.parts.count) { index in
            let matched = data.withUnsafeBytes { raw in
                verify(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[layout.parts[index]]), root: root)
            }
            tally.withLock { $0 = $0 < 0 || matched < 0 ? -1 : $0 + matched }
        }
        return tally.withLock { $0 } == layout.files ? layout.jobs : nil
    }

    /// Splits `range` into about `count` pieces that end at line ends.
    private static func split(_ range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>, into count: Int) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        for piece in 1...max(1, count) {
            var end = piece == count ? range.upperBound : range.lowerBound + range.count * piece / count
            while end < range.upperBound, end > start, bytes[end - 1] != 0x0A { end += 1 }
            if end > start { parts.append(start..<end) }
            start = max(start, end)
        }
        return parts
    }

    /// Checks every line of `lines`; the number of files that match, or -1 at the first that does not.
    /// Consecutive files share a folder, so each folder is opened once and its files are `fstatat`ed by name.
    private static func verify(_ lines: UnsafeBufferPointer<UInt8>, root: String) -> Int {
        var name = [CChar](repeating: 0, count: Int(NAME_MAX) + 1)
        // The open folder, as the bytes of the line that opened it (empty: the root itself).
        var folder = 0..<0
        var folderFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { if folderFD >= 0 { close(folderFD) } }
        let base = lines.baseAddress!
        var matched = 0
        var lineStart = 0
        for position in 0..<lines.count where lines[position] == 0x0A {
            var recorded = FileStatus.absent
            var cursor = lineStart
            for field in 0..<4 {
                var value: Int64 = 0
                var negative = false
                if cursor < position, lines[cursor] == 0x2D {
                    negative = true
                    cursor += 1
                }
                let digitsStart = cursor
                while cursor < position, lines[cursor] &- 0x30 < 10, cursor - digitsStart < 19 {
                    value = value &* 10 &+ Int64(lines[cursor] &- 0x30)
                    cursor += 1
                }
                guard cursor > digitsStart, cursor < position, lines[cursor] == 0x09 else { return -1 }
                if negative { value = -value }
                switch field {
                case 0: recorded.inode = UInt64(bitPattern: value)
                case 1: recorded.size = value
                case 2: recorded.modified = value
                default: recorded.changed = value
                }
                cursor += 1
            }
            // Relative to the root unless absolute; split at the last slash into folder and name.
            let path = cursor..<position
            guard !path.isEmpty else { return -1 }
            var slash = position - 1
            while slash >= cursor, lines[slash] != 0x2F { slash -= 1 }
            guard position - slash - 1 > 0, position - slash - 1 < name.count else { return -1 }
            let wanted = slash < cursor ? cursor..<cursor : cursor..<(slash == cursor ? cursor + 1 : slash)
            if wanted.count != folder.count || memcmp(base + wanted.lowerBound, base + folder.lowerBound, wanted.count) != 0 {
                if folderFD >= 0 { close(folderFD) }
                folder = wanted
                var bytes: [UInt8] = wanted.isEmpty || lines[cursor] != 0x2F ? Array(root.utf8) : []
                if !wanted.isEmpty { bytes += (bytes.isEmpty ? [] : [0x2F]) + UnsafeBufferPointer(rebasing: lines[wanted]) }
                bytes.append(0)
                folderFD =
                    bytes.count == 1
                    ? open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    : bytes.withUnsafeBufferPointer {
                        $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
                    }
            }
            var at = 0
            for index in (slash + 1)..<position {
                name[at] = CChar(bitPattern: lines[index])
                at += 1
            }
            name[at] = 0
            let now = folderFD < 0 ? .absent : name.withUnsafeBufferPointer { FileStatus.of($0.baseAddress!, in: folderFD) } ?? .absent
            guard now == recorded else { return -1 }
            matched += 1
            lineStart = position + 1
        }
        return lineStart == lines.count ? matched : -1
    }
}

/// The parts of `stat` that say whether a file is the one recorded: any write, replacement,
/// link or unlink of it changes one of them.
struct FileStatus: Equatable {
    var inode: UInt64
    var size: Int64
    var modified: Int64
    var changed: Int64

    static let absent = FileStatus(inode: 0, size: -1, modified: 0, changed: 0)

    static func of(_ path: UnsafePointer<CChar>, in folder: Int32 = AT_FDCWD) -> FileStatus? {
        var info = stat()
        guard fstatat(folder, path, &info, 0) == 0 else { return nil }
        #if canImport(Darwin)
            let modified = info.st_mtimespec
            let changed = info.st_ctimespec
        #else
            let modified = info.st_mtim
            let changed = info.st_ctim
        #endif
        return FileStatus(
            inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(modified.tv_sec) * 1_000_000_000 + Int64(modified.tv_nsec),
            changed: Int64(changed.tv_sec) * 1_000_000_000 + Int64(changed.tv_nsec))
    }

    static func of(_ path: String) -> FileStatus? { path.withCString { of($0) } }
}
