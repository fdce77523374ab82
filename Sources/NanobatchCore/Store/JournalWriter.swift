import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the journal cannot take another line: a write or sync failed. From then on nothing more is
/// written (a half-written line must not be extended), and no paid request may go out.
package struct JournalFailure: Error, Sendable, Equatable, CustomStringConvertible {
    package var path: String
    /// The system's reason, e.g. "write: No space left on device".
    package var reason: String

    package var description: String {
        "the submission journal \(path) cannot be written (\(reason)): no paid request is sent without its record"
    }
}

/// Appends journal lines. Lines that must be durable go to one thread of the journal's own, which
/// writes everything that arrived meanwhile at once and syncs once for all of it (group commit), so
/// a submission never waits behind image files being written or behind other submissions' syncs.
/// The first failed write or sync fails the writer for good: every waiting and later line is told.
final class JournalWriter: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    /// Returns 0, or -1 with `errno` set (as `fdatasync` does).
    private let dataSync: @Sendable (Int32) -> Int32
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var whenDurable: [@Sendable (JournalFailure?) -> Void] = []
    private var closing = false
    private var running = true
    private var syncs = 0
    private var failed: JournalFailure?
    /// Serialises writes to the file, so lines never interleave.
    private let writeLock = NSLock()

    init(fd: Int32, path: String, dataSync: @escaping @Sendable (Int32) -> Int32) {
        self.fd = fd
        self.path = path
        self.dataSync = dataSync
        let thread = Thread { [self] in loop() }
        thread.name = "nanobatch-journal"
        thread.stackSize = 256 << 10
        thread.start()
    }

    var syncCount: Int { condition.withLock { syncs } }

    /// The failure that stopped the writer, if one did.
    var failure: JournalFailure? { condition.withLock { failed } }

    /// Queues `line`; `done` runs once it is written and synced (`nil`), or could not be (the failure).
    func appendDurably(_ line: String, done: @escaping @Sendable (JournalFailure?) -> Void) {
        condition.lock()
        if let failed {
            condition.unlock()
            done(failed)
            return
        }
        pending.append(contentsOf: line.utf8)
        whenDurable.append(done)
        condition.signal()
        condition.unlock()
    }

    /// Returns once `line` is durable; throws the failure when it cannot be.
    func appendDurably(_ line: String) async throws {
        let failure = await withCheckedContinuation { (continuation: CheckedContinuation<JournalFailure?, Never>) in
            appendDurably(line) { continuation.resume(returning: $0) }
        }
        if let failure { throw failure }
    }

    /// Writes `line` from the calling thread, without a sync (nothing when the writer has failed).
    func writeNow(_ line: String) {
        guard failure == nil else { return }
        var line = line
        let problem: (any Error)? = writeLock.withLock {
            line.withUTF8 { bytes in
                do {
                    try FileIO.writeAll(UnsafeRawBufferPointer(bytes), to: fd, path: path)
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let problem { fail(JournalFailure(path: path, reason: "\(problem)")) }
    }

    /// Writes what is queued, then closes the file.
    func finish() {
        condition.lock()
        closing = true
        condition.signal()
        while running { condition.wait() }
        condition.unlock()
        close(fd)
    }

    private func fail(_ failure: JournalFailure) {
        condition.withLock { if failed == nil { failed = failure } }
    }

    /// Writes and syncs one batch; the failure, if either step failed.
    private func writeAndSync(_ batch: [UInt8]) -> JournalFailure? {
        if let failure { return failure }
        let problem: String? = writeLock.withLock {
            do {
                try batch.withUnsafeBytes { try FileIO.writeAll($0, to: fd, path: path) }
            } catch {
                return "\(error)"
            }
            guard dataSync(fd) == 0 else { return "sync: \(String(cString: strerror(errno)))" }
            return nil
        }
        guard let problem else { return nil }
        let failure = JournalFailure(path: path, reason: problem)
        fail(failure)
        return self.failure ?? failure
    }

    private func loop() {
        var batch: [UInt8] = []
        var waiting: [@Sendable (JournalFailure?) -> Void] = []
        condition.lock()
        while true {
            while pending.isEmpty && !closing { condition.wait() }
            if pending.isEmpty { break }
            swap(&batch, &pending)
            swap(&waiting, &whenDurable)
            condition.unlock()
            let failure = writeAndSync(batch)
            condition.withLock { syncs += 1 }
            for done in waiting { done(failure) }
            batch.removeAll(keepingCapacity: true)
            waiting.removeAll(keepingCapacity: true)
            condition.lock()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
