import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A request as the loopback server received it.
package struct ReceivedRequest: Sendable {
    package var method: String
    /// Path and query, as sent (`/v1/tasks/42?x=1`).
    package var target: String
    /// Header names lower-cased.
    package var headers: [String: String]
    package var body: Data
    /// Whether the body came chunked.
    package var wasChunked: Bool

    package var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
    package var query: [String: String] {
        guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            result[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }
}

/// What the server sends back, including deliberate faults.
package struct ServerReply: Sendable {
    package enum Fault: Sendable {
        /// Close the connection without answering.
        case closeWithoutAnswer
        /// Announce the full Content-Length but send only this many body bytes, then close.
        case truncateBody(after: Int)
        /// Send a chunked body cut off inside a chunk after this many body bytes, then close.
        case cutChunkedBody(after: Int)
        /// Send the head at once, then the body one byte at a time, `milliseconds` apart.
        case trickle(milliseconds: Int)
    }

    package var status: Int
    package var headers: [String: String]
    package var body: Data
    package var chunked: Bool
    package var fault: Fault?

    package init(status: Int = 200, headers: [String: String] = [:], body: Data = Data(), chunked: Bool = false, fault: Fault? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.chunked = chunked
        self.fault = fault
    }

    package static func json(_ text: String, status: Int = 200) -> ServerReply {
        ServerReply(status: status, headers: ["Content-Type": "application/json"], body: Data(text.utf8))
    }
}

/// An HTTP/1.1 server on 127.0.0.1 with an OS-chosen port, for tests and benchmarks: keep-alive,
/// Content-Length and chunked bodies, one thread per connection, requests handled by a closure.
package final class LoopbackServer: @unchecked Sendable {
    package typealias Handler = @Sendable (ReceivedRequest) -> ServerReply

    package let port: Int
    private let listener: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var stopped = false
    private var connections: Set<Int32> = []
    private var requestCount = 0
    private var acceptedCount = 0
    /// The largest request body accepted (bigger ones get 413).
    package let maxBodyBytes: Int

    package var baseURL: String { "http://127.0.0.1:\(port)" }
    package var requestsServed: Int { lock.withLock { requestCount } }
    /// When the first request arrived and the last reply was sent (`DispatchTime` uptime nanoseconds, 0 before).
    package var firstRequestAt: UInt64 { lock.withLock { firstRequest } }
    package var lastReplyAt: UInt64 { lock.withLock { lastReply } }
    private var firstRequest: UInt64 = 0
    private var lastReply: UInt64 = 0
    package var connectionsAccepted: Int { lock.withLock { acceptedCount } }

    package init(maxBodyBytes: Int = 64 << 20, handler: @escaping Handler) throws {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 512) == 0 else {
            close(fd)
            throw ServerError("bind/listen on 127.0.0.1 failed: errno \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [weak self] in self?.acceptLoop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The listening socket is closed only here: the accept loop holds the server while it runs,
    /// so no thread can touch the descriptor after it is closed and perhaps reused.
    deinit {
        stop()
        close(listener)
    }

    /// Stops accepting and ends open connections. Descriptors are shut down, never closed, here,
    /// and under the lock that connection threads take to close theirs.
    package func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        while !isStopped {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            lock.withLock {
                _ = connections.insert(client)
                acceptedCount += 1
            }
            let thread = Thread { [weak self] in
                guard let self else {
                    close(client)
                    return
                }
                self.serve(client)
                self.lock.withLock {
                    self.connections.remove(client)
                    close(client)
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        var reader = SocketReader(fd: fd)
        while !isStopped {
            let request: ReceivedRequest
            do {
                guard let parsed = try reader.readRequest(maxBodyBytes: maxBodyBytes) else { return }
                request = parsed
            } catch let error as ServerError {
                _ = writeAll(fd, Data("HTTP/1.1 \(error.status) Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                return
            } catch {
                return
            }
            lock.withLock {
                requestCount += 1
                if firstRequest == 0 { firstRequest = DispatchTime.now().uptimeNanoseconds }
            }
            var reply = handler(request)
            if case .closeWithoutAnswer = reply.fault { return }
            let closing = request.headers["connection"]?.lowercased() == "close"
            if closing { reply.headers["Connection"] = "close" }
            let sent = send(reply, to: fd)
            lock.withLock { lastReply = DispatchTime.now().uptimeNanoseconds }
            guard sent else { return }
            if request.headers["connection"]?.lowercased() == "close" { return }
        }
    }

    private func send(_ reply: ServerReply, to fd: Int32) -> Bool {
        var head = "HTTP/1.1 \(reply.status) \(LoopbackServer.reason(reply.status))\r\n"
        for (name, value) in reply.headers { head += "\(name): \(value)\r\n" }
        if case .cutChunkedBody(let after) = reply.fault {
            head += "Transfer-Encoding: chunked\r\n\r\n"
            let announced = Data(String(reply.body.count, radix: 16).utf8) + Data("\r\n".utf8)
            _ = writeAll(fd, Data(head.utf8) + announced + reply.body.prefix(after))
            return false
        }
        if case .trickle(let milliseconds) = reply.fault {
            guard writeAll(fd, Data((head + "Content-Length: \(reply.body.count)\r\n\r\n").utf8)) else { return false }
            for byte in reply.body {
                usleep(useconds_t(milliseconds * 1000))
                guard !isStopped, writeAll(fd, Data([byte])) else { return false }
            }
            return true
        }
        if reply.chunked {
            head += "Transfer-Encoding: chunked\r\n\r\n"
            var payload = Data(head.utf8)
            var offset = 0
            let chunkSize = max(1, reply.body.count / 3 + 1)
            while offset < reply.body.count {
                let end = min(offset + chunkSize, reply.body.count)
                payload.append(Data(String(end - offset, radix: 16).utf8) + Data("\r\n".utf8))
                payload.append(reply.body[offset..<end])
                payload.append(Data("\r\n".utf8))
                offset = end
            }
            payload.append(Data("0\r\n\r\n".utf8))
            return writeAll(fd, payload)
        }
        // A reply to HEAD may state the size of the body it does not send.
        let statesLength = reply.body.isEmpty && reply.headers.keys.contains { $0.lowercased() == "content-length" }
        head += statesLength ? "\r\n" : "Content-Length: \(reply.body.count)\r\n\r\n"
        if case .truncateBody(let after) = reply.fault {
            _ = writeAll(fd, Data(head.utf8) + reply.body.prefix(after))
            return false
        }
        return writeAll(fd, Data(head.utf8) + reply.body)
    }

    private func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            var sent = 0
            while sent < raw.count {
                #if canImport(Glibc)
                    let n = Glibc.send(fd, raw.baseAddress!.advanced(by: sent), raw.count - sent, Int32(MSG_NOSIGNAL))
                #else
                    let n = Darwin.send(fd, raw.baseAddress!.advanced(by: sent), raw.count - sent, 0)
                #endif
                if n <= 0 {
                    if errno == EINTR { continue }
                    return false
                }
                sent += n
            }
            return true
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 413: return "Payload Too Large"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }
}

package struct ServerError: Error, CustomStringConvertible {
    package let description: String
    package let status: Int
    init(_ description: String, status: Int = 400) {
        self.description = description
        self.status = status
    }
}

/// Buffered reads of HTTP/1.1 requests from a socket.
struct SocketReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0

    init(fd: Int32) { self.fd = fd }

    private mutating func fill() -> Bool {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        var n = -1
        repeat {
            n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
        } while n < 0 && errno == EINTR
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    mutating func readLine() throws -> String? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                var end = newline
                if end > position, buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = newline + 1
                return line
            }
            if buffer.count - position > 64 * 1024 { throw ServerError("header line too long", status: 431) }
            guard fill() else { return nil }
        }
    }

    mutating func readBytes(_ count: Int) throws -> Data {
        while buffer.count - position < count {
            guard fill() else { throw ServerError("body ended early") }
        }
        let data = Data(buffer[position..<position + count])
        position += count
        return data
    }

    mutating func readRequest(maxBodyBytes: Int) throws -> ReceivedRequest? {
        var requestLine: String?
        while requestLine == nil || requestLine!.isEmpty {
            guard let line = try readLine() else { return nil }
            requestLine = line
        }
        let parts = requestLine!.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { throw ServerError("malformed request line") }
        var headers: [String: String] = [:]
        while let line = try readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw ServerError("malformed header") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        var body = Data()
        let chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") ?? false
        if chunked {
            while true {
                guard let sizeLine = try readLine(),
                    let size = Int(sizeLine.split(separator: ";").first.map(String.init) ?? "", radix: 16)
                else {
                    throw ServerError("malformed chunk size")
                }
                if size == 0 {
                    while let trailer = try readLine(), !trailer.isEmpty {}
                    break
                }
                guard body.count + size <= maxBodyBytes else { throw ServerError("body too large", status: 413) }
                body.append(try readBytes(size))
                _ = try readLine()
            }
        } else if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText), length >= 0 else { throw ServerError("bad Content-Length") }
            guard length <= maxBodyBytes else { throw ServerError("body too large", status: 413) }
            body = try readBytes(length)
        }
        return ReceivedRequest(method: String(parts[0]), target: String(parts[1]), headers: headers, body: body, wasChunked: chunked)
    }
}
