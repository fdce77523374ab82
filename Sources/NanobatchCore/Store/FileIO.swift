import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small POSIX helpers for crash-safe writes.
enum FileIO {
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let code: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    static func check(_ result: Int32, _ operation: String, _ path: String) throws {
        if result != 0 { throw Failure(operation: operation, path: path, code: errno) }
    }

    /// `mkdir -p`: creates `path` and its missing parents; the error names the system's reason.
    static func createDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try createDirectory(parent) }
        guard mkdir(path, 0o777) != 0 else { return }  // less the umask, as FileManager does
        let code = errno
        guard code == EEXIST else { throw Failure(operation: "mkdir", path: path, code: code) }
        // Made meanwhile by another thread, or a file in the way.
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw Failure(operation: "mkdir", path: path, code: ENOTDIR)
        }
    }

    static func fsync(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        try check(Foundation.fsync(fd), "fsync", path)
    }

    /// A temporary name whose pid lets a later run tell a dead process's leftovers from live work.
    static func temporaryName(in directory: String, hint: String) -> String {
        "\(directory)/\(hint.prefix(40)).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).partial"
    }

    /// Creates `path` (or truncates it) and writes `data` to it, then runs `beforeClosing` (such as a sync).
    static func writeNew(_ data: Data, to path: String, beforeClosing: ((Int32) throws -> Void)? = nil) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(operation: "create", path: path, code: errno) }
        defer { close(fd) }
        try writeAll(data, to: fd, path: path)
        try beforeClosing?(fd)
    }

    static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        try data.withUnsafeBytes { try writeAll($0, to: fd, path: path) }
    }

    static func writeAll(_ raw: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
        var written = 0
        while written < raw.count {
            let n = write(fd, raw.baseAddress!.advanced(by: written), raw.count - written)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Failure(operation: "write", path: path, code: errno) }
            written += n
        }
    }

    /// Writes `data` to a temporary file (beside `path`, or in `temporaryDirectory` on the same
    /// file system), fsyncs it, renames it over `path`, and fsyncs the folder.
    static func writeAtomically(_ data: some ContiguousBytes, to path: String, temporaryDirectory: String? = nil) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try createDirectory(directory)
        if let temporaryDirectory { try createDirectory(temporaryDirectory) }
        let temporary = temporaryName(in: temporaryDirectory ?? directory, hint: "." + (path as NSString).lastPathComponent)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw Failure(operation: "create", path: temporary, code: errno) }
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { try writeAll($0, to: fd, path: temporary) }
            try check(Foundation.fsync(fd), "fsync", temporary)
        } catch {
            unlink(temporary)
            throw error
        }
        try rename(temporary, to: path)
        try? fsync(path: directory)
    }

    static func rename(_ from: String, to: String) throws {
        try check(Foundation.rename(from, to), "rename", from)
    }

    static func fileSize(_ path: String) -> Int? {
        FileStatus.of(path).map { Int($0.size) }
    }

    /// Size and modification time (nanoseconds since 1970) of a file, or `nil` when it is absent.
    static func status(_ path: String) -> (size: Int, modified: Int64)? {
        FileStatus.of(path).map { (Int($0.size), $0.modified) }
    }

    static func inode(_ path: String) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Whether `path` is a regular file (following symlinks): not a folder, device, FIFO or socket.
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func isProcessAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}

/// An exclusive advisory lock on a file, held until released or the process ends.
final class FileLock: @unchecked Sendable {
    private let fd: Int32

    /// Returns `nil` when another process holds the lock.
    init?(path: String) throws {
        try FileIO.createDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw FileIO.Failure(operation: "open", path: path, code: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    deinit { close(fd) }
}
