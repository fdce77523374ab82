import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The transport the tool uses. `https://` URLs, and every URL when a proxy variable is set, go through
/// URLSession (`URLSessionTransport`), which brings TLS and proxy support. `http://` URLs go through
/// `plainHTTP` when one is given: the executable passes the own HTTP/1.1 client (`SocketHTTPTransport`
/// in the SocketHTTP target, kept for its throughput; README › Performance). `NANOBATCH_HTTP_CLIENT=urlsession`
/// sends everything through URLSession.
///
/// URLSession follows redirects itself; for `plainHTTP` they are followed here, for GET only (a
/// request with a body is never sent twice), at most `maxRedirects`, dropping the API key headers when
/// the host changes.
public final class StandardTransport: HTTPTransport, @unchecked Sendable {
    private let plain: (any HTTPTransport)?
    private let lock = NSLock()
    private var session: URLSessionTransport?
    static let maxRedirects = 10
    static let proxyVariables = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]

    /// `plainHTTP` has no default, so that every caller decides (nil: URLSession for http:// too).
    public init(environment: [String: String], plainHTTP: (any HTTPTransport)?) {
        plain = StandardTransport.usesOwnClient(environment) ? plainHTTP : nil
    }

    /// Whether plain-HTTP requests may use the tool's own client.
    public static func usesOwnClient(_ environment: [String: String]) -> Bool {
        if environment["NANOBATCH_HTTP_CLIENT"]?.lowercased() == "urlsession" { return false }
        return !proxyVariables.contains { !(environment[$0] ?? "").isEmpty }
    }

    private var urlSession: URLSessionTransport {
        lock.withLock {
            if let session { return session }
            let made = URLSessionTransport()
            session = made
            return made
        }
    }

    public func send(_ request: HTTPRequest, into sink: ResponseSink, timeout: Duration) async throws -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        var request = request
        var redirects = 0
        while true {
            guard let plain, request.url.scheme?.lowercased() == "http" else {
                return try await urlSession.send(request, into: sink, timeout: ContinuousClock.now.duration(to: deadline))
            }
            let response = try await plain.send(request, into: sink, timeout: ContinuousClock.now.duration(to: deadline))
            guard request.method == "GET", [301, 302, 303, 307, 308].contains(response.status),
                  let location = response.header("location"), redirects < StandardTransport.maxRedirects,
                  let next = URL(string: location, relativeTo: request.url)?.absoluteURL,
                  ["http", "https"].contains(next.scheme?.lowercased() ?? "") else {
                return response
            }
            redirects += 1
            if next.host?.lowercased() != request.url.host?.lowercased() {
                for name in request.headers.keys where ["authorization", "x-goog-api-key"].contains(name.lowercased()) {
                    request.headers[name] = nil
                }
            }
            request.url = next
        }
    }
}
