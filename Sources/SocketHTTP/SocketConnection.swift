import Foundation
import NanobatchCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lets another thread end a request's socket waits at once (task cancellation).
final class RequestControl: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var socket: Int32 = -1

    var isCancelled: Bool { lock.withLock { cancelled } }

    func cancel() {
        lock.withLock {
            cancelled = true
            if socket >= 0 { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// The socket `cancel()` shuts down; throws when cancelled already.
    func attach(_ fd: Int32) throws {
        try lock.withLock {
            if cancelled { throw TransportError.cancelled }
            socket = fd
        }
    }

    /// Called before the socket is closed or handed to another request, so `cancel()` never touches it again.
    func detach() { lock.withLock { socket = -1 } }
}

/// Why a socket call failed: the peer closed or reset the connection, or a wait ran out.
enum SocketFailure: Error {
    case closed(errno: Int32)
    /// The stream ended before the first byte of an answer.
    case closedBeforeAnswer
    case timedOut
    case cancelled
}

/// One non-blocking TCP connection with a read buffer. Every wait is a `poll` bounded by the current
/// request's deadline, and ends early when the request is cancelled. Used by one request at a time.
final class SocketConnection: @unchecked Sendable {
    let fd: Int32
    /// `host:port`, the key of the idle-connection pool.
    let origin: String
    private var buffer: [UInt8]
    private(set) var start = 0
    private(set) var end = 0
    var deadline: ContinuousClock.Instant = .now
    var control: RequestControl?
    var idleSince: ContinuousClock.Instant = .now

    static let bufferSize = 64 << 10

    private init(fd: Int32, origin: String) {
        self.fd = fd
        self.origin = origin
        buffer = [UInt8](repeating: 0, count: SocketConnection.bufferSize)
    }

    deinit { close(fd) }

    /// Resolves `host`, connects to the first address that answers, and sets TCP_NODELAY.
    /// Every failure here happens before a byte of the request is sent.
    static func open(host: String, port: Int, deadline: ContinuousClock.Instant, control: RequestControl) throws -> SocketConnection {
        let origin = "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            let streamType = Int32(SOCK_STREAM.rawValue)
            hints.ai_socktype = streamType
        #else
            let streamType = SOCK_STREAM
            hints.ai_socktype = streamType
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw TransportError.notSent("cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastProblem = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            #if canImport(Glibc)
                let fd = socket(address.pointee.ai_family, streamType | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            #else
                let fd = socket(address.pointee.ai_family, streamType, 0)
                if fd >= 0 { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
            #endif
            guard fd >= 0 else {
                lastProblem = String(cString: strerror(errno))
                continue
            }
            let connection = SocketConnection(fd: fd, origin: origin)
            connection.deadline = deadline
            connection.control = control
            try control.attach(fd)
            if connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) != 0 {
                guard errno == EINPROGRESS || errno == EINTR else {
                    lastProblem = String(cString: strerror(errno))
                    control.detach()
                    continue
                }
                do {
                    try connection.wait(for: Int16(POLLOUT))
                } catch SocketFailure.timedOut {
                    control.detach()
                    throw TransportError.notSent("connecting to \(origin) timed out")
                } catch {
                    control.detach()
                    throw TransportError.cancelled
                }
                var problem: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &problem, &length)
                guard problem == 0 else {
                    lastProblem = String(cString: strerror(problem))
                    control.detach()
                    continue
                }
            }
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            return connection
        }
        throw TransportError.notSent("cannot connect to \(origin): \(lastProblem)")
    }

    /// Waits until the socket is ready for `events` (or has an error, which the next call reports).
    func wait(for events: Int16) throws {
        while true {
            if control?.isCancelled == true { throw SocketFailure.cancelled }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw SocketFailure.timedOut }
            // At most a second per poll, so a cancellation is seen even if the shutdown raced the poll.
            let milliseconds = Int32(min(1000, max(1, left.seconds * 1000)))
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw SocketFailure.closed(errno: errno) }
        }
    }

    /// Sends every byte.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var sent = 0
        while sent < bytes.count {
            #if canImport(Glibc)
                let count = Glibc.send(fd, base + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            #else
                let count = Darwin.send(fd, base + sent, bytes.count - sent, 0)
            #endif
            if count > 0 {
                sent += count
            } else if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(for: Int16(POLLOUT))
            } else if count < 0, errno == EINTR {
                continue
            } else {
                throw SocketFailure.closed(errno: count == 0 ? 0 : errno)
            }
        }
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Bytes received and not yet consumed.
    var buffered: Int { end - start }

    /// Reads more bytes into the buffer; false at the end of the stream.
    @discardableResult
    func fill() throws -> Bool {
        if start == end {
            start = 0
            end = 0
        } else if end == buffer.count, start > 0 {
            buffer.withUnsafeMutableBytes { raw in
                _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress! + end, raw.count - end, 0) }
            if count > 0 {
                end += count
                return true
            }
            if count == 0 { return false }
            switch errno {
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN))
            case EINTR: continue
            default: throw SocketFailure.closed(errno: errno)
            }
        }
    }

    /// The next line without its CR LF, or nil at the end of the stream. Lines longer than `limit` throw.
    func readLine(limit: Int) throws -> String? {
        var searched = 0
        while true {
            let found: Int? = buffer.withUnsafeBytes { raw in
                let from = start + searched
                guard let hit = memchr(raw.baseAddress! + from, 0x0A, end - from) else { return nil }
                return raw.baseAddress!.distance(to: UnsafeRawPointer(hit))
            }
            if let newline = found {
                var stop = newline
                if stop > start, buffer[stop - 1] == 0x0D { stop -= 1 }
                let line = String(decoding: buffer[start..<stop], as: UTF8.self)
                start = newline + 1
                return line
            }
            searched = end - start
            guard searched <= limit else { throw TransportError.connection("the answer's header line is longer than \(limit) bytes") }
            guard try fill() else { return nil }
        }
    }

    /// Hands up to `count` buffered bytes (reading more when none are buffered) to `take`; returns how
    /// many, 0 at the end of the stream.
    func consume(upTo count: Int, _ take: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        if start == end { guard try fill() else { return 0 } }
        let length = min(count, end - start)
        try buffer.withUnsafeBytes { raw in try take(UnsafeRawBufferPointer(rebasing: raw[start..<start + length])) }
        start += length
        return length
    }

    /// Whether a kept connection still looks usable: nothing to read (an idle server sends nothing
    /// before it closes) and no error.
    var looksAlive: Bool {
        guard start == end else { return false }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 0
    }
}
