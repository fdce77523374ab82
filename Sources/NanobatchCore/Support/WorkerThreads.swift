import Foundation

/// A few dedicated threads for CPU-heavy or blocking work (placeholder PNGs; fsyncs), so that work
/// never holds the cooperative pool (every job's waits) or Dispatch's shared threads (URLSession).
public final class WorkerThreads: @unchecked Sendable {
    public static let shared = WorkerThreads(count: max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// For calls that block on the disk (fsync, create, rename): they wait rather than compute, so more threads.
    public static let fileIO = WorkerThreads(count: 8)

    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []

    public init(count: Int) {
        for number in 0..<count {
            let thread = Thread { [unowned self] in self.loop() }
            thread.name = "nanobatch-worker-\(number)"
            thread.start()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let work = queue.removeFirst()
            condition.unlock()
            work()
        }
    }

    /// Runs `work` on a worker thread and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            queue.append { continuation.resume(with: Result { try work() }) }
            condition.signal()
            condition.unlock()
        }
    }
}
