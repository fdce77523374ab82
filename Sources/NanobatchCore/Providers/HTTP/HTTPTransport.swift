import Foundation

/// One HTTP request as an adapter builds it.
package struct HTTPRequest: Sendable {
    package var method: String
    package var url: URL
    package var headers: [String: String]
    package var body: Data?

    package init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A finished HTTP exchange. Header names are lowercased.
package struct HTTPResponse: Sendable {
    package var status: Int
    package var headers: [String: String]
    /// The body, or (for a download that succeeded) empty: the bytes went to the file.
    package var body: Data
    /// Bytes written to the file of a download.
    package var bytesWritten: Int

    package init(status: Int, headers: [String: String] = [:], body: Data = Data(), bytesWritten: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bytesWritten = bytesWritten
    }

    package func header(_ name: String) -> String? { headers[name.lowercased()] }
    package var isSuccess: Bool { (200..<300).contains(status) }
}

/// Where a response body goes: memory (capped) or, for a 2xx answer, a file (capped, streamed).
package enum ResponseSink: Sendable {
    case memory(limit: Int)
    case file(URL, limit: Int)

    var limit: Int {
        switch self {
        case .memory(let limit), .file(_, let limit): return limit
        }
    }
}

/// A request that got no usable HTTP answer.
package enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No byte of the request reached the server (no connection, or it closed before the request was
    /// sent whole): safe to send again, never billed.
    case notSent(String)
    case connection(String)
    case timedOut
    case tooLarge(limit: Int)
    case truncated(expected: Int, received: Int)
    /// The answer came content-encoded (gzip, …) though none was asked for: refused unread, because a
    /// few compressed bytes can decode to any size.
    case encoded(String)
    case cancelled

    /// Whether sending the same request again may help: not for an answer over the cap or encoded.
    package var mayHelpToRetry: Bool {
        switch self {
        case .tooLarge, .encoded: return false
        default: return true
        }
    }

    /// The refusal of an answer whose `Content-Encoding` is not identity (both transports ask for identity).
    package static func refusingContentCoding(_ header: String?) -> TransportError? {
        let coding = (header ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard !coding.isEmpty, coding != "identity" else { return nil }
        return .encoded(String(coding.prefix(40)))
    }

    package var description: String {
        switch self {
        case .notSent(let detail): return "not sent: \(detail)"
        case .connection(let detail): return "connection failed: \(detail)"
        case .timedOut: return "timed out"
        case .tooLarge(let limit): return "answer larger than the \(ByteCount.describe(limit)) limit"
        case .truncated(let expected, let received): return "answer cut short: \(received) of \(expected) bytes"
        case .encoded(let coding):
            return "answer refused: it is \(coding)-encoded, though only an unencoded answer was asked for (Accept-Encoding: identity)"
        case .cancelled: return "cancelled"
        }
    }
}

/// Moves HTTP requests. Adapters take one as a value, so tests and benchmarks can count or shape traffic.
package protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, into sink: ResponseSink, timeout: Duration) async throws -> HTTPResponse
}

package enum ByteCount {
    package static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return "\(bytes >> 20) MB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KB" }
        return "\(bytes) bytes"
    }
}
