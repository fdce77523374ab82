import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// A manifest whose gemini provider runs in batch mode against `fake` (polls every 20 ms).
func batchManifest(
    _ fake: GeminiBatchFake, prompts: [(String, String)] = [("hero", "A red cube"), ("shelf", "A row of cubes")],
    ratios: [String] = ["16:9", "1:1"], steps: String = "", extra: String = ""
) -> String {
    let promptList = prompts.map { #"{ "id": "\#($0.0)", "text": \#(JSONValue.string($0.1).serialized()) }"# }.joined(separator: ", ")
    let ratioList = ratios.map { "\"\($0)\"" }.joined(separator: ", ")
    return """
        {
          "version": 1,
          "name": "batch-test",
          "providers": { "api": { "dialect": "gemini", "baseURL": "\(fake.baseURL)", "apiKeyEnv": "NB_TEST_KEY",
                                  "mode": "batch", "pollSeconds": 0.02, "concurrency": 2 } },
          "matrix": { "prompts": [\(promptList)], "aspectRatios": [\(ratioList)], "models": ["api:gemini-3-pro-image"],
                      "references": [[]], "imageSize": "1K" }\(steps.isEmpty ? "" : #", "steps": [\#(steps)]"#)\(extra)
        }
        """
}

/// `run` with a `"mode": "batch"` provider, against the loopback Batch API fake: one batch per
/// round of ready jobs, results streamed into the store, the journal's promises across runs.
@Suite(.timeLimit(.minutes(1))) struct BatchRunTests {
    func run(_ fake: GeminiBatchFake, _ manifest: String, in workspace: TestWorkspace, _ extra: [String] = []) async throws -> CLIResult {
        let path = try workspace.write("batch-test.json", manifest)
        return await runCLI(
            ["run", path, "--output", workspace.outputRoot.path, "--quiet"] + extra, environment: ["NB_TEST_KEY": fake.key])
    }

    func statuses(_ index: JSONValue) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (index["jobs"]?.arrayValue ?? []).map { ($0["id"]!.stringValue!, $0["status"]!.stringValue!) })
    }

    @Test func everyReadyJobGoesInOneBatchAndIsStoredAtTheBatchPrice() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        let result = try await run(fake, batchManifest(fake), in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.creationCount == 1)
        #expect(fake.batchKeys.first?.count == 4)
        #expect(fake.violations.isEmpty, "\(fake.violations)")
        let index = try readIndex(workspace, manifest: "batch-test")
        #expect(statuses(index).values.allSatisfy { $0 == "made" } && statuses(index).count == 4)
        // 1,000 input and 1,300 output tokens of gemini-3-pro-image, at half price.
        let line = GeminiBatchTranslator.batchCost(
            usage: [
                "promptTokenCount": 1000, "candidatesTokenCount": 1300,
                "candidatesTokensDetails": [["modality": "TEXT", "tokenCount": 10], ["modality": "IMAGE", "tokenCount": 1290]],
            ],
            model: "gemini-3-pro-image")
        let costs = (index["jobs"]?.arrayValue ?? []).compactMap { $0["actualCost"]?.numberValue }
        #expect(costs.count == 4 && costs.allSatisfy { abs($0 - (line ?? -1)) < 1e-9 }, "\(costs)")
        for row in index["jobs"]?.arrayValue ?? [] {
            let file = workspace.outputRoot.appendingPathComponent("batch-test/\(row["file"]?.stringValue ?? "?")")
            #expect(ImageInspector.inspectFile(at: file.path) != nil, "\(file.path)")
        }
        // Nothing is left open: a second run sends nothing at all.
        let requestsBefore = fake.requests.count
        let again = try await run(fake, batchManifest(fake), in: workspace)
        #expect(again.status == 0, "\(again.err)")
        #expect(fake.requests.count == requestsBefore)
    }

    @Test func aChainedStepGoesInALaterBatchThanItsSource() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        let steps = #"{ "id": "night", "from": "hero", "prompt": "The same at night", "aspectRatios": ["1:1"] }"#
        let result = try await run(fake, batchManifest(fake, ratios: ["1:1"], steps: steps), in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.batchKeys.map(\.count) == [2, 1], "\(fake.batchKeys)")
        #expect(statuses(try readIndex(workspace, manifest: "batch-test")).values.allSatisfy { $0 == "made" })
        #expect(fake.violations.isEmpty, "\(fake.violations)")
    }

    @Test func noWaitHandsBackPendingJobsAndALaterRunCollectsThemWithoutANewBatch() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.pollsPending = 2
        let first = try await run(fake, batchManifest(fake), in: workspace, ["--no-wait"])
        #expect(first.status == ExitCode.pending.rawValue, "\(first.err)")
        #expect(first.err.contains("4 jobs pending in batches/"), "\(first.err)")
        let index = try readIndex(workspace, manifest: "batch-test")
        #expect(statuses(index).values.allSatisfy { $0 == "pending" })
        let row = try #require(index["jobs"]?.arrayValue?.first)
        #expect(row["batch"]?.stringValue == fake.batchNames.first && row["batchState"]?.stringValue == "BATCH_STATE_PENDING")
        #expect(index["totals"]?["pending"]?.numberValue == 4)

        let second = try await run(fake, batchManifest(fake), in: workspace)
        #expect(second.status == 0, "\(second.err)")
        #expect(fake.creationCount == 1, "the later run created another batch")
        let collected = try readIndex(workspace, manifest: "batch-test")
        #expect(statuses(collected).values.allSatisfy { $0 == "made" })
        #expect(collected["totals"]?["resumedTasks"]?.numberValue == 4)
    }

    @Test func aWaitingRunOutlivesAFewFailedPollsButNotEndlessOnes() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.pollsPending = 2
        let manifest = batchManifest(fake).replacingOccurrences(
            of: #""concurrency": 2 }"#, with: #""concurrency": 2, "retry": { "initialDelaySeconds": 0.01, "maxAttempts": 2 } }"#)
        // An outage: the first three polls fail, each after the client's own retry.
        let failing = Locked(6)
        fake.injectFaults { request in
            guard request.method == "GET", request.path.contains("/batches/") else { return nil }
            return failing.withLock { left in
                guard left > 0 else { return nil }
                left -= 1
                return .json(#"{"error":{"code":503,"message":"unavailable","status":"UNAVAILABLE"}}"#, status: 503)
            }
        }
        let outage = try await run(fake, manifest, in: workspace)
        #expect(outage.status == 0, "\(outage.err)")
        #expect(fake.creationCount == 1)
        #expect(statuses(try readIndex(workspace, manifest: "batch-test")).values.allSatisfy { $0 == "made" })

        // Polls that never come back: the run gives up, and the journal keeps the batch.
        let other = try TestWorkspace()
        failing.withLock { $0 = 1000 }
        let down = try await run(fake, manifest, in: other)
        #expect(down.status == ExitCode.jobsFailed.rawValue, "\(down.err)")
        #expect(down.err.contains("cannot poll") && down.err.contains("the journal keeps it"), "\(down.err)")
        #expect(fake.creationCount == 2)
    }

    @Test func aFailedLineFailsOnlyItsJobAndTheRerunBatchesOnlyThatJob() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        let manifest = batchManifest(fake, prompts: [("hero", "A red cube"), ("bad", "A cube [line-error]")], ratios: ["1:1"])
        let first = try await run(fake, manifest, in: workspace)
        #expect(first.status == ExitCode.jobsFailed.rawValue, "\(first.err)")
        let states = statuses(try readIndex(workspace, manifest: "batch-test"))
        #expect(states.values.sorted() == ["failed", "made"], "\(states)")
        let again = try await run(fake, manifest, in: workspace)
        #expect(again.status == ExitCode.jobsFailed.rawValue)
        #expect(fake.batchKeys.map(\.count) == [2, 1], "only the failed job goes in the second batch: \(fake.batchKeys)")
    }

    @Test func anExpiredBatchIsSubmittedAgainForItsJobs() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.batchesToExpire = 1
        let result = try await run(fake, batchManifest(fake), in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.batchKeys.map(\.count) == [4, 4])
        let index = try readIndex(workspace, manifest: "batch-test")
        let notes = (index["jobs"]?.arrayValue ?? []).flatMap { $0["notes"]?.arrayValue ?? [] }.compactMap(\.stringValue)
        #expect(notes.contains { $0.contains("expired without results: submitted in a new batch") }, "\(notes)")
    }

    @Test func aBatchThatExpiresTwiceInOneRunFailsItsJobsInsteadOfLooping() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.expiresBatches = true
        let result = try await run(fake, batchManifest(fake, prompts: [("hero", "A red cube")], ratios: ["1:1"]), in: workspace)
        #expect(result.status == ExitCode.jobsFailed.rawValue, "\(result.err)")
        #expect(fake.creationCount == 2)
        let index = try readIndex(workspace, manifest: "batch-test")
        #expect(index.serialized().contains("expired again without results"), "\(index.serialized())")
    }

    @Test func aFailedBatchFailsItsJobsWithItsReason() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.failsBatchesWith = "enqueued token quota exceeded"
        let result = try await run(fake, batchManifest(fake), in: workspace)
        #expect(result.status == ExitCode.jobsFailed.rawValue)
        let index = try readIndex(workspace, manifest: "batch-test")
        let errors = (index["jobs"]?.arrayValue ?? []).compactMap { $0["error"]?.stringValue }
        #expect(errors.count == 4 && errors.allSatisfy { $0.contains("enqueued token quota exceeded") }, "\(errors)")
    }

    @Test func aCreateWhoseAnswerIsLostIsAdoptedByItsDisplayNameNotSentAgain() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.dropsCreateAnswers = 1
        let result = try await run(fake, batchManifest(fake), in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.creationCount == 1)
        #expect(statuses(try readIndex(workspace, manifest: "batch-test")).values.allSatisfy { $0 == "made" })
    }

    @Test func aCreateAnsweredWithAServerErrorIsNotSentAgainButFoundByItsName() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.failsCreatesAfterMaking = 1
        let result = try await run(fake, batchManifest(fake), in: workspace)
        #expect(result.status == 0, "\(result.err)")
        #expect(fake.creationCount == 1, "a 503 after the batch was made led to a second batch")
        #expect(statuses(try readIndex(workspace, manifest: "batch-test")).values.allSatisfy { $0 == "made" })
    }

    @Test func aJobSwitchedOutOfBatchModeWhileItsBatchRunsIsNotPaidAgain() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.pollsPending = 5
        let pending = try await run(fake, batchManifest(fake), in: workspace, ["--no-wait"])
        #expect(pending.status == ExitCode.pending.rawValue, "\(pending.err)")
        let sync = batchManifest(fake).replacingOccurrences(of: #""mode": "batch", "pollSeconds": 0.02, "#, with: "")
        #expect(!sync.contains("batch\""))
        let requests = fake.requests.count
        let switched = try await run(fake, sync, in: workspace)
        #expect(switched.status == ExitCode.jobsFailed.rawValue, "\(switched.err)")
        #expect(fake.requests.count == requests, "a request went out")
        let errors = (try readIndex(workspace, manifest: "batch-test")["jobs"]?.arrayValue ?? []).compactMap { $0["error"]?.stringValue }
        #expect(errors.count == 4 && errors.allSatisfy { $0.contains("is still open") }, "\(errors)")
    }

    @Test func aCancellingBatchIsStillRunningAndAnUnknownStateMayStillBeAdopted() {
        #expect(GeminiBatchState(wire: "BATCH_STATE_CANCELLING") == .running)
        #expect(GeminiBatchState.unknown.isAdoptable && !GeminiBatchState.expired.isAdoptable)
    }

    @Test func theBudgetCountsPendingJobsAtTheBatchEstimate() async throws {
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        fake.pollsPending = 3
        let manifest = batchManifest(fake, extra: #", "budget": { "maxCost": 1 }"#)
        let result = try await run(fake, manifest, in: workspace, ["--no-wait"])
        #expect(result.status == ExitCode.pending.rawValue, "\(result.err)")
        let index = try readIndex(workspace, manifest: "batch-test")
        // 4 jobs × $0.134 × 0.5.
        #expect(abs((index["budgetSpent"]?.numberValue ?? 0) - 0.268) < 1e-9, "\(index["budgetSpent"] as Any)")
    }
}
