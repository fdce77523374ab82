import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// A create whose request went out but whose outcome is unknown (connection dropped, broken 2xx answer)
/// is not sent again unless `RetryPolicy.resendsUnknownCreates` says so, over both transports.
@Suite(.timeLimit(.minutes(1))) struct UnknownCreateTests {
    struct Fault: CustomTestStringConvertible, Sendable {
        var name: String
        var reply: ServerReply
        var testDescription: String { name }
    }

    static let faults = [
        Fault(name: "dropped connection", reply: ServerReply(fault: .closeWithoutAnswer)),
        Fault(
            name: "200 with a broken chunked body",
            reply: ServerReply(status: 200, body: Data(#"{"data":[]}"#.utf8), fault: .cutChunkedBody(after: 4))),
        Fault(name: "200 cut short", reply: ServerReply(status: 200, body: Data(#"{"data":[]}"#.utf8), fault: .truncateBody(after: 4))),
        Fault(name: "200 that is not JSON", reply: ServerReply(status: 200, body: Data("<html>".utf8))),
    ]

    func client(_ server: ScriptedServer, _ kind: TransportKind, retry: RetryPolicy = .standard, sleeps: SleepRecorder) -> ProviderClient {
        ProviderClient(
            config: ProviderConfig(name: "api", dialect: "openai-images", apiKeyEnv: "K"), baseURL: server.server.baseURL,
            apiKey: "sk-test-key", transport: kind.make(), retry: retry, poll: PollSchedule(initial: 0.01), sleep: sleeps.sleep,
            random: { 0.5 })
    }

    func create(_ client: ProviderClient, billable: inout Int) async throws -> JSONValue {
        try await client.sendJSON(
            "POST", "/v1/images/generations", body: ["prompt": "x"], deadline: .now + .seconds(30), what: "create",
            billable: &billable
        ).answer
    }

    @Test(arguments: TransportKind.allCases, faults)
    func aCreateWithAnUnknownOutcomeIsNotSentAgain(_ kind: TransportKind, _ fault: Fault) async throws {
        let server = try ScriptedServer([fault.reply, .json(#"{"ok":true}"#)])
        let sleeps = SleepRecorder()
        var billable = 0
        await #expect {
            _ = try await create(client(server, kind, sleeps: sleeps), billable: &billable)
        } throws: { error in
            guard let failure = error as? ProviderFailure else { return false }
            return failure.outcomeUnknown && failure.attempts == 1 && failure.message.hasSuffix(RetryPolicy.notSentAgain)
        }
        #expect(server.count == 1, "sent once")
        #expect(billable == 1, "counted as possibly paid")
        #expect(sleeps.recorded.isEmpty)
    }

    @Test(arguments: TransportKind.allCases)
    func thePolicyMaySendItAgain(_ kind: TransportKind) async throws {
        let server = try ScriptedServer([ServerReply(fault: .closeWithoutAnswer), .json(#"{"ok":true}"#)])
        var retry = RetryPolicy.standard
        retry.resendsUnknownCreates = true
        var billable = 0
        let answer = try await create(client(server, kind, retry: retry, sleeps: SleepRecorder()), billable: &billable)
        #expect(answer["ok"] == .bool(true))
        #expect(server.count == 2 && billable == 2)
    }

    /// A status answer means the provider answered and made nothing: those are still retried.
    @Test(arguments: TransportKind.allCases)
    func rateLimitsAndServerErrorsAreStillRetried(_ kind: TransportKind) async throws {
        let server = try ScriptedServer([
            .json(#"{"error":{"message":"slow"}}"#, status: 429), .json("{}", status: 502), .json(#"{"ok":true}"#),
        ])
        var billable = 0
        let answer = try await create(client(server, kind, sleeps: SleepRecorder()), billable: &billable)
        #expect(answer["ok"] == .bool(true))
        #expect(server.count == 3)
    }

    /// Through the real CLI: the dropped create is sent once, the job fails saying why, and the summary
    /// counts it at its list price instead of saying only "spent $0.00".
    @Test func aDroppedCreateIsSentOnceAndCountedAsPossiblyPaid() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        fake.script("/v1/images/generations", [ServerReply(fault: .closeWithoutAnswer)])
        let manifest = apiManifest(
            dialect: "openai-images", fake: fake, models: ["nano-banana"],
            providerExtra: #", "concurrency": 1, "retry": { "initialDelaySeconds": 0.01 }"#,
            extra: #", "pricing": { "api:nano-banana": 0.039 }"#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 1, "\(result.err)")
        #expect(fake.requests.filter { $0.method == "POST" }.count == 1, "sent once")
        #expect(result.err.contains(RetryPolicy.notSentAgain), "\(result.err)")
        #expect(result.err.contains("spent $0.00 + up to $0.04 for 1 failed job that may have been paid"), "\(result.err)")
        let row = try readIndex(workspace, manifest: "api-test").jobRows.first
        #expect(row?["status"]?.stringValue == "failed" && row?["attempts"]?.numberValue == 1)
    }
}
