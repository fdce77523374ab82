import Foundation
import LoopbackHTTP
import SocketHTTP
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct EndpointTests {
    static let cases: [(String, String, [(String, String)], String?)] = [
        ("https://h", "/v1/a", [], "https://h/v1/a"),
        ("https://h/", "v1/a", [], "https://h/v1/a"),
        ("https://h//", "//v1/a", [], "https://h/v1/a"),
        ("https://h/proxy", "/v1/a", [], "https://h/proxy/v1/a"),
        ("https://h/proxy/", "/v1/a", [], "https://h/proxy/v1/a"),
        ("https://h/proxy/v1", "/v1/images/generations", [], "https://h/proxy/v1/images/generations"),
        ("https://h/proxy/v1/", "/v1beta/models/m:generateContent", [], "https://h/proxy/v1/v1beta/models/m:generateContent"),
        ("https://h/gemini/v1beta", "/v1beta/models/m:generateContent", [], "https://h/gemini/v1beta/models/m:generateContent"),
        (
            "http://127.0.0.1:8080/gw", "/gemini/task/result", [("taskId", "a b&c/d")],
            "http://127.0.0.1:8080/gw/gemini/task/result?taskId=a%20b%26c%2Fd"
        ),
        ("ftp://h", "/v1/a", [], nil),
        ("not a url", "/v1/a", [], nil),
    ]

    @Test("joining base URLs and paths", arguments: cases.indices)
    func join(_ index: Int) {
        let (base, path, query, expected) = EndpointTests.cases[index]
        #expect(Endpoint.join(base, path, query: query)?.absoluteString == expected)
    }
}

@Suite(.timeLimit(.minutes(2))) struct UntrustedIDTests {
    @Test func providerIDsStayOneEncodedPathSegment() throws {
        for id in ["..", ".", "../../v1/admin", "a/b", "täsk", "id?x=1#f", "sp ace", "%2e%2e"] {
            let segment = Endpoint.encode(id)
            #expect(!segment.contains("/") && segment != ".." && segment != "." && segment.allSatisfy(\.isASCII), "\(id) → \(segment)")
            let url = try #require(Endpoint.join("https://api.example.com/", "/v1/tasks/\(segment)"))
            #expect(url.path.hasPrefix("/v1/tasks/") && url.pathComponents.count == 4, "\(id) → \(url)")
            #expect(url.host == "api.example.com")
        }
        #expect(Endpoint.encode("task-12_ab.C~") == "task-12_ab.C~")
    }
}

@Suite(.timeLimit(.minutes(2))) struct ProviderErrorTests {
    let redactor = Redactor(secrets: ["sk-secret-123"])

    func failure(_ status: Int, _ body: String, headers: [String: String] = [:]) -> ProviderFailure {
        ProviderErrorReader.failure(
            HTTPResponse(status: status, headers: headers, body: Data(body.utf8)), redactor: redactor,
            apiKeyEnv: "MY_KEY", now: Date(timeIntervalSince1970: 1_000_000))
    }

    @Test func openAIStyle() {
        let f = failure(400, #"{"error":{"code":"invalid_request","message":"Invalid request parameters","type":"invalid_request_error"}}"#)
        #expect(f.description == "HTTP 400: invalid_request: Invalid request parameters")
        #expect(!f.retryable && !f.stopsProvider)
    }

    @Test func googleStyleWithRetryInfo() {
        let f = failure(
            429,
            #"{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}"#
        )
        #expect(f.providerCode == "RESOURCE_EXHAUSTED")
        #expect(f.retryable && f.retryAfter == 7 && !f.stopsProvider)
    }

    @Test func googleDailyQuotaStopsTheProvider() {
        let f = failure(
            429,
            #"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel"}]}]}}"#
        )
        #expect(f.stopsProvider && !f.retryable)
        #expect(f.message.contains("quota used up"))
    }

    @Test("Retry-After as seconds and as an HTTP-date", arguments: [("3", 3.0), ("Mon, 12 Jan 1970 13:46:50 GMT", 10.0)])
    func retryAfterHeader(_ header: String, _ seconds: Double) {
        let f = failure(503, "Service Unavailable", headers: ["retry-after": header])
        #expect(f.retryable)
        #expect(f.retryAfter == seconds)
        #expect(f.message == "Service Unavailable")
    }

    @Test("bad key and no credit stop the provider", arguments: [401, 402, 403])
    func stops(_ status: Int) {
        let f = failure(status, #"{"error":{"code":"unauthorized","message":"Invalid or expired token sk-secret-123"}}"#)
        #expect(f.stopsProvider && !f.retryable)
        #expect(!f.description.contains("sk-secret-123") && !(f.rawAnswer ?? "").contains("sk-secret-123"))
        if status != 402 { #expect(f.message.contains("check the key in MY_KEY")) }
    }

    @Test func taskStyleAndPlainText() {
        #expect(failure(400, #"{"errorCode":"E42","errorMessage":"bad prompt"}"#).description == "HTTP 400: E42: bad prompt")
        let html = failure(502, "<html>Bad Gateway</html>")
        #expect(html.retryable && html.message == "<html>Bad Gateway</html>")
        #expect(failure(404, "").message == "no error message")
    }
}

@Suite(.timeLimit(.minutes(2))) struct RetryPolicyTests {
    let policy = RetryPolicy.standard

    @Test(
        "exponential, jittered, capped",
        arguments: [
            (1, 0.5, 1.0), (2, 0.5, 2.0), (3, 0.5, 4.0), (10, 0.5, 60.0),
            (1, 0.0, 0.75), (1, 0.9999, 1.25), (7, 1.0, 60.0),
        ])
    func delays(_ attempt: Int, _ unit: Double, _ expected: Double) {
        #expect(abs(policy.delay(afterAttempt: attempt, unit: unit) - expected) < 0.001)
    }

    @Test func retryAfterIsHonoured() {
        #expect(policy.delay(afterAttempt: 1, unit: 0.5, retryAfter: 7) == 7)
        #expect(policy.delay(afterAttempt: 3, unit: 0.5, retryAfter: 0.1) == 4)
    }

    @Test func whenToStop() {
        let retryable = ProviderFailure("x", retryable: true)
        #expect(policy.shouldRetry(retryable, attempt: 1, secondsLeft: 100, wait: 1))
        #expect(!policy.shouldRetry(retryable, attempt: 4, secondsLeft: 100, wait: 1), "attempt limit")
        #expect(!policy.shouldRetry(retryable, attempt: 1, secondsLeft: 0.5, wait: 1), "deadline")
        #expect(!policy.shouldRetry(ProviderFailure("x"), attempt: 1, secondsLeft: 100, wait: 1), "not retryable")
        #expect(!policy.shouldRetry(ProviderFailure("x", retryable: true, retryAfter: 3600), attempt: 1, secondsLeft: 7200, wait: 3600))
        #expect(!policy.shouldRetry(ProviderFailure("x", retryable: true, stopsProvider: true), attempt: 1, secondsLeft: 100, wait: 1))
    }

    @Test func pollScheduleGrowsToItsCap() {
        let schedule = PollSchedule(initial: 5)
        #expect((1...8).map { schedule.interval(beforePoll: $0) } == [5, 7.5, 11.25, 16.875, 25.3125, 30, 30, 30])
    }
}

@Suite(.timeLimit(.minutes(2))) struct RedactorTests {
    @Test func removesKeysAndKeyPositions() {
        let redactor = Redactor(secrets: ["sk-live-abcdef"])
        let text =
            #"token sk-live-abcdef; Authorization: Bearer other-token-9; {"x-goog-api-key": "AIzaXYZ"} https://h/p?key=AIzaQQQ&alt=json"#
        let clean = redactor.redact(text)
        for secret in ["sk-live-abcdef", "other-token-9", "AIzaXYZ", "AIzaQQQ"] { #expect(!clean.contains(secret), "\(clean)") }
        #expect(clean.contains("alt=json"))
    }

    @Test func recordTruncatesWithoutLeakingAKeyCutInHalf() {
        let key = "sk-0123456789abcdef"
        let redactor = Redactor(secrets: [key])
        let body = Data((String(repeating: "x", count: 1995) + key + String(repeating: "y", count: 5000)).utf8)
        let record = redactor.record(body)
        #expect(!record.contains("sk-0123"))
        #expect(record.hasSuffix("(\(body.count) bytes in all)"))
    }
}

/// A loopback server answering from a script of replies, one per request.
final class ScriptedServer: @unchecked Sendable {
    private let lock = NSLock()
    private var replies: [ServerReply]
    private(set) var server: LoopbackServer!
    private(set) var seen: [ReceivedRequest] = []

    init(_ replies: [ServerReply]) throws {
        self.replies = replies
        server = try LoopbackServer { [unowned self] request in
            self.lock.withLock {
                self.seen.append(request)
                return self.replies.isEmpty ? .json("{}", status: 500) : self.replies.removeFirst()
            }
        }
    }

    deinit { server.stop() }
    var count: Int { lock.withLock { seen.count } }
}

final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var waits: [Double] = []
    var recorded: [Double] { lock.withLock { waits } }
    var sleep: @Sendable (Duration) async throws -> Void {
        { duration in self.lock.withLock { self.waits.append(duration.seconds) } }
    }
}

/// Both transports the tool uses for http:// URLs: its own client and URLSession.
enum TransportKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case own, urlSession
    var description: String { rawValue }
    func make() -> any HTTPTransport {
        switch self {
        case .own: return StandardTransport(environment: [:], plainHTTP: SocketHTTPTransport())
        case .urlSession: return StandardTransport(environment: ["NANOBATCH_HTTP_CLIENT": "urlsession"], plainHTTP: SocketHTTPTransport())
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct ProviderClientTests {
    func client(
        _ server: ScriptedServer, sleeps: SleepRecorder, limits: SizeLimits = .standard,
        transport: TransportKind
    ) -> ProviderClient {
        ProviderClient(
            config: ProviderConfig(name: "api", dialect: "openai-images", apiKeyEnv: "K"), baseURL: server.server.baseURL,
            apiKey: "sk-test-key", transport: transport.make(), poll: PollSchedule(initial: 0.01), limits: limits,
            sleep: sleeps.sleep, random: { 0.5 })
    }

    var deadline: ContinuousClock.Instant { .now + .seconds(30) }

    @Test(arguments: TransportKind.allCases)
    func retriesRateLimitsAndServerErrorsThenSucceeds(_ transport: TransportKind) async throws {
        let server = try ScriptedServer([
            ServerReply(status: 429, headers: ["Retry-After": "2"], body: Data(#"{"error":{"message":"slow down"}}"#.utf8)),
            .json(#"{"error":{"message":"oops"}}"#, status: 503),
            .json(#"{"ok":true}"#),
        ])
        let sleeps = SleepRecorder()
        var billable = 0
        let (_, answer) = try await client(server, sleeps: sleeps, transport: transport).sendJSON(
            "POST", "/v1/x", body: ["a": 1], deadline: deadline,
            what: "x", billable: &billable)
        #expect(answer["ok"] == .bool(true))
        #expect(billable == 3, "every attempt that reached the provider")
        #expect(sleeps.recorded == [2, 2])
        #expect(server.seen.allSatisfy { $0.body == Data(#"{"a":1}"#.utf8) }, "no attempt lost its body")
        #expect(server.seen.allSatisfy { $0.headers["authorization"] == "Bearer sk-test-key" })
    }

    @Test(arguments: TransportKind.allCases)
    func clientErrorsAreNotRetried(_ transport: TransportKind) async throws {
        let server = try ScriptedServer([.json(#"{"error":{"code":"bad","message":"no"}}"#, status: 400)])
        let sleeps = SleepRecorder()
        var billable = 0
        await #expect(throws: ProviderFailure.self) {
            _ = try await client(server, sleeps: sleeps, transport: transport).sendJSON(
                "POST", "/v1/x", body: ["a": 1], deadline: deadline, what: "x",
                billable: &billable)
        }
        #expect(server.count == 1 && sleeps.recorded.isEmpty)
    }

    @Test(arguments: TransportKind.allCases)
    func downloadsAreStreamedToDiskAndChecked(_ transport: TransportKind) async throws {
        let big = PNGEncoder(width: 1200, height: 900).encode { y, row in
            for x in 0..<1200 {
                row[3 * x] = UInt8((x * y) & 255)
                row[3 * x + 1] = UInt8(x & 255)
                row[3 * x + 2] = UInt8(y & 255)
            }
        }
        let server = try ScriptedServer([ServerReply(status: 200, body: big, chunked: true)])
        let workspace = try TestWorkspace()
        let destination = workspace.url.appendingPathComponent("out.png")
        let info = try await client(server, sleeps: SleepRecorder(), transport: transport).fetchResult(
            "\(server.server.baseURL)/r.png", to: destination,
            deadline: deadline)
        #expect(info.width == 1200 && info.height == 900)
        #expect(try Data(contentsOf: destination) == big)
        #expect(server.seen.first?.headers["authorization"] == nil, "result URLs never get the key")
    }

    @Test(arguments: TransportKind.allCases)
    func truncatedDownloadsAreRetriedAndNeverKept(_ transport: TransportKind) async throws {
        let png = smallPNG(seed: "t")
        let server = try ScriptedServer([
            ServerReply(status: 200, body: png, fault: .truncateBody(after: png.count / 2)),
            ServerReply(status: 200, body: png),
        ])
        let workspace = try TestWorkspace()
        let destination = workspace.url.appendingPathComponent("out.png")
        let sleeps = SleepRecorder()
        _ = try await client(server, sleeps: sleeps, transport: transport).fetchResult(
            "\(server.server.baseURL)/r.png", to: destination, deadline: deadline)
        #expect(server.count == 2 && sleeps.recorded.count == 1)
        #expect(try Data(contentsOf: destination) == png)
    }

    @Test(arguments: TransportKind.allCases)
    func oversizedAndNonImageDownloadsFailWithoutLeavingAFile(_ transport: TransportKind) async throws {
        let png = smallPNG(seed: "big")
        let server = try ScriptedServer(
            [ServerReply(status: 200, body: png)] + Array(repeating: .json("<html>not an image</html>"), count: 3))
        let workspace = try TestWorkspace()
        let destination = workspace.url.appendingPathComponent("out.png")
        let small = client(
            server, sleeps: SleepRecorder(), limits: SizeLimits(answerBytes: 1 << 20, imageBytes: png.count - 1), transport: transport)
        await #expect { try await small.fetchResult("\(server.server.baseURL)/a.png", to: destination, deadline: deadline) } throws: {
            ($0 as? ProviderFailure)?.message.contains("limit") == true
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(server.count == 1, "an oversized answer is not fetched again")
        await #expect {
            try await client(server, sleeps: SleepRecorder(), transport: transport).fetchResult(
                "\(server.server.baseURL)/b.png", to: destination,
                deadline: deadline)
        } throws: {
            ($0 as? ProviderFailure)?.message.contains("not a whole PNG, JPEG or WebP image") == true
        }
        #expect(server.count == 4, "three tries of a broken download")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }

    /// Inline answers up to `inlineImageLimit` go to the runner in memory; larger ones are written to the destination.
    @Test func inlineImagesAreHandedOverInMemoryUnlessLarge() async throws {
        let server = try ScriptedServer([])
        let workspace = try TestWorkspace()
        let destination = workspace.url.appendingPathComponent("out.png")
        let client = client(server, sleeps: SleepRecorder(), transport: .own)
        let small = smallPNG(seed: "inline")
        #expect(try await client.acceptImage(small, destination: destination) == small)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        var state: UInt32 = 7
        let large = PNGEncoder(width: 700, height: 700).encode { _, row in
            for i in 0..<row.count {
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                row[i] = UInt8(truncatingIfNeeded: state)
            }
        }
        #expect(large.count > ProviderClient.inlineImageLimit)
        #expect(try await client.acceptImage(large, destination: destination) == nil)
        #expect(try Data(contentsOf: destination) == large)
        try FileManager.default.removeItem(at: destination)
        await #expect { try await client.acceptImage(small.dropLast(3), destination: destination) } throws: {
            ($0 as? ProviderFailure)?.message.contains("not a whole PNG, JPEG or WebP image") == true
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }

    @Test(arguments: TransportKind.allCases)
    func dataURLsAreDecoded(_ transport: TransportKind) async throws {
        let png = smallPNG(seed: "d")
        let server = try ScriptedServer([])
        let workspace = try TestWorkspace()
        let destination = workspace.url.appendingPathComponent("out.png")
        _ = try await client(server, sleeps: SleepRecorder(), transport: transport).fetchResult(
            "data:image/png;base64,\(png.base64EncodedString())",
            to: destination, deadline: deadline)
        #expect(try Data(contentsOf: destination) == png)
        #expect(server.count == 0)
    }
}
