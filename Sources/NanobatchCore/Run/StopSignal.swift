import Foundation

/// A thread-safe "stop submitting new jobs" flag (set by Ctrl-C, a fatal provider error, or a test).
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: String?

    public init() {}

    public func requestStop(_ why: String) {
        lock.lock()
        if reason == nil { reason = why }
        lock.unlock()
    }

    public var stopReason: String? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }
}

/// A lock-protected counter for signal handlers.
public final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    public init() {}
    public func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
