import Foundation

/// The high-water mark of a child's resident memory, read from `/proc/<pid>/status` (`VmHWM`) every
/// 2 ms while it runs. `wait4`'s `ru_maxrss` cannot be used alone: posix_spawn starts the child in
/// this process's memory (vfork), and Linux keeps that memory's high-water mark across `exec`, so a
/// benchmark holding a big server in memory would read as the tool's peak.
final class PeakMemory: @unchecked Sendable {
    private let pid: pid_t
    private let lock = NSLock()
    private var highestKB = 0
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(pid: pid_t) {
        self.pid = pid
        let thread = Thread { [self] in watch() }
        thread.start()
    }

    /// Stops watching (call once the child has exited); the highest `VmHWM` seen, or nil if none was read.
    func stop() -> Int? {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { highestKB > 0 ? highestKB : nil }
    }

    private func watch() {
        while lock.withLock({ running }) {
            if let kb = Self.highWaterKB(pid) { lock.withLock { highestKB = max(highestKB, kb) } }
            usleep(2000)
        }
        done.signal()
    }

    static func highWaterKB(_ pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return Int(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    }
}
