import Foundation
import Testing

@testable import NanobatchCore

let chainedManifest = baseManifest(extra: #", "steps": [ { "id": "hero-night", "from": "hero", "prompt": "The same at night" } ]"#)

@Suite(.timeLimit(.minutes(5))) struct PipelineTests {
    func prepare(_ json: String = chainedManifest) throws -> (TestWorkspace, String) {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        return (workspace, try workspace.write("m.json", json))
    }

    func run(
        _ workspace: TestWorkspace, _ manifest: String, _ extra: [String] = [],
        override: (@Sendable (ProviderConfig) -> (any ImageProvider)?)? = nil
    ) async -> CLIResult {
        await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"] + extra, providerOverride: override)
    }

    func madeIDs(_ workspace: TestWorkspace) throws -> Set<String> {
        Set(statuses(try readIndex(workspace, manifest: "test")).filter { $0.value == "made" }.keys)
    }

    @Test func exampleManifestRunsThenEverythingIsCached() async throws {
        let workspace = try TestWorkspace()
        let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("manifests")
        let example = try String(contentsOf: manifests.appendingPathComponent("example.json"), encoding: .utf8)
            .replacingOccurrences(of: #""latencyMs": 150"#, with: #""latencyMs": 0"#)
        let path = try workspace.write("example.json", example)
        try workspace.write("refs/product.png", data: Data(contentsOf: manifests.appendingPathComponent("refs/product.png")))
        let first = await runCLI(["run", path, "--output", workspace.outputRoot.path])
        #expect(first.status == 0, "\(first.err)")
        let index = try readIndex(workspace, manifest: "example")
        let total = index.jobRows.count
        #expect(total == 16)
        #expect(index["totals"]?["made"]?.numberValue == Double(total))
        for row in index.jobRows {
            let file = workspace.outputRoot.appendingPathComponent("example").appendingPathComponent(row["file"]?.stringValue ?? "?")
            let info = ImageInspector.inspectFile(at: file.path)
            #expect(info?.width == Int(row["width"]?.numberValue ?? 0) && info?.height == Int(row["height"]?.numberValue ?? 0))
            for field in [
                "id", "key", "promptID", "prompt", "provider", "model", "aspectRatio", "imageSize", "references", "status",
                "file", "format", "width", "height", "estimatedCost", "actualCost", "attempts", "durationSeconds",
            ] {
                #expect(row[field] != nil, "index row lacks \(field)")
            }
        }
        let second = await runCLI(["run", path, "--output", workspace.outputRoot.path])
        #expect(second.status == 0)
        let again = try readIndex(workspace, manifest: "example")
        #expect(statuses(again).values.allSatisfy { $0 == "cached" })
        #expect(again["totals"]?["cached"]?.numberValue == Double(total))
    }

    @Test func changingOnePromptRemakesItsJobsAndTheirDependentsOnly() async throws {
        let (workspace, manifest) = try prepare()
        #expect(await run(workspace, manifest).status == 0)
        #expect(try madeIDs(workspace).count == 12)
        try workspace.write("m.json", chainedManifest.replacingOccurrences(of: "A red cube", with: "A blue cube"))
        #expect(await run(workspace, manifest).status == 0)
        let made = try madeIDs(workspace)
        #expect(made.count == 8)
        #expect(made.allSatisfy { $0.hasPrefix("hero/") || $0.hasPrefix("hero-night/") }, "\(made)")
        // Changing the step's prompt remakes only the step's jobs.
        try workspace.write(
            "m.json",
            chainedManifest.replacingOccurrences(of: "A red cube", with: "A blue cube")
                .replacingOccurrences(of: "The same at night", with: "The same in winter"))
        #expect(await run(workspace, manifest).status == 0)
        let stepOnly = try madeIDs(workspace)
        #expect(stepOnly.count == 4 && stepOnly.allSatisfy { $0.hasPrefix("hero-night/") }, "\(stepOnly)")
    }

    @Test func changingReferenceBytesRemakesExactlyTheJobsUsingIt() async throws {
        let (workspace, manifest) = try prepare()
        #expect(await run(workspace, manifest).status == 0)
        try workspace.write("refs/a.png", data: smallPNG(seed: "changed"))
        #expect(await run(workspace, manifest).status == 0)
        let made = try madeIDs(workspace)
        let index = try readIndex(workspace, manifest: "test")
        var expected = Set<String>()
        for row in index.jobRows {
            let id = row["id"]!.stringValue!
            let usesFile = row["references"]?.arrayValue?.contains(.string("refs/a.png")) ?? false
            let upstreamUses = row["upstream"]?.stringValue?.contains("refs2") ?? false
            if usesFile || upstreamUses { expected.insert(id) }
        }
        #expect(expected.count == 6)  // 4 prompt jobs with refs2, 2 chained jobs from them
        #expect(made == expected)
    }

    @Test func changingConcurrencyOrPricesRemakesNothing() async throws {
        let (workspace, manifest) = try prepare()
        #expect(await run(workspace, manifest).status == 0)
        let changed =
            chainedManifest
            .replacingOccurrences(of: #""concurrency": 4"#, with: #""concurrency": 1"#)
            .replacingOccurrences(of: #""steps""#, with: #""pricing": { "local:nano-banana-2": 0.5 }, "concurrency": 3, "steps""#)
        try workspace.write("m.json", changed)
        let result = await run(workspace, manifest, ["--concurrency", "2"])
        #expect(result.status == 0, "\(result.err)")
        #expect(try madeIDs(workspace).isEmpty)
    }

    @Test func planTotalEqualsSumOfPricesOfMadeJobs() async throws {
        let json = baseManifest(
            providers: #"{ "a": { "dialect": "offline" }, "b": { "dialect": "offline" } }"#,
            models: #"["a:nano-banana-2", "b:gemini-3-pro-image"]"#,
            extra:
                #", "pricing": { "a:nano-banana-2@0.5K": 0.045, "b:gemini-3-pro-image": 0.134 }, "steps": [ { "id": "edit", "from": "shelf", "prompt": "tilted" } ]"#
        )
        let (workspace, manifest) = try prepare(json)
        let plan = await runCLI(["plan", manifest, "--output", workspace.outputRoot.path, "--json"])
        #expect(plan.status == 0, "\(plan.err)")
        let summary = try JSONParser.parse(plan.out)
        #expect(summary["jobs"]?.numberValue == 24)
        #expect(summary["toMake"]?.numberValue == 24, "every job that will be sent, the blocked ones included")
        #expect(summary["blockedByUpstream"]?.numberValue == 8)
        #expect(summary["cached"]?.numberValue == 0)
        #expect(summary["unknownPriceJobs"]?.numberValue == 0)
        #expect(summary["rows"]?.arrayValue?.count == 24)
        let planned = summary["estimatedCost"]?.numberValue ?? -1
        #expect(await run(workspace, manifest).status == 0)
        let index = try readIndex(workspace, manifest: "test")
        let sumOfMade = index.jobRows.filter { $0["status"]?.stringValue == "made" }.compactMap { $0["estimatedCost"]?.numberValue }.reduce(
            0, +)
        #expect(abs(planned - sumOfMade) < 1e-9)
        #expect(abs(planned - (12 * 0.045 + 12 * 0.134)) < 1e-9)
        // Once everything is cached, the plan costs nothing.
        let replan = try JSONParser.parse(await runCLI(["plan", manifest, "--output", workspace.outputRoot.path, "--json"]).out)
        #expect(replan["estimatedCost"]?.numberValue == 0)
        #expect(replan["cached"]?.numberValue == 24)
    }

    @Test func unknownPriceIsUnknownNeverZero() async throws {
        let json = baseManifest(
            providers: #"{ "gw": { "dialect": "openai-images", "baseURL": "https://gw.example", "apiKeyEnv": "GW_KEY" } }"#,
            models: #"["gw:nano-banana"]"#, references: "[[]]"
        ).replacingOccurrences(of: #""imageSize": "0.5K""#, with: #""variants": 1"#)  // nano-banana makes one fixed size
        let (workspace, manifest) = try prepare(json)
        let plan = await runCLI(["plan", manifest, "--output", workspace.outputRoot.path])
        #expect(plan.out.contains("unknown"))
        #expect(plan.out.contains("4 jobs of unknown price"))
        let jsonPlan = try JSONParser.parse(await runCLI(["plan", manifest, "--output", workspace.outputRoot.path, "--json"]).out)
        #expect(jsonPlan["unknownPriceJobs"]?.numberValue == 4)
    }

    @Test func concurrencyBoundsAreNeverExceeded() async throws {
        let json = baseManifest(
            providers: #"{ "a": { "dialect": "offline", "concurrency": 2 }, "b": { "dialect": "offline", "concurrency": 6 } }"#,
            models: #"["a:nano-banana-2", "b:nano-banana-pro"]"#, references: "[[]]",
            extra: #", "concurrency": 5"#, matrixExtra: #", "variants": 6"#)
        let (workspace, manifest) = try prepare(json)
        let probe = ConcurrencyProbe()
        let result = await run(
            workspace, manifest,
            override: { config in
                ProbedProvider(inner: OfflineProvider(latency: .milliseconds(80)), probe: probe, name: config.name)
            })
        #expect(result.status == 0, "\(result.err)")
        #expect(probe.callCount == 48)
        #expect(probe.peak(for: "a") <= 2)
        #expect(probe.totalPeak <= 5)
        // The limits are reached, so the counts above measure a real bound.
        #expect(probe.peak(for: "a") == 2)
        #expect(probe.totalPeak == 5)
    }

    @Test func aFailedJobSkipsOnlyItsDependents() async throws {
        let (workspace, manifest) = try prepare()
        let result = await run(
            workspace, manifest,
            override: { _ in
                FailingProvider(inner: OfflineProvider(), marker: "red cube")
            })
        #expect(result.status == 1)
        let all = statuses(try readIndex(workspace, manifest: "test"))
        #expect(all.filter { $0.key.hasPrefix("hero/") }.values.allSatisfy { $0 == "failed" })
        #expect(all.filter { $0.key.hasPrefix("hero-night/") }.values.allSatisfy { $0 == "skipped" })
        #expect(all.filter { $0.key.hasPrefix("shelf/") }.values.allSatisfy { $0 == "made" })
        let row = try readIndex(workspace, manifest: "test").jobRows.first { $0["status"]?.stringValue == "failed" }
        #expect(row?["error"]?.stringValue?.contains("content_policy_violation") == true)
        #expect(row?["httpStatus"]?.numberValue == 400)
        #expect(result.err.contains("failed hero/"))
        // The next run makes just what failed before.
        #expect(await run(workspace, manifest).status == 0)
        #expect(try madeIDs(workspace).count == 8)
    }

    @Test func aCorruptStoreEntryIsMadeAgainNeverServed() async throws {
        let (workspace, manifest) = try prepare()
        #expect(await run(workspace, manifest).status == 0)
        let index = try readIndex(workspace, manifest: "test")
        let victim = index.jobRows[0]
        let blob = workspace.outputRoot.appendingPathComponent(victim["storePath"]!.stringValue!)
        let bytes = try Data(contentsOf: blob)
        try bytes.prefix(bytes.count / 2).write(to: blob)
        #expect(await run(workspace, manifest).status == 0)
        let made = try madeIDs(workspace)
        #expect(made.contains(victim["id"]!.stringValue!))
        #expect(ImageInspector.inspectFile(at: blob.path) != nil)
    }

    @Test func identicalRequestsAreMadeOnce() async throws {
        let json = baseManifest(
            prompts: #"[ { "id": "one", "text": "Same words" }, { "id": "two", "text": "Same words" } ]"#,
            references: "[[]]")
        let (workspace, manifest) = try prepare(json)
        let probe = ConcurrencyProbe()
        let result = await run(
            workspace, manifest,
            override: { config in
                ProbedProvider(inner: OfflineProvider(), probe: probe, name: config.name)
            })
        #expect(result.status == 0)
        #expect(probe.callCount == 2)
        let all = statuses(try readIndex(workspace, manifest: "test"))
        #expect(all.values.filter { $0 == "made" }.count == 2)
        #expect(all.values.filter { $0 == "cached" }.count == 2)
        #expect(
            FileManager.default.fileExists(
                atPath: workspace.outputRoot.appendingPathComponent("test/two/local-nano-banana-2_1x1_0.5K_v1.png").path))
    }

    @Test func twoManifestsShareOneStoreEntry() async throws {
        let (workspace, manifest) = try prepare(baseManifest(references: "[[]]"))
        #expect(await run(workspace, manifest).status == 0)
        let other = try workspace.write(
            "other.json", baseManifest(references: "[[]]").replacingOccurrences(of: #""name": "test""#, with: #""name": "other""#))
        #expect(await run(workspace, other).status == 0)
        let index = try readIndex(workspace, manifest: "other")
        #expect(statuses(index).values.allSatisfy { $0 == "cached" })
    }

    @Test func budgetRefusesToStart() async throws {
        let json = baseManifest(extra: #", "pricing": { "local:nano-banana-2": 1 }, "budget": { "maxCost": 2 }"#)
        let (workspace, manifest) = try prepare(json)
        let plan = await runCLI(["plan", manifest, "--output", workspace.outputRoot.path])
        #expect(plan.status == 3)
        #expect(plan.out.contains("the estimate exceeds it"))
        let result = await run(workspace, manifest)
        #expect(result.status == 3)
        #expect(result.err.contains("exceeds the budget"))
        #expect(!FileManager.default.fileExists(atPath: workspace.outputRoot.appendingPathComponent("test/index.json").path))
        #expect(await run(workspace, manifest, ["--max-cost", "100"]).status == 0)
    }

    @Test func stopSignalEndsTheRunWithFinishedWorkKept() async throws {
        let (workspace, manifest) = try prepare(baseManifest(references: "[[]]", matrixExtra: #", "variants": 10"#))
        let stop = StopSignal()
        let result = await runCLI(
            ["run", manifest, "--output", workspace.outputRoot.path, "--quiet", "--concurrency", "2"], stop: stop,
            providerOverride: { _ in StoppingProvider(stop: stop, after: 3) })
        #expect(result.status == 130)
        let all = statuses(try readIndex(workspace, manifest: "test"))
        let made = all.values.filter { $0 == "made" }.count
        #expect(made >= 3 && made < 40)
        #expect(all.values.filter { $0 == "skipped" }.count == 40 - made)
        #expect(await run(workspace, manifest).status == 0)
        #expect(try madeIDs(workspace).count == 40 - made)
    }
}

/// Requests a stop once `after` images were made, as Ctrl-C would.
final class StoppingProvider: ImageProvider, @unchecked Sendable {
    let stop: StopSignal
    let after: Int
    private let lock = NSLock()
    private var count = 0

    init(stop: StopSignal, after: Int) {
        self.stop = stop
        self.after = after
    }

    func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        let receipt = try await OfflineProvider().generate(request)
        let reached = lock.withLock { () -> Bool in
            count += 1
            return count >= after
        }
        if reached { stop.requestStop("interrupted (test)") }
        return receipt
    }
}
