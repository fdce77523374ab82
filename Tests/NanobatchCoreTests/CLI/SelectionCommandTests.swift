import Foundation
import Testing

@testable import NanobatchCore

/// `run`, `plan` and `explain` with selectors and `--shard`, through the real executable where
/// processes matter (separate output roots, the engine's environment) and in process otherwise.
@Suite(.timeLimit(.minutes(1))) struct SelectionCommandTests {
    static func workspace(maxCost: Double? = nil) throws -> (TestWorkspace, String) {
        let workspace = try TestWorkspace()
        return (workspace, try workspace.write("demo.json", SelectionFixture.manifest(maxCost: maxCost)))
    }

    static func index(at root: URL) throws -> JSONValue {
        try JSONParser.parse(try Data(contentsOf: root.appendingPathComponent("demo/index.json")))
    }

    static func rows(_ index: JSONValue, status: String) -> [String] {
        index.jobRows.filter { $0["status"]?.stringValue == status }.compactMap { $0["id"]?.stringValue }
    }

    /// The environment of this process without the variables `--shard auto` reads.
    static func cleanEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["JOB_COMPLETION_INDEX", "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT"] { environment[name] = nil }
        return environment.merging(extra) { $1 }
    }

    @Test func runningOnePromptMakesOnlyItsJobsAndTheIndexStillListsEveryJob() throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let (workspace, _) = try Self.workspace()
        let result = try runExecutable(executable, ["run", "demo.json", "hero", "--quiet"], in: workspace.url)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("selected: hero — 8 of 40 jobs"), "\(result.output)")
        #expect(result.output.contains("8 made, 0 cached, 0 failed, 0 skipped, 32 not selected"), "\(result.output)")
        let index = try Self.index(at: workspace.outputRoot)
        #expect(index.jobRows.count == SelectionFixture.jobCount)
        #expect(Set(Self.rows(index, status: "made")) == Set(Self.rows(index, status: "made").filter { $0.hasPrefix("hero/") }))
        #expect(Self.rows(index, status: "made").count == 8)
        #expect(Self.rows(index, status: "not-selected").count == 32)
        #expect(index["totals"]?["notSelected"]?.numberValue == 32)
        #expect(index["selectors"]?.arrayValue?.compactMap(\.stringValue) == ["hero"])
        #expect(workspace.storedImages().count == 8)

        // The edit step needs hero's images: they come from the cache, the edits are made.
        let edits = try runExecutable(executable, ["run", "demo.json", "hero-edit", "--quiet"], in: workspace.url)
        #expect(edits.status == 0, "\(edits.output)")
        #expect(edits.output.contains("8 made, 8 cached, 0 failed, 0 skipped, 24 not selected"), "\(edits.output)")
        let after = try Self.index(at: workspace.outputRoot)
        #expect(Self.rows(after, status: "cached").count == 8)
        #expect(Self.rows(after, status: "made").allSatisfy { $0.hasPrefix("hero-edit/") })
    }

    @Test func fourShardProcessesWithTheirOwnOutputRootsMakeEveryJobExactlyOnce() throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let (workspace, _) = try Self.workspace()
        var madeBy: [String: [Int]] = [:]
        for k in 1...4 {
            let root = workspace.url.appendingPathComponent("shard\(k)")
            let result = try runExecutable(
                executable, ["run", "demo.json", "--shard", "\(k)/4", "--output", root.path, "--quiet"], in: workspace.url)
            #expect(result.status == 0, "\(result.output)")
            let index = try Self.index(at: root)
            #expect(index["shard"]?.stringValue == "\(k)/4")
            #expect(index.jobRows.count == SelectionFixture.jobCount)
            #expect(Self.rows(index, status: "failed").isEmpty && Self.rows(index, status: "skipped").isEmpty)
            for id in Self.rows(index, status: "made") { madeBy[id, default: []].append(k) }
        }
        #expect(madeBy.count == SelectionFixture.jobCount)
        #expect(madeBy.values.allSatisfy { $0.count == 1 }, "\(madeBy.filter { $0.value.count > 1 })")
        // A chained job is made by its source's shard.
        #expect(madeBy.keys.filter { $0.hasPrefix("hero-edit/") }.allSatisfy { madeBy[$0] == madeBy["hero/" + $0.dropFirst(10)] })
    }

    @Test func theShardComesFromKubernetesOrCloudRun() throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let (workspace, _) = try Self.workspace()
        let cases: [([String: String], String, String)] = [
            (["JOB_COMPLETION_INDEX": "1"], "auto/4", "2/4"),
            (["CLOUD_RUN_TASK_INDEX": "2", "CLOUD_RUN_TASK_COUNT": "3"], "auto", "3/3"),
        ]
        for (number, (variables, option, shard)) in cases.enumerated() {
            let root = workspace.url.appendingPathComponent("auto\(number)")
            let result = try runExecutable(
                executable, ["run", "demo.json", "--shard", option, "--output", root.path, "--quiet"], in: workspace.url,
                environment: Self.cleanEnvironment(variables))
            #expect(result.status == 0, "\(result.output)")
            #expect(try Self.index(at: root)["shard"]?.stringValue == shard)
        }
        let missing = try runExecutable(
            executable, ["run", "demo.json", "--shard", "auto/4"], in: workspace.url, environment: Self.cleanEnvironment())
        #expect(missing.status == 2)
        #expect(missing.output.contains("--shard auto needs JOB_COMPLETION_INDEX"), "\(missing.output)")
    }

    @Test(arguments: ["0/4", "5/4", "2", "2/0", "x/4", "auto/x", "1/4/2"])
    func aBadShardIsAUsageErrorNamingTheForm(value: String) async throws {
        let (workspace, path) = try Self.workspace()
        defer { withExtendedLifetime(workspace) {} }
        let result = await runCLI(["plan", path, "--shard", value])
        #expect(result.status == 2)
        #expect(result.err.contains("--shard must be K/N with 1 ≤ K ≤ N (e.g. 2/4), auto/N, or auto, not \"\(value)\""), "\(result.err)")
    }

    @Test func autoShardVariablesAreChecked() async throws {
        let (workspace, path) = try Self.workspace()
        defer { withExtendedLifetime(workspace) {} }
        let noCount = await runCLI(["plan", path, "--shard", "auto"], environment: ["JOB_COMPLETION_INDEX": "0"])
        #expect(noCount.status == 2 && noCount.err.contains("write --shard auto/N"), "\(noCount.err)")
        let tooHigh = await runCLI(["plan", path, "--shard", "auto/4"], environment: ["JOB_COMPLETION_INDEX": "4"])
        #expect(tooHigh.status == 2 && tooHigh.err.contains("JOB_COMPLETION_INDEX=4 is not below 4"), "\(tooHigh.err)")
        let garbled = await runCLI(["plan", path, "--shard", "auto/4"], environment: ["JOB_COMPLETION_INDEX": "one"])
        #expect(garbled.status == 2 && garbled.err.contains("JOB_COMPLETION_INDEX must be a whole number"), "\(garbled.err)")
        let disagree = await runCLI(
            ["plan", path, "--shard", "auto/4"], environment: ["CLOUD_RUN_TASK_INDEX": "0", "CLOUD_RUN_TASK_COUNT": "3"])
        #expect(disagree.status == 2 && disagree.err.contains("CLOUD_RUN_TASK_COUNT says 3"), "\(disagree.err)")
    }

    /// The shards' plans add up to the whole plan, and their budgets to the manifest's.
    @Test func planShardsAddUpToTheWholePlan() async throws {
        let (workspace, path) = try Self.workspace(maxCost: 4)
        defer { withExtendedLifetime(workspace) {} }
        func plan(_ extra: [String]) async throws -> JSONValue {
            let result = await runCLI(["plan", path, "--json"] + extra)
            #expect(result.status == 0, "\(result.err)")
            return try JSONParser.parse(Data(result.out.utf8))
        }
        let whole = try await plan([])
        var (jobs, cost, budget) = (0.0, 0.0, 0.0)
        for k in 1...4 {
            let shard = try await plan(["--shard", "\(k)/4"])
            #expect(shard["shard"]?.stringValue == "\(k)/4" && shard["manifestJobs"]?.numberValue == 40)
            jobs += shard["jobs"]?.numberValue ?? 0
            cost += shard["estimatedCost"]?.numberValue ?? 0
            budget += shard["budget"]?.numberValue ?? 0
        }
        #expect(jobs == whole["jobs"]?.numberValue)
        #expect(abs(cost - (whole["estimatedCost"]?.numberValue ?? 0)) < 0.011)
        #expect(abs(budget - 4) < 0.011)
        let table = try await plan(["--shards", "4"])
        let lines = table["shards"]?.arrayValue ?? []
        #expect(lines.count == 4)
        #expect(lines.reduce(0) { $0 + ($1["jobs"]?.numberValue ?? 0) } == 40)
        let text = await runCLI(["plan", path, "--shards", "4"])
        #expect(text.out.contains("Shards of demo: 40 jobs in 4 shards"), "\(text.out)")
    }

    /// Selection comes first, then the shard of the selection: hero's two halves are hero.
    @Test func selectorsThenShardsSplitTheSelection() async throws {
        let (workspace, path) = try Self.workspace()
        defer { withExtendedLifetime(workspace) {} }
        var ids: [String] = []
        for k in 1...2 {
            let result = await runCLI(["plan", path, "hero-edit", "--shard", "\(k)/2", "--json"])
            #expect(result.status == 0, "\(result.err)")
            let plan = try JSONParser.parse(Data(result.out.utf8))
            #expect(plan["selectors"]?.arrayValue?.compactMap(\.stringValue) == ["hero-edit"])
            ids += (plan["rows"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        }
        #expect(ids.count == 16 && Set(ids).count == 16)
        #expect(ids.allSatisfy { $0.hasPrefix("hero/") || $0.hasPrefix("hero-edit/") })
        let text = await runCLI(["plan", path, "hero"])
        #expect(text.out.contains("selected: hero — 8 of 40 jobs"), "\(text.out)")
        #expect(text.out.contains("Plan for demo: 8 jobs"), "\(text.out)")
    }

    @Test func explainAndRunRefuseASelectorThatMatchesNothing() async throws {
        let (workspace, path) = try Self.workspace()
        defer { withExtendedLifetime(workspace) {} }
        for command in ["run", "plan", "explain"] {
            let result = await runCLI([command, path, "heor"])
            #expect(result.status == 2, "\(command)")
            #expect(result.err.contains(#"no job "heor" in demo (did you mean "hero"?)"#), "\(result.err)")
        }
        let explained = await runCLI(["explain", path, "box"])
        #expect(explained.out.contains("demo: 4 of 4 selected jobs would be made (box; the manifest has 40)"), "\(explained.out)")
    }

    /// `report` and `explain` after a subset run say the same word for the jobs it left out.
    @Test func reportAndExplainKeepNotSelectedJobsApartFromFailures() async throws {
        let (workspace, path) = try Self.workspace()
        let output = ["--output", workspace.outputRoot.path]
        #expect(await runCLI(["run", path, "box", "--quiet"] + output).status == 0)
        let report = await runCLI(["report", path] + output)
        #expect(report.status == 0, "\(report.err)")
        let index = try Self.index(at: workspace.outputRoot)
        #expect(Self.rows(index, status: "not-selected").count == 36)
        #expect(Self.rows(index, status: "skipped").isEmpty)
        let explained = await runCLI(["explain", path, "shelf"] + output)
        #expect(explained.out.contains("no entry yet (last build: not-selected)"), "\(explained.out)")
    }
}
