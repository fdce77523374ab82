import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Append-only record of paid submissions under `<output root>/.nanobatch/journal`, shared by every
/// manifest using that root (runs on one root are serialised by the run lock).
///
/// One tab-separated line per event, fsynced before the run goes on:
/// - `v1 submit <time> <key> <provider> <job>` — a create request is about to be sent;
/// - `v1 task <time> <key> <provider> <job> <task id>` — the provider returned an async task id;
/// - `v1 end <time> <key> <provider> <job>` — the job finished (made or failed).
///
/// A rerun resumes polling a journaled task instead of creating a new one; a submission with no
/// task, no end and no image in the store may have been paid without a result and is reported once.
/// A line cut short by a crash has no newline and is ignored.
package final class SubmissionJournal: Sendable {
    /// A journaled async task with no end record.
    struct OpenTask: Sendable, Equatable {
        var key: String
        var provider: String
        var job: String
        var taskID: String
        /// Seconds since 1970.
        var createdAt: Double
    }

    /// A submission from an earlier run that ended neither with an image nor with an answer.
    struct Unresolved: Sendable, Equatable, Codable {
        var key: String
        var provider: String
        var job: String
        var submittedAt: String
    }

    /// How long a journaled task is worth polling again: result URLs live 24 h (evolink documents
    /// this; the others say nothing, so the same is assumed).
    static let resumeWindow: Double = 24 * 3600

    let path: String
    private let writer: JournalWriter
    /// Syncs done so far (several appends share one when they arrive together).
    var syncCount: Int { writer.syncCount }
    private let openTasks: Locked<[String: OpenTask]>
    /// Submissions of earlier runs found without a result when the journal was opened.
    let unresolved: [Unresolved]
    private let now: @Sendable () -> Double

    /// Reads the journal, keeps what is still open, and compacts the file when it holds finished
    /// records. `hasResult` says whether the store already holds a key's image.
    init(
        root: URL, hasResult: (String) -> Bool, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        dataSync: @escaping @Sendable (Int32) -> Void = { _ = fdatasync($0) }
    ) throws {
        path = OutputLayout(root: root).journalPath
        self.now = now
        let (records, lineCount) = SubmissionJournal.read(path)
        let (tasks, unresolved) = SubmissionJournal.analyse(records, hasResult: hasResult, now: now())
        self.unresolved = unresolved
        openTasks = Locked(tasks)
        try FileIO.createDirectory((path as NSString).deletingLastPathComponent)
        if lineCount > tasks.count {
            let kept = tasks.values.sorted { $0.createdAt < $1.createdAt }
                .map { SubmissionJournal.line("task", $0.key, $0.provider, $0.job, $0.taskID, time: $0.createdAt) }
            try FileIO.writeAtomically(Data(kept.joined().utf8), to: path)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw FileIO.Failure(operation: "open", path: path, code: errno) }
        writer = JournalWriter(fd: fd, path: path, dataSync: dataSync)
    }

    deinit { writer.finish() }

    /// The task to poll again for `key`, if one was journaled within the resume window.
    func openTask(for key: String, provider: String) -> OpenTask? {
        openTasks.withLock { $0[key].flatMap { $0.provider == provider ? $0 : nil } }
    }

    /// Returns once the submit line is on disk: call before the paid request is sent.
    func submitting(key: String, provider: String, job: String) async {
        await writer.appendDurably(SubmissionJournal.line("submit", key, provider, job, nil, time: now()))
    }

    /// Blocks until the task line is on disk (the provider's callback is synchronous).
    func taskCreated(key: String, provider: String, job: String, taskID: String) {
        let task = OpenTask(key: key, provider: provider, job: job, taskID: taskID, createdAt: now())
        openTasks.withLock { $0[key] = task }
        let written = DispatchSemaphore(value: 0)
        writer.appendDurably(SubmissionJournal.line("task", key, provider, job, taskID, time: task.createdAt)) { written.signal() }
        written.wait()
    }

    /// The job is over; an end lost to a crash is harmless (the store or the next answer settles it).
    func ended(key: String, provider: String, job: String) {
        openTasks.withLock { $0[key] = nil }
        writer.writeNow(SubmissionJournal.line("end", key, provider, job, nil, time: now()))
    }

    /// Open tasks still worth resuming, and submissions that ended without a result, from the records.
    static func analyse(
        _ records: [Record], hasResult: (String) -> Bool,
        now: Double
    ) -> (tasks: [String: OpenTask], unresolved: [Unresolved]) {
        var submitted: [String: (provider: String, job: String, at: Double)] = [:]
        var tasks: [String: OpenTask] = [:]
        for record in records {
            switch record.event {
            case "submit":
                submitted[record.key] = (record.provider, record.job, record.time)
            case "task":
                tasks[record.key] = OpenTask(
                    key: record.key, provider: record.provider, job: record.job,
                    taskID: record.taskID, createdAt: record.time)
                submitted[record.key] = nil
            case "end":
                submitted[record.key] = nil
                tasks[record.key] = nil
            default:
                continue
            }
        }
        var unresolved: [Unresolved] = []
        let cutoff = now - resumeWindow
        for (key, task) in tasks where hasResult(key) || task.createdAt < cutoff {
            tasks[key] = nil
            if !hasResult(key) {
                unresolved.append(Unresolved(key: key, provider: task.provider, job: task.job, submittedAt: timestamp(task.createdAt)))
            }
        }
        for (key, submission) in submitted where !hasResult(key) && tasks[key] == nil {
            unresolved.append(
                Unresolved(key: key, provider: submission.provider, job: submission.job, submittedAt: timestamp(submission.at)))
        }
        unresolved.sort { ($0.submittedAt, $0.job) < ($1.submittedAt, $1.job) }
        return (tasks, unresolved)
    }

    // MARK: Format

    struct Record: Sendable {
        var event: String
        var time: Double
        var key: String
        var provider: String
        var job: String
        var taskID: String
    }

    static func clean(_ field: String) -> String {
        if field.utf8.count <= 300, !field.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { return field }
        return String(field.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 }.prefix(300))
    }

    static func line(_ event: String, _ key: String, _ provider: String, _ job: String, _ taskID: String?, time: Double) -> String {
        let milliseconds = Int64((max(0, time) * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        let stamp = "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        var fields = ["v1", event, stamp, clean(key), clean(provider), clean(job)]
        if let taskID { fields.append(clean(taskID)) }
        return fields.joined(separator: "\t") + "\n"
    }

    /// Whole lines only; anything malformed is skipped.
    static func read(_ path: String) -> (records: [Record], lines: Int) {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return ([], 0) }
        var records: [Record] = []
        var lines = 0
        var text = String(decoding: data, as: UTF8.self)
        if !text.hasSuffix("\n"), let last = text.lastIndex(of: "\n") {
            text = String(text[...last])
        } else if !text.hasSuffix("\n") {
            return ([], 1)
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            lines += 1
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 6, fields[0] == "v1", let time = Double(fields[2]), !fields[3].isEmpty else { continue }
            let taskID = fields.count > 6 ? fields[6] : ""
            if fields[1] == "task" && taskID.isEmpty { continue }
            records.append(Record(event: fields[1], time: time, key: fields[3], provider: fields[4], job: fields[5], taskID: taskID))
        }
        return (records, lines)
    }

    static func timestamp(_ seconds: Double) -> String {
        UTCTimestamp.iso8601(Date(timeIntervalSince1970: seconds))
    }
}

/// Appends journal lines. Lines that must be durable go to one thread of the journal's own, which
/// writes everything that arrived meanwhile at once and syncs once for all of it (group commit), so
/// a submission never waits behind image files being written or behind other submissions' syncs.
final class JournalWriter: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    private let dataSync: @Sendable (Int32) -> Void
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var whenDurable: [@Sendable () -> Void] = []
    private var closing = false
    private var running = true
    private var syncs = 0
    /// Serialises writes to the file, so lines never interleave.
    private let writeLock = NSLock()

    init(fd: Int32, path: String, dataSync: @escaping @Sendable (Int32) -> Void) {
        self.fd = fd
        self.path = path
        self.dataSync = dataSync
        let thread = Thread { [self] in loop() }
        thread.name = "nanobatch-journal"
        thread.stackSize = 256 << 10
        thread.start()
    }

    var syncCount: Int { condition.withLock { syncs } }

    /// Queues `line`; `done` runs once it is written and synced.
    func appendDurably(_ line: String, done: @escaping @Sendable () -> Void) {
        condition.lock()
        pending.append(contentsOf: line.utf8)
        whenDurable.append(done)
        condition.signal()
        condition.unlock()
    }

    func appendDurably(_ line: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            appendDurably(line) { continuation.resume() }
        }
    }

    /// Writes `line` from the calling thread, without a sync.
    func writeNow(_ line: String) {
        var line = line
        writeLock.withLock { line.withUTF8 { _ = try? FileIO.writeAll(UnsafeRawBufferPointer($0), to: fd, path: path) } }
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

    private func loop() {
        var batch: [UInt8] = []
        var waiting: [@Sendable () -> Void] = []
        condition.lock()
        while true {
            while pending.isEmpty && !closing { condition.wait() }
            if pending.isEmpty { break }
            swap(&batch, &pending)
            swap(&waiting, &whenDurable)
            condition.unlock()
            writeLock.withLock { batch.withUnsafeBytes { _ = try? FileIO.writeAll($0, to: fd, path: path) } }
            dataSync(fd)
            condition.withLock { syncs += 1 }
            for done in waiting { done() }
            batch.removeAll(keepingCapacity: true)
            waiting.removeAll(keepingCapacity: true)
            condition.lock()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
