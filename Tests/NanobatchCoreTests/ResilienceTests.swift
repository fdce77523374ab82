import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// Every file under the output root (the journal included), and the given texts, searched for
/// `secret` in every form it could leak in (see `SecretForms`).
func filesAndTextsMentioning(_ secret: String, under workspace: TestWorkspace, texts: [String] = []) -> [String] {
    let forms = SecretForms(secret)
    var found: [String] = []
    for file in workspace.filesUnderOutput() {
        let data = (try? Data(contentsOf: workspace.outputRoot.appendingPathComponent(file))) ?? Data()
        if let form = forms.found(in: String(decoding: data, as: UTF8.self)) { found.append("\(file) (\(form))") }
    }
    for (number, text) in texts.enumerated() {
        if let form = forms.found(in: text) { found.append("printed text #\(number) (\(form))") }
    }
    return found
}

/// Every blob in the store is a whole image of its recorded size.
func storeIsClean(_ workspace: TestWorkspace) -> [String] {
    let store = workspace.outputRoot.appendingPathComponent(".nanobatch/store")
    var problems: [String] = []
    for folder in (try? FileManager.default.contentsOfDirectory(atPath: store.path)) ?? [] {
        let path = store.appendingPathComponent(folder).path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where !name.hasSuffix(".meta") {
            if ImageInspector.inspectFile(at: "\(path)/\(name)") == nil { problems.append(name) }
        }
    }
    return problems
}

@Suite(.timeLimit(.minutes(5))) struct FaultInjectionTests {
    /// 500 jobs through the image-tasks dialect with 10 % 429s, 5 % 5xx, 2 % connection resets,
    /// 2 % truncated downloads, and 3 % of tasks failing.
    @Test func fiveHundredJobsUnderFaults() async throws {
        let fake = try DialectFakes.imageTasks()
        fake.pollsBeforeDone = 1
        let plan = FaultPlan(seed: 20_261_121)
        fake.injectFaults { fake, request in plan.reply(fake, request) }
        let workspace = try TestWorkspace()
        let prompts = (0..<500).map { number in
            ("p\(number)", number % 33 == 7 ? "Scene \(number) [fail:generation_failed]" : "Scene \(number)")
        }
        let failing = Set(prompts.filter { $0.1.contains("[fail:") }.map(\.0))
        #expect(failing.count == 15)
        let manifest = apiManifest(
            dialect: "image-tasks", fake: fake, models: ["NanoBanana"], prompts: prompts,
            providerExtra: #", "concurrency": 16, "retry": { "initialDelaySeconds": 0.005, "maximumDelaySeconds": 0.05 }"#,
            extra: #", "concurrency": 16"#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 1, "\(result.err)")
        let injected = plan.injected
        #expect(
            (injected["429"] ?? 0) > 50 && (injected["5xx"] ?? 0) > 20 && (injected["connection reset"] ?? 0) > 5
                && (injected["truncated download"] ?? 0) > 3, "\(injected)")

        let index = try readIndex(workspace, manifest: "api-test")
        var failedIDs: Set<String> = []
        for row in index.jobRows {
            let id = row["id"]?.stringValue ?? ""
            let promptID = row["promptID"]?.stringValue ?? ""
            if failing.contains(promptID) {
                #expect(row["status"]?.stringValue == "failed")
                #expect(
                    row["error"]?.stringValue?.contains("failed") == true && row["providerCode"]?.stringValue == "generation_failed",
                    "\(row.serialized())")
                failedIDs.insert(id)
            } else {
                #expect(row["status"]?.stringValue == "made", "\(row.serialized())")
            }
        }
        #expect(failedIDs.count == 15)
        #expect(storeIsClean(workspace) == [])
        // Every create that reached the fake is counted as a possibly paid submission.
        let creates = fake.requests.filter { $0.method == "POST" }.count
        #expect(index["totals"]?["attempts"]?.numberValue == Double(creates))
        #expect(creates >= 500)
        // Random 429s are noise, not a limit: at most a rare run of them cuts the rate.
        #expect(
            (index["rateLimitCuts"]?["api"]?.numberValue ?? 0) <= 1,
            "random 429s cut the rate: \(index["rateLimitCuts"]?.serialized() ?? "")")
        #expect(filesAndTextsMentioning(fake.key, under: workspace, texts: [result.out, result.err]) == [])
        #expect(fake.violations == [])
    }
}

@Suite(.timeLimit(.minutes(5))) struct ResumeTests {
    func asyncManifest(_ fake: FakeAPI, prompts: [(String, String)], deadline: Double = 20, concurrency: Int = 4) -> String {
        apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], prompts: prompts,
            providerExtra: #", "concurrency": \#(concurrency), "retry": { "initialDelaySeconds": 0.01 }"#
        )
        .replacingOccurrences(of: #""deadlineSeconds": 20"#, with: #""deadlineSeconds": \#(deadline)"#)
    }

    @Test func anInterruptedTaskIsPolledAgainNotCreatedAgain() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        let manifest = asyncManifest(fake, prompts: [("slow", "A slow sunrise [stuck]")])
        // The first run is cancelled (a second Ctrl-C) while its task is being polled.
        let first = Task { try await runAgainst(fake, manifest, in: workspace) }
        while !fake.requests.contains(where: { $0.path.hasSuffix("/gemini/task/result") }) { try await Task.sleep(for: .milliseconds(5)) }
        first.cancel()
        #expect(try await first.value.status == 130)
        #expect(fake.createdTasks.count == 1)

        fake.releaseStuckTasks()
        let second = try await runAgainst(fake, manifest, in: workspace)
        #expect(second.status == 0, "\(second.err)")
        #expect(second.err.contains("resumed 1 task"), "\(second.err)")
        #expect(fake.createdTasks.count == 1, "the task was created again")
        let index = try readIndex(workspace, manifest: "api-test")
        let slow = index.jobRows.first
        #expect(slow?["status"]?.stringValue == "made")
        #expect(slow?["resumedTask"]?.stringValue == fake.createdTasks.first?.id)
        #expect(slow?["attempts"]?.numberValue == 0, "polling a journaled task sends no paid request")
        #expect(index["totals"]?["resumedTasks"]?.numberValue == 1)
    }

    @Test func aTaskThatOutlivedItsDeadlineStaysJournaled() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        // Long enough for the create to answer while the whole suite loads the machine; the task never ends.
        let manifest = asyncManifest(fake, prompts: [("slow", "A slow sunrise [stuck]")], deadline: 2)
        let first = try await runAgainst(fake, manifest, in: workspace)
        #expect(first.status == 1)
        #expect(
            first.err.contains("did not finish before the job's deadline") && first.err.contains("a rerun polls it again"), "\(first.err)")
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        let key = try #require(try readIndex(workspace, manifest: "api-test").jobRows.first?["key"]?.stringValue)
        #expect(journal.openTask(for: key, provider: "api")?.taskID == fake.createdTasks.first?.id)
    }

    @Test func aJournaledTaskTheProviderDoesNotKnowIsCreatedAgain() async throws {
        let fake = try DialectFakes.mountsea()
        let workspace = try TestWorkspace()
        let manifest = asyncManifest(fake, prompts: [("hero", "A red cube")])
        let path = try workspace.write("api-test.json", manifest)
        let store = ContentStore(root: workspace.outputRoot)
        let plan = try PlanEvaluator.evaluate(Planner.expand(try ManifestLoader.load(path: path)), store: store)
        let key = try #require(plan.states[0].key)
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        await journal.taskCreated(key: key, provider: "api", job: plan.graph.jobs[0].id, taskID: "task-from-another-life")

        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect(result.status == 0, "\(result.err)")
        let row = try readIndex(workspace, manifest: "api-test").jobRows.first
        #expect(row?["status"]?.stringValue == "made")
        #expect(row?["notes"]?.serialized().contains("unknown to the provider; submitted again") == true, "\(row?.serialized() ?? "")")
        #expect(fake.createdTasks.count == 1)
        // The fake flags a poll for an unknown task; here it was expected.
        #expect(fake.violations.allSatisfy { $0.contains("unknown task") })
    }

    @Test func aSynchronousRequestLostInFlightIsReportedAsPossiblyPaid() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        // The first job's create dies after the request was sent (and is not sent again).
        fake.script("/v1/images/generations", [ServerReply(fault: .closeWithoutAnswer)])
        let manifest = apiManifest(
            dialect: "openai-images", fake: fake, models: ["nano-banana"],
            providerExtra: #", "concurrency": 1, "retry": { "initialDelaySeconds": 0.01 }"#)
        let first = try await runAgainst(fake, manifest, in: workspace)
        #expect(first.status == 1)
        let second = try await runAgainst(fake, manifest, in: workspace)
        #expect(second.status == 0, "\(second.err)")
        #expect(second.err.contains("1 submission of an earlier run ended without a result and may have been paid"), "\(second.err)")
        let index = try readIndex(workspace, manifest: "api-test")
        #expect(index["totals"]?["unresolvedSubmissions"]?.numberValue == 1)
        #expect(index["unresolvedSubmissions"]?.arrayValue?.first?["job"]?.stringValue == index.jobRows.first?["id"]?.stringValue)
        // Reported once: a third run has nothing unresolved.
        let third = try await runAgainst(fake, manifest, in: workspace)
        #expect(third.status == 0)
        #expect(!third.err.contains("may have been paid"))
    }

    /// SIGKILL of the real executable at random points of an async run, 10 times, each followed by
    /// a rerun; then a last run finishes. A job whose task id reached the journal is never created again.
    @Test func tenKillsOfAnAsyncRunNeverCreateAJournaledTaskTwice() async throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let fake = try DialectFakes.mountsea()
        fake.pollsBeforeDone = 3
        let workspace = try TestWorkspace()
        let prompts = (0..<36).map { ("p\($0)", "Harbour at dawn, view \($0)") }
        let manifest = apiManifest(
            dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], prompts: prompts,
            providerExtra: #", "concurrency": 3, "retry": { "initialDelaySeconds": 0.01 }"#
        )
        .replacingOccurrences(of: #""pollSeconds": 0.01"#, with: #""pollSeconds": 0.08"#)
        let path = try workspace.write("api-test.json", manifest)
        let journalPath = workspace.outputRoot.appendingPathComponent(".nanobatch/journal").path
        var journaled: [String: Set<String>] = [:]  // job id → task ids seen in the journal
        var random = SeededRandom(seed: 7)

        for round in 0..<10 {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["run", path, "--output", workspace.outputRoot.path, "--quiet"]
            process.environment = ["NB_TEST_KEY": fake.key, "PATH": "/usr/bin:/bin"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let delay = Double.random(in: 0.15...0.6, using: &random)
            await killAfter(delay, process)
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): the run ended before the kill")
            for record in SubmissionJournal.read(journalPath).records where record.event == "task" {
                journaled[record.job, default: []].insert(record.taskID)
            }
        }
        let last = try await runAgainst(fake, manifest, in: workspace)
        #expect(last.status == 0, "\(last.err)")
        let index = try readIndex(workspace, manifest: "api-test")
        #expect(Set(statuses(index).values).isSubset(of: ["made", "cached"]))
        #expect(statuses(index).count == 36)
        #expect(storeIsClean(workspace) == [])

        let jobsByPrompt = Dictionary(
            uniqueKeysWithValues: index.jobRows.compactMap { row -> (String, String)? in
                guard let prompt = row["prompt"]?.stringValue, let id = row["id"]?.stringValue else { return nil }
                return (prompt, id)
            })
        let created = fake.createdTasks
        var resumedSomething = false
        for (prompt, job) in jobsByPrompt {
            let order = created.filter { $0.prompt == prompt }.map(\.id)
            guard let ids = journaled[job], let firstJournaled = order.firstIndex(where: ids.contains) else { continue }
            resumedSomething = true
            #expect(
                firstJournaled == order.count - 1,
                "\(job): task \(order[firstJournaled]) was journaled, yet \(order.count - 1 - firstJournaled) more were created")
        }
        #expect(resumedSomething, "no kill landed while a task was journaled")
        #expect(filesAndTextsMentioning(fake.key, under: workspace, texts: [last.err]) == [])
    }

    func killAfter(_ seconds: Double, _ process: Process) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                usleep(UInt32(seconds * 1_000_000))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                done.resume()
            }
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct BudgetWhileRunningTests {
    @Test func noJobStartsThatWouldPushSpentPlusInFlightOverTheBudget() async throws {
        let workspace = try TestWorkspace()
        let providers = #"{ "local": { "dialect": "offline", "concurrency": 3, "latencyMs": 20 } }"#
        let json = baseManifest(providers: providers, references: "[[]]", matrixExtra: #", "variants": 10"#)
            .replacingOccurrences(of: #""version": 1,"#, with: #""version": 1, "pricing": { "local:nano-banana-2": 0.10 },"#)
        let path = try workspace.write("m.json", json)
        let manifest = try ManifestLoader.load(path: path)
        let store = ContentStore(root: workspace.outputRoot)
        let plan = try PlanEvaluator.evaluate(Planner.expand(manifest), store: store)
        let toMake = plan.graph.jobs.count
        #expect(toMake > 5)
        #expect(plan.graph.jobs.allSatisfy { $0.unitPrice == 0.10 })
        let charging = ChargingProvider(inner: OfflineProvider(latency: .milliseconds(20)), charge: 0.10)
        let runner = Runner(
            plan: plan, store: store, lanes: [ProviderLane(name: "local", provider: charging, concurrency: 3)],
            layout: OutputLayout(root: workspace.outputRoot), manifestName: "test", limits: RunLimits(concurrency: 3, maxCost: 0.45))
        let outcomes = await runner.run()
        let made = outcomes.filter { $0.status == .made }.count
        #expect(made == 4, "4 × $0.10 fit in $0.45; a fifth would not")
        let budgetSkips = outcomes.filter(\.skippedForBudget)
        #expect(budgetSkips.count == toMake - 4)
        #expect(budgetSkips.allSatisfy { $0.error?.contains("skipped for budget") == true })
    }
}

/// Reports a fixed charge in USD for every image, as a paid provider would.
struct ChargingProvider: ImageProvider {
    let inner: any ImageProvider
    let charge: Double

    func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        var receipt = try await inner.generate(request)
        receipt.actualCost = charge
        return receipt
    }
}
