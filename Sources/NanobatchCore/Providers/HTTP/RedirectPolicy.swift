import Foundation

/// Which redirects are followed, the same in both transports: only requests without a body (a paid
/// POST is never sent again, not even to follow a redirect), at most `maximum` hops, only to http(s)
/// URLs; the API key headers go only to the origin (scheme, host and port) they were given for.
struct RedirectPolicy: Sendable {
    static let standard = RedirectPolicy()
    static let maximum = 10
    static let secretHeaders: Set<String> = ["authorization", "x-goog-api-key"]

    /// The request to send next, or `nil` when the redirect is not followed (the 3xx answer is the result).
    func next(after request: HTTPRequest, status: Int, location: String?, hops: Int) -> HTTPRequest? {
        guard ["GET", "HEAD"].contains(request.method.uppercased()), request.body == nil,
            [301, 302, 303, 307, 308].contains(status), hops < RedirectPolicy.maximum,
            let location, let target = URL(string: location, relativeTo: request.url)?.absoluteURL,
            ["http", "https"].contains(target.scheme?.lowercased() ?? "")
        else { return nil }
        var next = request
        next.url = target
        if !RedirectPolicy.sameOrigin(request.url, target) {
            for name in request.headers.keys where RedirectPolicy.secretHeaders.contains(name.lowercased()) {
                next.headers[name] = nil
            }
        }
        return next
    }

    /// Scheme, host and port (with the scheme's default port) all equal.
    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func origin(_ url: URL) -> (String, String, Int)? {
            guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
            return (scheme, host, url.port ?? (scheme == "https" ? 443 : 80))
        }
        guard let first = origin(a), let second = origin(b) else { return false }
        return first == second
    }
}
