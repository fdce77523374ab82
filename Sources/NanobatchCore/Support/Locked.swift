import Foundation

/// A value behind a lock: the one way this package shares mutable state between threads (the shape of
/// SwiftPM's `ThreadSafeBox`; `Synchronization.Mutex` needs macOS 15). Every read and write goes through
/// `withLock`, so no access can forget the lock.
///
///     let presses = Locked(0)
///     let count = presses.withLock { $0 += 1; return $0 }
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    /// Runs `body` on the value while holding the lock. Keep it short; it must not use this `Locked` again.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
