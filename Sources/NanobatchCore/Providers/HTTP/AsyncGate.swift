import Foundation

/// At most `limit` holders at once; the others wait in order. A cancelled waiter leaves the queue
/// and gets `CancellationError`. The limit can change while holders are inside.
package final class AsyncGate: Sendable {
    private struct State {
        var limit: Int
        var holders = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    private let state: Locked<State>

    package init(limit: Int) { state = Locked(State(limit: max(1, limit))) }

    package var limit: Int { state.withLock { $0.limit } }

    /// A higher limit admits waiters at once; a lower one lets holders leave until they fit.
    package func setLimit(_ newLimit: Int) {
        let admitted = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.limit = max(1, newLimit)
            var admitted: [CheckedContinuation<Void, any Error>] = []
            while state.holders < state.limit, !state.waiters.isEmpty {
                state.holders += 1
                admitted.append(state.waiters.removeFirst().continuation)
            }
            return admitted
        }
        for continuation in admitted { continuation.resume() }
    }

    /// Runs `body` holding a slot. A caller still waiting at `deadline` leaves the queue with `GateTimeout`.
    package func withSlot<T: Sendable>(until deadline: ContinuousClock.Instant? = nil, _ body: () async throws -> T) async throws -> T {
        try await enter(until: deadline)
        defer { leave() }
        return try await body()
    }

    /// No slot freed before the waiter's deadline.
    package struct GateTimeout: Error {}

    func enter(until deadline: ContinuousClock.Instant? = nil) async throws {
        let id: UInt64 = state.withLock {
            $0.nextID += 1
            return $0.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Entry { case admitted, queued, cancelled }
                let entry: Entry = state.withLock { state in
                    if Task.isCancelled { return .cancelled }
                    if state.holders < state.limit {
                        state.holders += 1
                        return .admitted
                    }
                    state.waiters.append((id, continuation))
                    return .queued
                }
                switch entry {
                case .admitted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued:
                    guard let deadline else { break }
                    let seconds = max(0, ContinuousClock.now.duration(to: deadline).seconds)
                    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                        removeWaiter(id)?.resume(throwing: GateTimeout())
                    }
                }
            }
        } onCancel: {
            removeWaiter(id)?.resume(throwing: CancellationError())
        }
    }

    /// The continuation of a waiter still queued, taken out of the queue.
    private func removeWaiter(_ id: UInt64) -> CheckedContinuation<Void, any Error>? {
        state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
    }

    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiters.isEmpty || state.holders > state.limit {
                state.holders -= 1
                return nil
            }
            return state.waiters.removeFirst().continuation  // the slot passes straight to the next waiter
        }
        next?.resume()
    }

    /// Holders right now (for tests).
    package var occupied: Int { state.withLock { $0.holders } }
    /// Callers waiting for a slot.
    var waiting: Int { state.withLock { $0.waiters.count } }
}
