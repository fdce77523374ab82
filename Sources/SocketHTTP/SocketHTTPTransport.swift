import Foundation
import NanobatchCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// HTTP/1.1 over plain TCP, for `http://` URLs (local gateways, proxies, the tests' loopback servers).
/// Each request blocks one thread of `WorkerThreads.network`; the callers' limits bound how many.
///
/// What it promises beyond URLSession:
/// - A request with a body goes out on a fresh connection, once. Nothing here ever sends it again.
/// - Failures before any byte of a request left are `TransportError.notSent`: safe to retry, never billed.
/// - Requests without a body reuse kept-alive connections; one whose kept connection turns out closed
///   before any answer byte is sent again on a fresh connection.
/// - The whole exchange ends by `timeout` (a deadline, not an idle timer). Redirects are returned, not followed.
package final class SocketHTTPTransport: HTTPTransport, @unchecked Sendable {
    private let threads: WorkerThreads
    private let idle = IdleConnections()
    /// Longest header block accepted from a server.
    static let headerLimit = 64 << 10

    package init(threads: WorkerThreads = .network) {
        self.threads = threads
    }

    /// Kept-alive connections waiting for the next request (tests check reuse with it).
    package var idleConnectionCount: Int { idle.count }

    package func send(_ request: HTTPRequest, into sink: ResponseSink, timeout: Duration) async throws -> HTTPResponse {
        let control = RequestControl()
        let deadline = ContinuousClock.now + timeout
        return try await withTaskCancellationHandler {
            try Task.checkCancellationAsTransportError()
            return try await threads.run { try self.perform(request, into: sink, deadline: deadline, control: control) }
        } onCancel: {
            control.cancel()
        }
    }

    private struct Stale: Error {}

    func perform(
        _ request: HTTPRequest, into sink: ResponseSink, deadline: ContinuousClock.Instant,
        control: RequestControl
    ) throws -> HTTPResponse {
        guard request.url.scheme?.lowercased() == "http", let host = request.url.host, !host.isEmpty else {
            throw TransportError.notSent("not an http:// URL")
        }
        let port = request.url.port ?? 80
        let head = try SocketHTTPTransport.requestHead(request, host: host, port: port)
        let origin = "\(host):\(port)"
        if request.body == nil, let kept = idle.take(origin) {
            do {
                return try exchange(on: kept, head: head, request: request, sink: sink, deadline: deadline, control: control, kept: true)
            } catch is Stale {
                // The server had closed the kept connection; the request never reached it.
            }
        }
        let connection = try SocketConnection.open(host: host, port: port, deadline: deadline, control: control)
        return try exchange(on: connection, head: head, request: request, sink: sink, deadline: deadline, control: control, kept: false)
    }

    private func exchange(
        on connection: SocketConnection, head: Data, request: HTTPRequest, sink: ResponseSink,
        deadline: ContinuousClock.Instant, control: RequestControl, kept: Bool
    ) throws -> HTTPResponse {
        connection.deadline = deadline
        connection.control = control
        if kept { try control.attach(connection.fd) }
        func release() {
            control.detach()
            connection.control = nil
        }
        defer { release() }
        do {
            try connection.write(head)
            if let body = request.body { try connection.write(body) }
        } catch {
            if control.isCancelled { throw TransportError.cancelled }
            if kept { throw Stale() }
            // Not every byte left: the server cannot act on a request it did not receive whole.
            throw TransportError.notSent("the connection to \(connection.origin) closed while the request was being sent")
        }
        var reader = ResponseReader(connection: connection, method: request.method, sink: sink)
        do {
            let response = try reader.read()
            if reader.canKeepConnection && request.body == nil {
                release()
                idle.put(connection)
            }
            return response
        } catch {
            if control.isCancelled { throw TransportError.cancelled }
            if kept && !reader.receivedAnything && SocketHTTPTransport.isClosure(error) { throw Stale() }
            throw SocketHTTPTransport.transportError(error, origin: connection.origin)
        }
    }

    /// The server closed or reset the connection.
    static func isClosure(_ error: any Error) -> Bool {
        switch error {
        case SocketFailure.closed, SocketFailure.closedBeforeAnswer: return true
        default: return false
        }
    }

    static func transportError(_ error: any Error, origin: String) -> TransportError {
        switch error {
        case let error as TransportError: return error
        case SocketFailure.timedOut: return .timedOut
        case SocketFailure.cancelled: return .cancelled
        case SocketFailure.closedBeforeAnswer: return .connection(ResponseReader.closedWithoutAnswer)
        case SocketFailure.closed(let code):
            return .connection(code == 0 ? "\(origin) closed the connection" : "\(origin): \(String(cString: strerror(code)))")
        default: return .connection("\(error)")
        }
    }

    /// The request line and headers. Names or values with line breaks are refused (header injection).
    static func requestHead(_ request: HTTPRequest, host: String, port: Int) throws -> Data {
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        var target = components?.percentEncodedPath ?? "/"
        if target.isEmpty { target = "/" }
        if let query = components?.percentEncodedQuery { target += "?" + query }
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (port == 80 ? "" : ":\(port)")
        var head = "\(request.method) \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
        // Answers are asked for unencoded (and refused when encoded anyway), as over URLSession.
        head += "Accept-Encoding: identity\r\n"
        let managed: Set<String> = ["host", "content-length", "connection", "transfer-encoding", "accept-encoding"]
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) where !managed.contains(name.lowercased()) {
            guard !name.isEmpty, !(name + value).utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }),
                !name.contains(":")
            else {
                throw TransportError.notSent("the header \(name.filter { $0.isLetter || $0 == "-" }) has a line break or a colon in it")
            }
            head += "\(name): \(value)\r\n"
        }
        if let body = request.body {
            head += "Content-Length: \(body.count)\r\nConnection: close\r\n"
        } else if ["POST", "PUT", "PATCH"].contains(request.method) {
            head += "Content-Length: 0\r\nConnection: close\r\n"
        }
        head += "\r\n"
        return Data(head.utf8)
    }
}

extension Task where Success == Never, Failure == Never {
    static func checkCancellationAsTransportError() throws {
        if isCancelled { throw TransportError.cancelled }
    }
}
