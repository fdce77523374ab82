import Foundation

/// Kept-alive connections by origin, newest first; ones idle too long or closed by the server are dropped.
final class IdleConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var byOrigin: [String: [SocketConnection]] = [:]
    private let perOrigin = 256
    private let longestIdle: Duration = .seconds(20)

    var count: Int { lock.withLock { byOrigin.values.reduce(0) { $0 + $1.count } } }

    func take(_ origin: String) -> SocketConnection? {
        while let connection = lock.withLock({ byOrigin[origin]?.popLast() }) {
            if connection.idleSince.duration(to: .now) < longestIdle && connection.looksAlive { return connection }
        }
        return nil
    }

    func put(_ connection: SocketConnection) {
        connection.idleSince = .now
        lock.withLock {
            if byOrigin[connection.origin, default: []].count < perOrigin { byOrigin[connection.origin, default: []].append(connection) }
        }
    }
}
