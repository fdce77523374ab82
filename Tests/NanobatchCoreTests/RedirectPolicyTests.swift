import Foundation
import LoopbackHTTP
import SocketHTTP
import Testing

@testable import NanobatchCore

/// Redirects: the key stays with its origin (scheme, host and port) and a request with a body is never
/// sent again, through either transport.
@Suite(.timeLimit(.minutes(1))) struct RedirectPolicyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var method = "GET"
        var from = "https://api.example.com/v1/tasks/1"
        var status = 302
        var location: String? = "/v1/tasks/1/result"
        var hops = 0
        /// The URL followed, or nil when the redirect is not followed.
        var followed: String?
        var keepsKey = true
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "same origin, relative", followed: "https://api.example.com/v1/tasks/1/result"),
        Case(name: "other host", location: "https://cdn.example.com/i.png", followed: "https://cdn.example.com/i.png", keepsKey: false),
        Case(
            name: "same host, other port", location: "https://api.example.com:8443/x", followed: "https://api.example.com:8443/x",
            keepsKey: false),
        Case(name: "default port written out", location: "https://api.example.com:443/x", followed: "https://api.example.com:443/x"),
        Case(name: "https to http", location: "http://api.example.com/x", followed: "http://api.example.com/x", keepsKey: false),
        Case(name: "POST is never followed", method: "POST", status: 307, followed: nil),
        Case(name: "303 after POST is not followed either", method: "POST", status: 303, followed: nil),
        Case(name: "not a redirect status", status: 304, followed: nil),
        Case(name: "no Location", location: nil, followed: nil),
        Case(name: "not http(s)", location: "file:///etc/passwd", followed: nil),
        Case(name: "too many hops", hops: 10, followed: nil),
    ]

    @Test(arguments: cases)
    func policy(_ example: Case) throws {
        let headers = ["Authorization": "Bearer sk-secret", "x-goog-api-key": "AIza-secret", "Accept": "application/json"]
        let request = HTTPRequest(
            method: example.method, url: URL(string: example.from)!, headers: headers,
            body: example.method == "POST" ? Data("{}".utf8) : nil)
        let next = RedirectPolicy.standard.next(after: request, status: example.status, location: example.location, hops: example.hops)
        #expect(next?.url.absoluteString == example.followed)
        if let next {
            #expect(next.headers["Accept"] == "application/json")
            #expect((next.headers["Authorization"] != nil) == example.keepsKey)
            #expect((next.headers["x-goog-api-key"] != nil) == example.keepsKey)
        }
    }

    enum Client: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case urlSession, ownClient
        var testDescription: String { rawValue }
        var transport: StandardTransport {
            StandardTransport(environment: [:], plainHTTP: self == .ownClient ? SocketHTTPTransport() : nil)
        }
    }

    static func seen(_ request: ReceivedRequest) -> String {
        "\(request.headers["authorization"] ?? "none") \(request.headers["x-goog-api-key"] ?? "none")"
    }

    @Test(arguments: Client.allCases)
    func overRealHTTPTheKeyStaysWithItsOriginAndAPostIsNotResent(_ client: Client) async throws {
        let target = try LoopbackServer { request in ServerReply(status: 200, body: Data(Self.seen(request).utf8)) }
        defer { target.stop() }
        let origin = try LoopbackServer { request in
            switch request.path {
            case "/same": return ServerReply(status: 302, headers: ["Location": "/final"])
            case "/final": return ServerReply(status: 200, body: Data(Self.seen(request).utf8))
            case "/other-port": return ServerReply(status: 302, headers: ["Location": "http://127.0.0.1:\(target.port)/file"])
            default: return ServerReply(status: 307, headers: ["Location": "http://127.0.0.1:\(target.port)/create"])
            }
        }
        defer { origin.stop() }
        let transport = client.transport
        let keys = ["Authorization": "Bearer sk-secret", "x-goog-api-key": "AIza-secret"]
        func send(_ method: String, _ path: String) async throws -> HTTPResponse {
            let request = HTTPRequest(
                method: method, url: URL(string: "http://127.0.0.1:\(origin.port)\(path)")!, headers: keys,
                body: method == "POST" ? Data("{}".utf8) : nil)
            return try await transport.send(request, into: .memory(limit: 4096), timeout: .seconds(20))
        }
        let same = try await send("GET", "/same")
        #expect(String(decoding: same.body, as: UTF8.self) == "Bearer sk-secret AIza-secret")
        let otherPort = try await send("GET", "/other-port")
        #expect(otherPort.status == 200)
        #expect(String(decoding: otherPort.body, as: UTF8.self) == "none none", "another port is another origin")
        let created = try await send("POST", "/create")
        #expect(created.status == 307, "a POST's redirect is returned, not followed")
        #expect(target.requestsServed == 1, "only the GET reached the other origin")
        #expect(origin.requestsServed == 4, "the POST reached its origin once")
    }
}
