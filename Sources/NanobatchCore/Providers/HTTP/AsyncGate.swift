import Foundation

/// At most `limit` holders at once; the others wait in order. A cancelled waiter leaves the queue
/// and gets `CancellationError`. The limit can change while holders are inside.
package final class AsyncGate: @unchecked Sendable {
    private var currentLimit: Int
    private let lock = NSLock()
    private var holders = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    package init(limit: Int) { currentLimit = max(1, limit) }

    package var limit: Int { lock.withLock { currentLimit } }

    /// A higher limit admits waiters at once; a lower one lets holders leave until they fit.
    package func setLimit(_ newLimit: Int) {
        let admitted = lock.withLock { () -> [CheckedContinuation<Void, any Error>] in
            currentLimit = max(1, newLimit)
            var admitted: [CheckedContinuation<Void, any Error>] = []
            while holders < currentLimit, !waiters.isEmpty {
                holders += 1
                admitted.append(waiters.removeFirst().continuation)
            }
            return admitted
        }
        for continuation in admitted { continuation.resume() }
    }

    package func withSlot<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await enter()
        defer { leave() }
        return try await body()
    }

    func enter() async throws {
        let id: UInt64 = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Entry { case admitted, queued, cancelled }
                let entry: Entry = lock.withLock {
                    if Task.isCancelled { return .cancelled }
                    if holders < currentLimit {
                        holders += 1
                        return .admitted
                    }
                    waiters.append((id, continuation))
                    return .queued
                }
                switch entry {
                case .admitted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let cancelled = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
                guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return waiters.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    func leave() {
        let next = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
            if waiters.isEmpty || holders > currentLimit {
                holders -= 1
                return nil
            }
            return waiters.removeFirst().continuation  // the slot passes straight to the next waiter
        }
        next?.resume()
    }

    /// Holders right now (for tests).
    package var occupied: Int { lock.withLock { holders } }
    /// Callers waiting for a slot.
    var waiting: Int { lock.withLock { waiters.count } }
}
