import Foundation
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
public final class SocketHTTPTransport: HTTPTransport, @unchecked Sendable {
    private let threads: WorkerThreads
    private let idle = IdleConnections()
    /// Longest header block accepted from a server.
    static let headerLimit = 64 << 10

    public init(threads: WorkerThreads = .network) {
        self.threads = threads
    }

    /// Kept-alive connections waiting for the next request (tests check reuse with it).
    public var idleConnectionCount: Int { idle.count }

    public func send(_ request: HTTPRequest, into sink: ResponseSink, timeout: Duration) async throws -> HTTPResponse {
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

    func perform(_ request: HTTPRequest, into sink: ResponseSink, deadline: ContinuousClock.Instant,
                 control: RequestControl) throws -> HTTPResponse {
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

    private func exchange(on connection: SocketConnection, head: Data, request: HTTPRequest, sink: ResponseSink,
                          deadline: ContinuousClock.Instant, control: RequestControl, kept: Bool) throws -> HTTPResponse {
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
        let managed: Set<String> = ["host", "content-length", "connection", "transfer-encoding"]
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) where !managed.contains(name.lowercased()) {
            guard !name.isEmpty, !(name + value).utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }),
                  !name.contains(":") else {
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

/// Reads one HTTP/1.1 answer from a connection into a sink.
struct ResponseReader {
    let connection: SocketConnection
    let method: String
    let sink: ResponseSink
    private(set) var receivedAnything = false
    /// The body was framed (length or chunks), read whole, and the server did not ask to close.
    private(set) var canKeepConnection = false

    static let closedWithoutAnswer = "the server closed the connection without answering"

    init(connection: SocketConnection, method: String, sink: ResponseSink) {
        self.connection = connection
        self.method = method
        self.sink = sink
    }

    mutating func read() throws -> HTTPResponse {
        var head = try readHead()
        // 1xx answers (100 Continue, 103 Early Hints) come before the real one.
        while (100..<200).contains(head.status) && head.status != 101 { head = try readHead() }
        var body = try BodyCollector(sink: sink, status: head.status, expected: head.contentLength)
        defer { body.closeFile() }
        let noBody = method == "HEAD" || head.status == 204 || head.status == 304
        if noBody {
            canKeepConnection = head.keepAlive
        } else if head.chunked {
            try readChunks(into: &body)
            canKeepConnection = head.keepAlive
        } else if let length = head.contentLength {
            var left = length
            while left > 0 {
                let taken = try connection.consume(upTo: left) { try body.accept($0) }
                guard taken > 0 else { throw TransportError.truncated(expected: length, received: length - left) }
                left -= taken
            }
            canKeepConnection = head.keepAlive
        } else {
            while try connection.consume(upTo: Int.max, { try body.accept($0) }) > 0 {}
        }
        try body.finish()
        return HTTPResponse(status: head.status, headers: head.headers, body: body.data,
                            bytesWritten: body.writesFile ? body.received : 0)
    }

    struct Head {
        var status: Int
        var headers: [String: String]
        var http10: Bool
        var contentLength: Int? { headers["content-length"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        var chunked: Bool { headers["transfer-encoding"]?.lowercased().contains("chunked") ?? false }
        var keepAlive: Bool {
            let connection = headers["connection"]?.lowercased() ?? ""
            return http10 ? connection.contains("keep-alive") : !connection.contains("close")
        }
    }

    private mutating func readHead() throws -> Head {
        var total = 0
        guard let statusLine = try connection.readLine(limit: SocketHTTPTransport.headerLimit) else {
            if receivedAnything { throw TransportError.connection("the answer ended before its status line") }
            throw SocketFailure.closedBeforeAnswer
        }
        receivedAnything = true
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
            throw TransportError.connection("the answer does not start with an HTTP/1.x status line")
        }
        var headers: [String: String] = [:]
        while true {
            guard let line = try connection.readLine(limit: SocketHTTPTransport.headerLimit) else {
                throw TransportError.connection("the answer ended inside its headers")
            }
            if line.isEmpty { break }
            total += line.utf8.count
            guard total <= SocketHTTPTransport.headerLimit else {
                throw TransportError.connection("the answer's headers are longer than \(SocketHTTPTransport.headerLimit) bytes")
            }
            guard let colon = line.firstIndex(of: ":") else { throw TransportError.connection("a header line of the answer has no colon") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        if let length = headers["content-length"] {
            // Repeated identical lengths arrive joined ("10, 10"); different ones are an error.
            let values = Set(length.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            guard values.count == 1, let single = values.first, let number = Int(single), number >= 0 else {
                throw TransportError.connection("the answer's Content-Length is not one number: \(length.prefix(40))")
            }
            headers["content-length"] = String(number)
        }
        return Head(status: status, headers: headers, http10: parts[0] == "HTTP/1.0")
    }

    private mutating func readChunks(into body: inout BodyCollector) throws {
        while true {
            guard let sizeLine = try connection.readLine(limit: 4096) else {
                throw TransportError.connection("the answer ended inside its chunked body after \(body.received) bytes")
            }
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else {
                throw TransportError.connection("the answer has a malformed chunk size")
            }
            if size == 0 {
                while let trailer = try connection.readLine(limit: SocketHTTPTransport.headerLimit), !trailer.isEmpty {}
                return
            }
            var left = size
            while left > 0 {
                let taken = try connection.consume(upTo: left) { try body.accept($0) }
                guard taken > 0 else {
                    throw TransportError.connection("the answer ended inside its chunked body after \(body.received) bytes")
                }
                left -= taken
            }
            guard let end = try connection.readLine(limit: 2), end.isEmpty else {
                throw TransportError.connection("the answer has a chunk without its closing line break")
            }
        }
    }
}

/// Where a body goes: memory, or for a 2xx answer into a file sink, the file. Enforces the size cap.
struct BodyCollector {
    private(set) var data = Data()
    private(set) var received = 0
    private var file: Int32 = -1
    private let limit: Int
    private let path: String?

    var writesFile: Bool { path != nil }

    init(sink: ResponseSink, status: Int, expected: Int?) throws {
        switch sink {
        case .memory(let limit):
            self.limit = limit
            path = nil
        case .file(let url, let limit):
            if (200..<300).contains(status) {
                self.limit = limit
                path = url.path
            } else {
                // Error bodies of downloads stay small: they are read for the message only.
                self.limit = min(limit, 1 << 20)
                path = nil
            }
        }
        if let expected, expected > limit { throw TransportError.tooLarge(limit: limit) }
        if let path {
            file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard file >= 0 else {
                throw TransportError.connection("cannot write \((path as NSString).lastPathComponent): \(String(cString: strerror(errno)))")
            }
        } else if let expected {
            data.reserveCapacity(expected)
        }
    }

    mutating func accept(_ bytes: UnsafeRawBufferPointer) throws {
        received += bytes.count
        guard received <= limit else { throw TransportError.tooLarge(limit: limit) }
        guard file >= 0 else {
            data.append(bytes.assumingMemoryBound(to: UInt8.self))
            return
        }
        var written = 0
        while written < bytes.count {
            let count = write(file, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw TransportError.connection("cannot write the download: \(String(cString: strerror(errno)))")
            }
            written += count
        }
    }

    mutating func finish() throws {
        if file >= 0 {
            let closed = close(file)
            file = -1
            if closed != 0 { throw TransportError.connection("cannot write the download: \(String(cString: strerror(errno)))") }
        }
    }

    mutating func closeFile() {
        if file >= 0 { close(file) }
        file = -1
    }
}

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

extension Task where Success == Never, Failure == Never {
    static func checkCancellationAsTransportError() throws {
        if isCancelled { throw TransportError.cancelled }
    }
}
