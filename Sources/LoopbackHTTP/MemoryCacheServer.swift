import Foundation

/// A remote store in memory on 127.0.0.1 for tests and benchmarks: `GET`, `HEAD` and `PUT` of any
/// path under `/cache/`, as nginx with WebDAV `PUT` or bazel-remote answers them (201 on a new
/// entry, 204 on a replaced one, 404 for a missing one). Records every request.
package final class MemoryCacheServer: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: Data] = [:]
    private var received: [ReceivedRequest] = []
    private var override: (@Sendable (ReceivedRequest) -> ServerReply?)?
    private(set) var server: LoopbackServer!

    package init() throws {
        server = try LoopbackServer { [unowned self] request in self.answer(request) }
    }

    deinit { server.stop() }

    /// The store's URL.
    package var url: String { server.baseURL + "/cache" }
    package var requests: [ReceivedRequest] { lock.withLock { received } }
    package func stop() { server.stop() }

    /// Answers first (a reply replaces the normal answer): faults, redirects.
    package func intercept(_ handler: (@Sendable (ReceivedRequest) -> ServerReply?)?) { lock.withLock { override = handler } }

    /// The entry at `path` under `/cache/` (`cas/<hash>`, `ac/<key>`).
    package subscript(_ path: String) -> Data? {
        get { lock.withLock { entries["/cache/" + path] } }
        set { lock.withLock { entries["/cache/" + path] = newValue } }
    }

    package var entryCount: Int { lock.withLock { entries.count } }

    private func answer(_ request: ReceivedRequest) -> ServerReply {
        let handler = lock.withLock {
            received.append(request)
            return override
        }
        if let reply = handler?(request) { return reply }
        let path = request.path
        guard path.hasPrefix("/cache/") else { return ServerReply(status: 404) }
        switch request.method {
        case "GET":
            guard let body = lock.withLock({ entries[path] }) else { return ServerReply(status: 404) }
            return ServerReply(status: 200, headers: ["Content-Type": "application/octet-stream"], body: body)
        case "HEAD":
            guard let size = lock.withLock({ entries[path]?.count }) else { return ServerReply(status: 404) }
            return ServerReply(status: 200, headers: ["Content-Length": "\(size)"])
        case "PUT":
            let existed = lock.withLock {
                defer { entries[path] = request.body }
                return entries[path] != nil
            }
            return ServerReply(status: existed ? 204 : 201)
        default:
            return ServerReply(status: 405)
        }
    }
}
