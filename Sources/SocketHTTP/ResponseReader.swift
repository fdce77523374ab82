import Foundation
import NanobatchCore

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
        if let refusal = TransportError.refusingContentCoding(head.headers["content-encoding"]) { throw refusal }
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
        return HTTPResponse(
            status: head.status, headers: head.headers, body: body.data,
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
