import Foundation

/// Dedicated threads for CPU-heavy or blocking work (placeholder PNGs, fsyncs, socket waits), so that
/// work never holds the cooperative pool (every job's waits) or Dispatch's shared threads.
package final class WorkerThreads: @unchecked Sendable {
    package static let shared = WorkerThreads(count: max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// For calls that block on the disk (creating and writing files): they wait rather than compute, so more threads.
    package static let fileIO = WorkerThreads(count: 8, growingTo: 128)
    /// For moving finished images into the store (verify, fsync, rename, link): a few threads, so that
    /// a burst of image fsyncs queues here instead of in front of the disk for everything else.
    package static let storing = WorkerThreads(count: 4)

    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var head = 0
    private let maximum: Int
    private let idleSeconds: Double
    private var live = 0
    private var idle = 0

    /// `count` threads that stay; with `growingTo`, more are started while every thread is busy, up
    /// to that many, and the extra ones end after `idleSeconds` without work.
    package init(count: Int, growingTo maximum: Int? = nil, idleSeconds: Double = 10) {
        self.maximum = max(count, maximum ?? count, 1)
        self.idleSeconds = idleSeconds
        live = count
        for _ in 0..<count { start(permanent: true) }
    }

    /// Threads now running (busy or idle).
    package var threadCount: Int { condition.withLock { live } }

    private func start(permanent: Bool) {
        let thread = Thread { [unowned self] in self.loop(permanent: permanent) }
        thread.name = "nanobatch-worker"
        thread.stackSize = 512 << 10
        thread.start()
    }

    private func loop(permanent: Bool) {
        while true {
            condition.lock()
            idle += 1
            while head == queue.count {
                if permanent {
                    condition.wait()
                } else if !condition.wait(until: Date(timeIntervalSinceNow: idleSeconds)), head == queue.count {
                    idle -= 1
                    live -= 1
                    condition.unlock()
                    return
                }
            }
            idle -= 1
            let work = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            work()
        }
    }

    private func submit(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append(work)
        let waiting = queue.count - head
        if waiting > idle, live < maximum {
            live += 1
            start(permanent: false)
        }
        condition.signal()
        condition.unlock()
    }

    /// Runs `work` on a worker thread and returns its result.
    package func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try work() }) }
        }
    }
}
