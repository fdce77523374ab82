import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct ProviderStopTests {
    static let prompts = (1...6).map { ("p\($0)", "Cube number \($0)") }

    @Test func wrongKeyStopsTheProviderAfterAtMostConcurrencyRequests() async throws {
        let fake = try DialectFakes.gemini()
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3.1-flash-image"], prompts: ProviderStopTests.prompts,
            ratios: ["1:1", "16:9"], providerExtra: #", "concurrency": 2"#)
        let path = try workspace.write("api-test.json", manifest)
        let result = await runCLI(
            ["run", path, "--output", workspace.outputRoot.path, "--quiet"], environment: ["NB_TEST_KEY": "bad-key-0000"])
        #expect(result.status == 1)
        #expect(fake.apiRequests.count <= 2, "at most `concurrency` requests reach the provider")
        let stopLines = result.err.split(separator: "\n").filter { $0.hasPrefix("provider api stopped") }
        #expect(stopLines.count == 1)
        #expect(stopLines.first?.contains("HTTP 403: PERMISSION_DENIED") == true)
        #expect(stopLines.first?.contains("check the key in NB_TEST_KEY") == true)
        let index = try readIndex(workspace, manifest: "api-test")
        let skipped = index.jobRows.filter { $0["status"] == "skipped" }
        #expect(skipped.count >= 10)
        #expect(skipped.allSatisfy { $0["error"]?.stringValue?.contains("not submitted: provider api stopped after: HTTP 403") == true })
        #expect(!result.err.contains("bad-key-0000"))
    }

    @Test func noNewSubmissionsAfterTheFirst402() async throws {
        let fake = try DialectFakes.openAIImages()
        let quota = FakeAPI.openAIError(
            402, code: "insufficient_quota", message: "Insufficient quota. Please top up your account.",
            type: "insufficient_quota")
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "openai-images", fake: fake, models: ["nano-banana"], prompts: ProviderStopTests.prompts,
            providerExtra: #", "concurrency": 1"#)
        // The first three jobs succeed; from the fourth on the account is empty.
        let creates = FakeCounter()
        let gate = try FakeAPI(key: fake.key) { inner, request in
            if !request.path.hasPrefix("/files/"), creates.next() > 3 { return quota }
            return DialectFakes.openAIImagesRoute(inner, request)
        }
        let path = try workspace.write("api-test.json", manifest.replacingOccurrences(of: fake.baseURL, with: gate.baseURL))
        let result = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"], environment: ["NB_TEST_KEY": fake.key])
        #expect(result.status == 1)
        #expect(gate.apiRequests.filter { $0.method == "POST" }.count == 4)
        let statusCounts = Dictionary(grouping: statuses(try readIndex(workspace, manifest: "api-test")).values, by: { $0 }).mapValues(
            \.count)
        #expect(statusCounts == ["made": 3, "failed": 1, "skipped": 2])
        #expect(result.err.contains("provider api stopped: HTTP 402: insufficient_quota"))
        #expect(result.err.contains("out of credit or quota"))
    }

    /// A gateway that answers 402 to every create, holding each answer so that every slot is in flight.
    @Test(arguments: [1, 4]) func aRefusalAtFullConcurrencyLetsNoFurtherCreateLeave(concurrency: Int) async throws {
        let gate = try FakeAPI { _, _ in
            usleep(150_000)
            return FakeAPI.openAIError(402, code: "insufficient_quota", message: "Insufficient quota.", type: "insufficient_quota")
        }
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "openai-images", fake: gate, models: ["nano-banana"], prompts: ProviderStopTests.prompts,
            ratios: ["1:1", "16:9"], providerExtra: #", "concurrency": \#(concurrency)"#)
        let result = try await runAgainst(gate, manifest, in: workspace)
        #expect(result.status == 1)
        #expect(gate.apiRequests.count <= concurrency)
        #expect(statuses(try readIndex(workspace, manifest: "api-test")).values.filter { $0 == "skipped" }.count >= 12 - concurrency)
    }

    /// Jobs waiting to retry (after a 503) when another job's create is refused with 402 send nothing more.
    @Test func jobsWaitingToRetrySendNothingAfterARefusal() async throws {
        let refused = Locked(false)
        let arrived = Locked(0)
        let gate = try FakeAPI { fake, request in
            let prompt = fake.json(request)?["prompt"]?.stringValue ?? ""
            arrived.withLock { $0 += 1 }
            if prompt == "Cube number 1" {
                // Refused once every job's first try is here (even on a loaded machine), so the others wait to retry.
                for _ in 0..<250 where arrived.withLock({ $0 }) < 4 { usleep(20_000) }
                refused.withLock { $0 = true }
                return FakeAPI.openAIError(402, code: "insufficient_quota", message: "Insufficient quota.", type: "insufficient_quota")
            }
            // The others' first tries fail after the refusal went out; their retries come about 50 ms later.
            for _ in 0..<100 where !refused.withLock({ $0 }) { usleep(20_000) }
            usleep(200_000)
            return FakeAPI.openAIError(503, code: "unavailable", message: "try again", type: "server_error")
        }
        let workspace = try TestWorkspace()
        let manifest = apiManifest(
            dialect: "openai-images", fake: gate, models: ["nano-banana"], prompts: Array(ProviderStopTests.prompts.prefix(4)),
            ratios: ["1:1"],
            providerExtra: #", "concurrency": 4, "retry": { "maxAttempts": 3, "initialDelaySeconds": 0.05 }"#)
        let result = try await runAgainst(gate, manifest, in: workspace)
        #expect(result.status == 1)
        #expect(gate.apiRequests.count == 4, "one create per job: no retry leaves after the 402")
        let rows = try readIndex(workspace, manifest: "api-test").jobRows
        let waiting = rows.filter { $0["status"] == "skipped" }
        #expect(waiting.count == 3)
        #expect(waiting.allSatisfy { $0["error"]?.stringValue?.contains("provider api stopped after: HTTP 402") == true })
    }
}

final class FakeCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
