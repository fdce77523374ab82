import Foundation
import Testing

@testable import NanobatchCore

/// The shared skeleton of async dialects, driven through a stub translator and an in-memory
/// transport: no sockets, no sleeping.
@Suite(.timeLimit(.minutes(1))) struct AsyncTaskDriverTests {
    /// `POST /create` makes task `t<n>`; `GET /poll/<id>` answers what `outcomes` says for it.
    struct StubTranslator: AsyncTaskTranslator {
        var policy: AsyncTaskPolicy
        let createEndpoint = TaskEndpoint(path: "/create", what: "create")
        let taskIDName = "id"
        let createAnswerMayHoldResult = false
        let missingResultMessage = "ended without an image"

        func createBody(for job: Job, referenceURLs: [String]) -> JSONValue { ["prompt": .string(job.promptText)] }
        func failure(inCreateAnswer answer: JSONValue, redactor: Redactor) -> ProviderFailure? { nil }
        func taskID(inCreateAnswer answer: JSONValue) -> String? { answer["id"]?.stringValue }
        func pollEndpoint(taskID: String) -> TaskEndpoint { TaskEndpoint(path: "/poll/\(taskID)", what: "poll") }
        func taskState(_ answer: JSONValue, taskID: String, redactor: Redactor) -> ProviderClient.TaskState {
            switch answer["status"]?.stringValue {
            case "done": return .succeeded(resultLocations: ["https://cdn.test/\(taskID).png"], answer: answer)
            case "failed":
                let code = answer["code"]?.stringValue
                return .failed(ProviderFailure("task \(taskID) failed", providerCode: code, retryable: code == "busy"))
            default: return .running(status: answer["status"]?.stringValue ?? "?")
            }
        }
        func actualCost(job: Job, createAnswer: JSONValue?, finalAnswer: JSONValue) -> Double? { createAnswer == nil ? nil : 1 }
    }

    /// Answers from a table keyed by "METHOD path"; records every request.
    final class TableTransport: HTTPTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var created = 0
        private var log: [String] = []
        let pollAnswers: [String: (status: Int, body: String)]

        init(pollAnswers: [String: (status: Int, body: String)]) { self.pollAnswers = pollAnswers }

        var requests: [String] { lock.withLock { log } }

        func send(_ request: HTTPRequest, into sink: ResponseSink, timeout: Duration) async throws -> HTTPResponse {
            let line = "\(request.method) \(request.url.path)"
            let id: Int? = lock.withLock {
                log.append(line)
                if request.method == "POST" {
                    created += 1
                    return created
                }
                return nil
            }
            if let id { return HTTPResponse(status: 200, body: Data(#"{"id":"t\#(id)"}"#.utf8)) }
            if request.url.host == "cdn.test", case .file(let destination, _) = sink {
                let image = smallPNG(seed: request.url.path)
                try image.write(to: destination)
                return HTTPResponse(status: 200, bytesWritten: image.count)
            }
            let answer = pollAnswers[String(request.url.path.dropFirst("/poll/".count))] ?? (200, #"{"status":"done"}"#)
            return HTTPResponse(status: answer.status, body: Data(answer.body.utf8))
        }
    }

    /// The task ids the driver reported, in order.
    final class IDList: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String] = []
        func append(_ id: String) { lock.withLock { values.append(id) } }
        var ids: [String] { lock.withLock { values } }
    }

    let workspace: TestWorkspace

    init() throws { workspace = try TestWorkspace() }

    func run(
        _ policy: AsyncTaskPolicy, polls: [String: (status: Int, body: String)] = [:],
        resume: String? = nil
    ) async -> (result: Result<GenerationReceipt, any Error>, created: [String], log: [String]) {
        let transport = TableTransport(pollAnswers: polls)
        let config = ProviderConfig(
            name: "p", dialect: "test", apiKeyEnv: "K",
            retry: RetryPolicy(
                maxAttempts: 3, initialDelay: 0.001,
                multiplier: 1, maximumDelay: 0.001, jitter: 0, longestHonouredWait: 1))
        let client = ProviderClient(
            config: config, baseURL: "https://api.test", apiKey: "k", transport: transport, retry: config.retry,
            poll: PollSchedule(initial: 0.001), sleep: { _ in }, random: { 0 })
        let created = IDList()
        let request = GenerationRequest(
            job: translatorJob(), key: "key", references: [],
            destination: workspace.url.appendingPathComponent(UUID().uuidString),
            deadline: .now + .seconds(30), resumeTaskID: resume
        ) { id in created.append(id) }
        let driver = AsyncTaskDriver(client: client, translator: StubTranslator(policy: policy))
        let result: Result<GenerationReceipt, any Error>
        do { result = .success(try await driver.generate(request)) } catch { result = .failure(error) }
        return (result, created.ids, transport.requests)
    }

    @Test func createsReportsPollsAndFetches() async throws {
        let (result, created, log) = await run(.standard)
        let receipt = try result.get()
        #expect(created == ["t1"])
        #expect(log == ["POST /create", "GET /poll/t1", "GET /t1.png"])
        #expect(receipt.attempts == 1 && receipt.notes == ["task t1"] && receipt.actualCost == 1 && receipt.costUnit == "USD")
    }

    @Test func aResumedTaskIsPolledNotCreated() async throws {
        let (result, created, log) = await run(.standard, resume: "old")
        let receipt = try result.get()
        #expect(created.isEmpty && log == ["GET /poll/old", "GET /old.png"])
        #expect(receipt.attempts == 0 && receipt.notes == ["resumed task old from the journal"] && receipt.actualCost == nil)
    }

    @Test func aResumedTaskTheProviderForgotIsSubmittedAgain() async throws {
        let (result, created, _) = await run(.standard, polls: ["old": (404, #"{"error":"not found"}"#)], resume: "old")
        #expect(created == ["t1"])
        #expect(try result.get().notes == ["journaled task old is unknown to the provider; submitted again", "task t1"])
    }

    @Test func aResumedTaskThatFailedFailsTheJobWithNoBilledAttempts() async throws {
        let (result, created, log) = await run(.standard, polls: ["old": (200, #"{"status":"failed","code":"bad"}"#)], resume: "old")
        #expect(created.isEmpty && !log.contains("POST /create"))
        #expect(throws: ProviderFailure.self) { try result.get() }
        if case .failure(let failure as ProviderFailure) = result { #expect(failure.attempts == 0 && failure.providerCode == "bad") }
    }

    @Test func aFailedTaskIsFinalUnderTheStandardPolicy() async throws {
        let (result, created, _) = await run(.standard, polls: ["t1": (200, #"{"status":"failed","code":"busy"}"#)])
        #expect(created == ["t1"])
        if case .failure(let failure as ProviderFailure) = result {
            #expect(failure.attempts == 1)
        } else {
            Issue.record("expected a failure")
        }
    }

    @Test func aRetryLaterFailureIsSubmittedAgain() async throws {
        let policy = AsyncTaskPolicy(retryLaterCodes: ["busy"], costUnit: .credits)
        let (result, created, _) = await run(policy, polls: ["t1": (200, #"{"status":"failed","code":"busy"}"#)])
        let receipt = try result.get()
        #expect(created == ["t1", "t2"])
        #expect(receipt.notes == ["task t1", "task t1 failed (busy); submitted again", "task t2"])
        #expect(receipt.attempts == 2 && receipt.costUnit == "credits")
    }

    @Test func aFinalCodeIsNotSubmittedAgainEvenUnderARetryingPolicy() async throws {
        let policy = AsyncTaskPolicy(retryLaterCodes: ["busy"], costUnit: .credits)
        let (result, created, _) = await run(policy, polls: ["t1": (200, #"{"status":"failed","code":"bad"}"#)])
        #expect(created == ["t1"])
        #expect(throws: ProviderFailure.self) { try result.get() }
    }
}
