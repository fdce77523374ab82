import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// `GeminiBatchClient` against `GeminiBatchFake` over real loopback HTTP.
@Suite(.timeLimit(.minutes(1))) struct GeminiBatchClientTests {
    func batchClient(_ fake: GeminiBatchFake, _ kind: TransportKind = .own, retry: RetryPolicy = .standard) -> GeminiBatchClient {
        GeminiBatchClient(
            client: ProviderClient(
                config: ProviderConfig(name: "g", dialect: "gemini", apiKeyEnv: "GEMINI_API_KEY"), baseURL: fake.baseURL,
                apiKey: fake.key, auth: .googleAPIKey, transport: kind.make(), retry: retry, poll: PollSchedule(initial: 0.01),
                sleep: { _ in }, random: { 0.5 }))
    }

    /// Writes one request line per (key, job) and returns the file.
    func inputFile(_ jobs: [(key: String, job: Job, references: [ReferenceImage])], in workspace: TestWorkspace) throws -> URL {
        var data = Data()
        for entry in jobs { data.append(GeminiBatchTranslator.requestLine(key: entry.key, job: entry.job, references: entry.references)) }
        let url = workspace.url.appendingPathComponent("input-\(UUID().uuidString).jsonl")
        try data.write(to: url)
        return url
    }

    func sampleJobs() -> [(key: String, job: Job, references: [ReferenceImage])] {
        let reference = ReferenceImage(bytes: smallPNG(seed: "ref"), format: .png, filename: "ref.png")
        return [
            ("k1", translatorJob(model: "gemini-3-pro-image", prompt: "a cat", ratio: "16:9", size: "2K"), [reference]),
            ("k2", translatorJob(model: "gemini-3-pro-image", prompt: "a dog", ratio: "21:9", size: "1K"), []),
            ("k3", translatorJob(model: "gemini-3-pro-image", prompt: "a fish [line-error]", ratio: "1:1", size: "4K"), []),
            ("k4", translatorJob(model: "gemini-3-pro-image", prompt: "a bird", ratio: "3:4", size: "1K"), [reference, reference]),
        ]
    }

    /// Submits the sample jobs: upload, then create.
    func submit(_ client: GeminiBatchClient, in workspace: TestWorkspace) async throws -> (GeminiBatch, displayName: String) {
        let jobs = sampleJobs()
        let displayName = GeminiBatchTranslator.displayName(keys: jobs.map(\.key))
        let file = try await client.uploadJSONL(try inputFile(jobs, in: workspace), displayName: displayName)
        return (try await client.create(model: "gemini-3-pro-image", fileName: file, displayName: displayName), displayName)
    }

    func pollUntilFinished(_ client: GeminiBatchClient, _ name: String) async throws -> [GeminiBatch] {
        var seen: [GeminiBatch] = []
        for _ in 0..<20 {
            let batch = try await client.get(name)
            seen.append(batch)
            if batch.isFinished { return seen }
        }
        Issue.record("\(name) did not finish")
        return seen
    }

    @Test(arguments: TransportKind.allCases)
    func uploadCreatePollDownloadGivesEveryKeyItsImageOrItsError(_ kind: TransportKind) async throws {
        let fake = try GeminiBatchFake()
        let workspace = try TestWorkspace()
        let client = batchClient(fake, kind)
        let (created, displayName) = try await submit(client, in: workspace)
        #expect(created.state == .pending && created.displayName == displayName && created.name.hasPrefix("batches/"))
        let states = try await pollUntilFinished(client, created.name)
        #expect(states.map(\.state) == [.pending, .running, .succeeded])
        let done = try #require(states.last)
        #expect(done.stats == GeminiBatchStats(requests: 4, succeeded: 3, failed: 1, pending: 0))
        let results = workspace.url.appendingPathComponent("results.jsonl")
        let written = try await client.downloadResults(try #require(done.responsesFile), to: results)
        #expect(written > 0 && (try? Data(contentsOf: results).count) == written)

        var outcomes: [String: GeminiBatchLine.Outcome] = [:]
        let reader = try JSONLineReader(url: results)
        try reader.eachLine { line in
            let result = try GeminiBatchTranslator.resultLine(
                JSONParser.parse(line), model: "gemini-3-pro-image", redactor: client.client.redactor)
            outcomes[result.key] = result.outcome
        }
        #expect(outcomes.keys.sorted() == ["k1", "k2", "k3", "k4"])
        for (key, ratio) in [("k1", "16:9"), ("k2", "21:9"), ("k4", "3:4")] {
            guard case .image(let base64, let cost, _)? = outcomes[key] else {
                Issue.record("\(key): no image")
                continue
            }
            // The final image, never the interim thought image (which has another ratio).
            #expect(Data(base64Encoded: base64) == GeminiBatchFake.image(ratio: ratio), "\(key)")
            #expect(cost.map { $0 > 0 } == true)
        }
        guard case .failure(let failure)? = outcomes["k3"] else {
            Issue.record("k3 should have failed")
            return
        }
        #expect(failure.message.contains("told to fail this line") && failure.providerCode == "400")
        #expect(fake.violations == [])
        #expect(fake.creationCount == 1)
        let upload = try #require(fake.requests.first { $0.query["upload_id"] != nil })
        #expect(upload.headers["x-goog-api-key"] == fake.key, "the upload URL is on the base URL's origin: the key goes along")
    }

    @Test func theFakeReportsRequestLinesThatBreakTheGenerateContentRules() async throws {
        let fake = try GeminiBatchFake()
        let workspace = try TestWorkspace()
        let client = batchClient(fake)
        let bad = translatorJob(model: "gemini-3-pro-image", prompt: "x", ratio: "8:1", size: "0.5K")
        let file = try await client.uploadJSONL(try inputFile([("k", bad, [])], in: workspace), displayName: "d")
        _ = try await client.create(model: "gemini-3-pro-image", fileName: file, displayName: "d")
        #expect(fake.violations.contains { $0.contains("aspectRatio 8:1") })
        #expect(fake.violations.contains { $0.contains("imageSize 512 is not offered") })
    }

    @Test func listFollowsPageTokensAndFindsTheBatchToAdoptByDisplayName() async throws {
        let fake = try GeminiBatchFake()
        let workspace = try TestWorkspace()
        var client = batchClient(fake)
        client.listPageSize = 2
        fake.addBatch(displayName: "someone-else", state: "BATCH_STATE_RUNNING")
        fake.addBatch(displayName: GeminiBatchTranslator.displayName(keys: ["k1", "k2", "k3", "k4"]), state: "BATCH_STATE_FAILED")
        fake.addBatch(displayName: "other", state: "JOB_STATE_SUCCEEDED")
        let (created, displayName) = try await submit(client, in: workspace)
        let all = try await client.list()
        #expect(all.map(\.name) == fake.batchNames)
        #expect(fake.requests.filter { $0.path.hasSuffix("/v1beta/batches") }.count == 2, "two pages")
        #expect(fake.requests.contains { $0.query["pageToken"] == "2" })
        let adoptable = try await client.adoptable(displayName: displayName)
        #expect(adoptable.map(\.name) == [created.name], "the failed batch of the same name is not adopted")
    }

    @Test func cancelEndsABatch() async throws {
        let fake = try GeminiBatchFake()
        let workspace = try TestWorkspace()
        let client = batchClient(fake)
        let (created, _) = try await submit(client, in: workspace)
        try await client.cancel(created.name)
        let batch = try await client.get(created.name)
        #expect(batch.state == .cancelled && batch.isFinished && batch.responsesFile == nil)
    }

    @Test func anExpiredOrFailedBatchEndsWithoutResults() async throws {
        let workspace = try TestWorkspace()
        let expiring = try GeminiBatchFake()
        expiring.expiresBatches = true
        let expired = try await pollUntilFinished(batchClient(expiring), try await submit(batchClient(expiring), in: workspace).0.name)
        #expect(expired.last?.state == .expired && expired.last?.responsesFile == nil)
        let failing = try GeminiBatchFake()
        failing.failsBatchesWith = "enqueued token quota exceeded"
        let failed = try await pollUntilFinished(batchClient(failing), try await submit(batchClient(failing), in: workspace).0.name)
        #expect(failed.last?.state == .failed && failed.last?.errorMessage == "enqueued token quota exceeded")
    }

    /// The create went out and the batch was made, but the answer was lost: it is not sent again,
    /// even under a policy that resends unknown creates, and listing finds the batch to adopt.
    @Test(arguments: TransportKind.allCases)
    func aCreateWhoseAnswerIsLostIsNeverSentAgain(_ kind: TransportKind) async throws {
        let fake = try GeminiBatchFake()
        fake.dropsCreateAnswers = 1
        let workspace = try TestWorkspace()
        var retry = RetryPolicy.standard
        retry.resendsUnknownCreates = true
        let client = batchClient(fake, kind, retry: retry)
        let displayName = GeminiBatchTranslator.displayName(keys: ["k1", "k2", "k3", "k4"])
        await #expect {
            _ = try await submit(client, in: workspace)
        } throws: { error in
            (error as? ProviderFailure)?.outcomeUnknown == true
        }
        #expect(fake.creationCount == 1, "no second paid batch")
        #expect(try await client.adoptable(displayName: displayName).count == 1)
    }

    @Test func retryableFailuresOfUploadsAndPollsAreRetried() async throws {
        let fake = try GeminiBatchFake()
        let failures = Locked<[String: Int]>([:])
        fake.injectFaults { request in
            let kind =
                request.query["upload_id"] != nil
                ? "finalize" : request.path.hasSuffix("/files") ? "start" : request.method == "GET" ? "get" : ""
            let first = failures.withLock { seen in
                seen[kind, default: 0] += 1
                return seen[kind] == 1
            }
            return first && !kind.isEmpty ? FakeAPI.googleError(503, state: "UNAVAILABLE", message: "try later") : nil
        }
        let workspace = try TestWorkspace()
        let client = batchClient(fake)
        let (created, _) = try await submit(client, in: workspace)
        #expect(try await pollUntilFinished(client, created.name).last?.state == .succeeded)
        #expect(fake.violations == [] && fake.creationCount == 1)
    }

    /// A results download cut short is fetched again whole; one that keeps failing leaves no partial file.
    @Test(arguments: TransportKind.allCases)
    func aCutShortDownloadIsFetchedAgainWholeOrLeavesNothing(_ kind: TransportKind) async throws {
        let fake = try GeminiBatchFake()
        let cuts = Locked(1)
        fake.injectFaults { request in
            guard request.path.hasSuffix(":download") else { return nil }
            let cut = cuts.withLock { left in
                left -= 1
                return left >= 0
            }
            return cut ? ServerReply(status: 200, body: Data(repeating: 0x7B, count: 4000), fault: .truncateBody(after: 100)) : nil
        }
        let workspace = try TestWorkspace()
        let client = batchClient(fake, kind)
        let (created, _) = try await submit(client, in: workspace)
        let done = try #require(try await pollUntilFinished(client, created.name).last)
        let results = workspace.url.appendingPathComponent("results.jsonl")
        _ = try await client.downloadResults(try #require(done.responsesFile), to: results)
        var keys: [String] = []
        try JSONLineReader(url: results).eachLine { keys.append(try JSONParser.parse($0)["key"]?.stringValue ?? "?") }
        #expect(keys == ["k1", "k2", "k3", "k4"])

        cuts.withLock { $0 = 100 }
        let lost = workspace.url.appendingPathComponent("lost.jsonl")
        await #expect(throws: ProviderFailure.self) { _ = try await client.downloadResults(try #require(done.responsesFile), to: lost) }
        #expect(!FileManager.default.fileExists(atPath: lost.path))
    }

    /// An upload URL on another origin gets no API key (the upload id in the URL is its authority).
    @Test(arguments: TransportKind.allCases)
    func theKeyNeverReachesAnUploadURLOnAnotherOrigin(_ kind: TransportKind) async throws {
        let fake = try GeminiBatchFake()
        let seen = Locked<[ReceivedRequest]>([])
        let other = try LoopbackServer { request in
            seen.withLock { $0.append(request) }
            return fake.handle(request)
        }
        defer { other.stop() }
        fake.uploadBaseURL = other.baseURL
        let workspace = try TestWorkspace()
        let client = batchClient(fake, kind)
        let (created, _) = try await submit(client, in: workspace)
        #expect(created.name.hasPrefix("batches/"))
        let received = seen.withLock { $0 }
        #expect(received.count == 1 && received.first?.query["upload_id"] != nil)
        #expect(received.allSatisfy { $0.headers["x-goog-api-key"] == nil && $0.headers["authorization"] == nil })
        #expect(!received.contains { String(decoding: $0.body, as: UTF8.self).contains(fake.key) })
    }
}
