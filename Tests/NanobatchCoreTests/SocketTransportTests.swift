import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore
@testable import SocketHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The tool's own HTTP/1.1 client over real sockets, against the loopback server.
@Suite(.timeLimit(.minutes(2))) struct SocketTransportTests {
    let transport = SocketHTTPTransport()
    // Long: the shared test pool can be busy for seconds, and only the deadline test needs a short one.
    let timeout: Duration = .seconds(120)

    func get(
        _ server: LoopbackServer, _ target: String, headers: [String: String] = [:],
        sink: ResponseSink = .memory(limit: 1 << 20), through transport: (any HTTPTransport)? = nil
    ) async throws -> HTTPResponse {
        try await (transport ?? self.transport).send(
            HTTPRequest(method: "GET", url: URL(string: server.baseURL + target)!, headers: headers),
            into: sink, timeout: timeout)
    }

    func post(_ server: LoopbackServer, _ body: String) async throws -> HTTPResponse {
        try await transport.send(
            HTTPRequest(
                method: "POST", url: URL(string: server.baseURL + "/v1/create")!,
                headers: ["Content-Type": "application/json"], body: Data(body.utf8)),
            into: .memory(limit: 1 << 20), timeout: timeout)
    }

    /// A port on 127.0.0.1 with nothing listening.
    func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        close(fd)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func sendsTheRequestAsWrittenAndReadsTheAnswer() async throws {
        let server = try LoopbackServer { request in
            ServerReply(
                status: 201, headers: ["X-Echo": request.target, "Content-Type": "application/json"],
                body: Data("\(request.method) \(request.headers["host"] ?? "") \(request.headers["x-key"] ?? "")".utf8))
        }
        defer { server.stop() }
        let response = try await get(server, "/v1/tasks/a%20b?id=1&x=%2F", headers: ["X-Key": "k1"])
        #expect(response.status == 201)
        #expect(response.header("X-Echo") == "/v1/tasks/a%20b?id=1&x=%2F", "path and query go out exactly as encoded")
        #expect(String(decoding: response.body, as: UTF8.self) == "GET 127.0.0.1:\(server.port) k1")
    }

    @Test func aRequestWithABodyGetsItsOwnConnectionAndIsSentOnce() async throws {
        let server = try LoopbackServer { request in
            .json(#"{"len":\#(request.body.count),"connection":"\#(request.headers["connection"] ?? "")"}"#)
        }
        defer { server.stop() }
        for _ in 0..<3 {
            let answer = try JSONParser.parse(try await post(server, #"{"prompt":"a red cube"}"#).body)
            #expect(answer["len"] == .number(23))
            #expect(answer["connection"] == .string("close"))
        }
        #expect(server.requestsServed == 3 && server.connectionsAccepted == 3)
        #expect(transport.idleConnectionCount == 0, "a connection that carried a body is never kept")
    }

    @Test func requestsWithoutABodyShareAKeptConnection() async throws {
        let server = try LoopbackServer { _ in .json(#"{"status":"processing"}"#) }
        defer { server.stop() }
        for _ in 0..<5 { #expect(try await get(server, "/poll").status == 200) }
        #expect(server.requestsServed == 5)
        #expect(server.connectionsAccepted == 1)
        #expect(transport.idleConnectionCount == 1)
    }

    @Test func aKeptConnectionTheServerDroppedIsReplacedWithoutLosingTheRequest() async throws {
        let count = Counter()
        let server = try LoopbackServer { _ in
            // The second request arrives on the kept connection; the server closes it without answering.
            count.next() == 2 ? ServerReply(fault: .closeWithoutAnswer) : .json(#"{"ok":true}"#)
        }
        defer { server.stop() }
        #expect(try await get(server, "/a").status == 200)
        #expect(try await get(server, "/b").status == 200)
        #expect(server.requestsServed == 3 && server.connectionsAccepted == 2)
    }

    @Test func aPostWhoseConnectionDiesIsNeverSentAgain() async throws {
        let server = try LoopbackServer { _ in ServerReply(fault: .closeWithoutAnswer) }
        defer { server.stop() }
        await #expect(throws: TransportError.connection(ResponseReader.closedWithoutAnswer)) { try await post(server, "{}") }
        #expect(server.requestsServed == 1)
    }

    @Test func nothingListeningIsNotSent() async throws {
        let port = closedPort()
        await #expect {
            try await transport.send(
                HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(port)/v1/create")!, body: Data("{}".utf8)),
                into: .memory(limit: 1024), timeout: timeout)
        } throws: { error in
            guard case .notSent(let detail) = error as? TransportError else { return false }
            return detail.contains("127.0.0.1:\(port)")
        }
    }

    @Test func aHeaderWithALineBreakIsRefusedBeforeAnythingIsSent() async throws {
        let server = try LoopbackServer { _ in .json("{}") }
        defer { server.stop() }
        await #expect {
            try await get(server, "/", headers: ["X-Evil": "a\r\nX-Injected: 1"])
        } throws: { error in
            if case .notSent = error as? TransportError { return true }
            return false
        }
        #expect(server.requestsServed == 0)
    }

    @Test func chunkedAndLengthFramedBodiesAreWhole() async throws {
        let body = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let server = try LoopbackServer { request in ServerReply(status: 200, body: body, chunked: request.path == "/chunked") }
        defer { server.stop() }
        #expect(try await get(server, "/chunked").body == body)
        #expect(try await get(server, "/length").body == body)
        #expect(server.connectionsAccepted == 1, "a chunked answer read to its end leaves the connection usable")
    }

    @Test func aBodyShorterThanItsLengthIsTruncated() async throws {
        let server = try LoopbackServer { _ in ServerReply(status: 200, body: Data(count: 1000), fault: .truncateBody(after: 400)) }
        defer { server.stop() }
        await #expect(throws: TransportError.truncated(expected: 1000, received: 400)) { try await get(server, "/x") }
    }

    @Test func fileSinksGetOnlySuccessfulBodiesAndRespectTheCap() async throws {
        let png = smallPNG(seed: "socket")
        let server = try LoopbackServer { request in
            request.path == "/missing" ? .json(#"{"error":"gone"}"#, status: 404) : ServerReply(status: 200, body: png)
        }
        defer { server.stop() }
        let workspace = try TestWorkspace()
        let file = workspace.url.appendingPathComponent("image.png")
        let ok = try await get(server, "/image.png", sink: .file(file, limit: 1 << 20))
        #expect(ok.bytesWritten == png.count && ok.body.isEmpty)
        #expect(try Data(contentsOf: file) == png)
        try FileManager.default.removeItem(at: file)
        let missing = try await get(server, "/missing", sink: .file(file, limit: 1 << 20))
        #expect(missing.status == 404 && String(decoding: missing.body, as: UTF8.self).contains("gone"))
        #expect(!FileManager.default.fileExists(atPath: file.path), "an error answer never becomes the file")
        await #expect(throws: TransportError.tooLarge(limit: png.count - 1)) {
            try await get(server, "/image.png", sink: .file(file, limit: png.count - 1))
        }
        #expect(!FileManager.default.fileExists(atPath: file.path), "an answer over the cap is refused before the file is made")
    }

    /// A server that answers only when the test lets it (so "ended before the answer" needs no clock).
    func heldServer(_ release: DispatchSemaphore) throws -> LoopbackServer {
        try LoopbackServer { _ in
            release.wait()
            return .json("{}")
        }
    }

    @Test func aSlowAnswerEndsAtTheDeadline() async throws {
        let release = DispatchSemaphore(value: 0)
        let server = try heldServer(release)
        defer {
            release.signal()
            server.stop()
        }
        await #expect(throws: TransportError.timedOut) {
            try await transport.send(
                HTTPRequest(method: "GET", url: URL(string: server.baseURL + "/slow")!), into: .memory(limit: 1024),
                timeout: .milliseconds(300))
        }
        #expect(server.requestsServed == 1 && server.lastReplyAt == 0, "the wait ended while the server still held its answer")
    }

    @Test func cancellingTheTaskEndsTheRequest() async throws {
        let release = DispatchSemaphore(value: 0)
        let server = try heldServer(release)
        defer {
            release.signal()
            server.stop()
        }
        let task = Task { try await get(server, "/slow") }
        while server.requestsServed == 0 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        await #expect(throws: TransportError.cancelled) { try await task.value }
        #expect(server.lastReplyAt == 0, "the request ended while the server still held its answer")
    }

    @Test func redirectsOfGetsAreFollowedAndTheKeyStaysWithItsHost() async throws {
        let target = try LoopbackServer { request in
            ServerReply(status: 200, body: Data("key=\(request.headers["authorization"] ?? "none")".utf8))
        }
        defer { target.stop() }
        let origin = try LoopbackServer { request in
            switch request.path {
            case "/same": return ServerReply(status: 302, headers: ["Location": "/final"])
            case "/final": return ServerReply(status: 200, body: Data("key=\(request.headers["authorization"] ?? "none")".utf8))
            case "/elsewhere": return ServerReply(status: 307, headers: ["Location": "http://localhost:\(target.port)/file"])
            default: return ServerReply(status: 308, headers: ["Location": "/final"])
            }
        }
        defer { origin.stop() }
        let standard = StandardTransport(environment: [:], plainHTTP: SocketHTTPTransport())
        let headers = ["Authorization": "Bearer sk-1"]
        let same = try await get(origin, "/same", headers: headers, through: standard)
        #expect(String(decoding: same.body, as: UTF8.self) == "key=Bearer sk-1")
        let elsewhere = try await get(origin, "/elsewhere", headers: headers, through: standard)
        #expect(String(decoding: elsewhere.body, as: UTF8.self) == "key=none", "the key is not sent to another host")
        let posted = try await standard.send(
            HTTPRequest(method: "POST", url: URL(string: origin.baseURL + "/create")!, body: Data("{}".utf8)),
            into: .memory(limit: 1024), timeout: timeout)
        #expect(posted.status == 308, "a request with a body is never sent again, not even to follow a redirect")
        #expect(origin.requestsServed == 4 && target.requestsServed == 1)
    }

    @Test func urlSessionTakesOverForProxiesAndOnRequest() {
        #expect(StandardTransport.usesOwnClient([:]))
        #expect(!StandardTransport.usesOwnClient(["NANOBATCH_HTTP_CLIENT": "urlsession"]))
        #expect(!StandardTransport.usesOwnClient(["http_proxy": "http://proxy:3128"]))
        #expect(!StandardTransport.usesOwnClient(["ALL_PROXY": "socks5://proxy:1080"]))
        #expect(StandardTransport.usesOwnClient(["http_proxy": ""]))
    }

    /// The own client is passed in: it carries `http://` URLs unless URLSession is asked for; without it, URLSession does.
    @Test(.timeLimit(.minutes(1))) func thePassedClientCarriesHTTPUnlessURLSessionIsAskedFor() async throws {
        let server = try ScriptedServer(Array(repeating: .json("{}"), count: 3))
        let url = URL(string: server.server.baseURL + "/poll")!
        let own = SocketHTTPTransport()
        let transports = [
            StandardTransport(environment: [:], plainHTTP: own),
            StandardTransport(environment: ["NANOBATCH_HTTP_CLIENT": "urlsession"], plainHTTP: own),
            StandardTransport(environment: [:], plainHTTP: nil),
        ]
        for transport in transports {
            #expect(
                try await transport.send(HTTPRequest(method: "GET", url: url), into: .memory(limit: 1024), timeout: timeout).status == 200)
        }
        // libcurl names itself in User-Agent; the own client sends none of its own.
        #expect(server.seen.map { $0.headers["user-agent"]?.contains("curl") ?? false } == [false, true, true])
        #expect(own.idleConnectionCount == 1, "only the first request used the own client")
    }

    @Test func aCreateThatNeverLeftIsRetriedAndNeverBilled() async throws {
        let config = ProviderConfig(name: "api", dialect: "openai-images", apiKeyEnv: "K")
        let sleeps = SleepRecorder()
        let client = ProviderClient(
            config: config, baseURL: "http://127.0.0.1:\(closedPort())", apiKey: "sk-test-key",
            transport: StandardTransport(environment: [:], plainHTTP: SocketHTTPTransport()), poll: PollSchedule(initial: 0.01),
            sleep: sleeps.sleep, random: { 0.5 })
        var billable = 0
        await #expect {
            _ = try await client.sendJSON(
                "POST", "/v1/images/generations", body: ["prompt": "x"], deadline: .now + .seconds(30),
                what: "create", billable: &billable)
        } throws: { error in
            guard let failure = error as? ProviderFailure else { return false }
            return !failure.outcomeUnknown && failure.message.contains("not sent")
        }
        #expect(billable == 0)
        #expect(sleeps.recorded.count == RetryPolicy.standard.maxAttempts - 1, "safe to try again: nothing was sent")
    }

    @Test func networkThreadsGrowWithDemandAndEndWhenIdle() async throws {
        let threads = WorkerThreads(count: 0, growingTo: 4, idleSeconds: 0.2)
        let gate = DispatchSemaphore(value: 0)
        let started = Counter()
        let calls = (0..<6).map { _ in
            Task {
                try await threads.run {
                    _ = started.next()
                    gate.wait()
                }
            }
        }
        while started.value < 4 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(threads.threadCount == 4, "no more threads than the maximum")
        try await Task.sleep(for: .milliseconds(50))
        #expect(started.value == 4, "the other calls wait for a thread")
        for _ in 0..<6 { gate.signal() }
        for call in calls { try await call.value }
        #expect(started.value == 6)
        for _ in 0..<150 where threads.threadCount > 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(threads.threadCount == 0, "threads end after their idle time")
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func next() -> Int {
        lock.withLock {
            count += 1
            return count
        }
    }
}
