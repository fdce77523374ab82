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
/// Redirects follow `RedirectPolicy` in both: here for `plainHTTP`, in `URLSessionTransport`'s delegate
/// for URLSession.
package final class StandardTransport: HTTPTransport, Sendable {
    private let plain: (any HTTPTransport)?
    /// Made on first use: a run that sends nothing over URLSession never starts it.
    private let session = Locked<URLSessionTransport?>(nil)
    static let proxyVariables = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]

    /// `plainHTTP` has no default, so that every caller decides (nil: URLSession for http:// too).
    package init(environment: [String: String], plainHTTP: (any HTTPTransport)?) {
        plain = StandardTransport.usesOwnClient(environment) ? plainHTTP : nil
    }

    /// Whether plain-HTTP requests may use the tool's own client.
    package static func usesOwnClient(_ environment: [String: String]) -> Bool {
        if environment["NANOBATCH_HTTP_CLIENT"]?.lowercased() == "urlsession" { return false }
        return !proxyVariables.contains { !(environment[$0] ?? "").isEmpty }
    }

    private var urlSession: URLSessionTransport {
        session.withLock { session in
            if let session { return session }
            let made = URLSessionTransport()
            session = made
            return made
        }
    }

    package func send(_ request: HTTPRequest, into sink: ResponseSink, timeout: Duration) async throws -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        var request = request
        var hops = 0
        while true {
            guard let plain, request.url.scheme?.lowercased() == "http" else {
                return try await urlSession.send(request, into: sink, timeout: ContinuousClock.now.duration(to: deadline))
            }
            let response = try await plain.send(request, into: sink, timeout: ContinuousClock.now.duration(to: deadline))
            guard
                let next = RedirectPolicy.standard.next(
                    after: request, status: response.status, location: response.header("location"),
                    hops: hops)
            else { return response }
            hops += 1
            request = next
        }
    }
}
