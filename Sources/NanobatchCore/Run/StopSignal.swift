import Foundation

/// A thread-safe "stop submitting new jobs" flag (set by Ctrl-C, a fatal provider error, or a test).
package final class StopSignal: Sendable {
    private let reason = Locked<String?>(nil)

    package init() {}

    /// Records `why`, unless a stop was requested already (the first reason is kept).
    func requestStop(_ why: String) {
        reason.withLock { if $0 == nil { $0 = why } }
    }

    var stopReason: String? { reason.withLock { $0 } }
}
