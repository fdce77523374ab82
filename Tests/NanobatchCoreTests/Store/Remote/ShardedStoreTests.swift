// Runs the commands of README › "Sharded builds with a shared store": the GitHub Actions recipe
// (four `nanobatch run M --shard K/4 --store URL` jobs, each in its own empty folder, then
// `nanobatch report M --store URL` in a fifth) and the Kubernetes Indexed Job recipe (the same with
// `--shard auto/4` and JOB_COMPLETION_INDEX=0…3), with the real executable against one real nginx store.
import Foundation
import Testing

@testable import NanobatchCore

/// Four shard processes, each with its own output root, against one nginx store and the offline
/// provider: every job made exactly once, disjoint shards covering the manifest, reruns make nothing,
/// a shard killed mid-run and rerun elsewhere pays nothing twice, `report` in an empty folder has it all.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: NginxStore.executable != nil, Comment(rawValue: NginxStore.missingMessage)))
struct ShardedStoreTests {
    /// 11 prompts × 2 ratios, and a step chained on p0 (2 jobs): 24 jobs.
    static let jobCount = 24
    static func manifest(latencyMs: Int, concurrency: Int = 4) -> String {
        remoteStoreManifest(
            prompts: 11, latencyMs: latencyMs, concurrency: concurrency,
            extra: #", "steps": [ { "id": "p0-edit", "from": "p0", "prompt": "Add snow" } ]"#)
    }

    let workspace: TestWorkspace

    init() throws { workspace = try TestWorkspace() }

    /// A new empty folder holding only the manifest, as a CI job's checkout.
    func checkout(_ name: String, manifest: String) throws -> URL {
        try workspace.write("\(name)/shared.json", manifest)
        return workspace.url.appendingPathComponent(name)
    }

    /// `nanobatch ARGUMENTS` run from `folder`, as its own process waited for off Swift's cooperative pool.
    func nanobatch(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) async throws -> (
        status: Int32, output: String
    ) {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let environment = environment.merging(["PATH": "/usr/bin:/bin"]) { $1 }
        return try await offPool { try runExecutable(executable, arguments, in: folder, environment: environment) }
    }

    func index(_ folder: URL) throws -> JSONValue {
        try JSONParser.parse(Data(contentsOf: folder.appendingPathComponent("output/shared/index.json")))
    }

    static func ids(_ index: JSONValue, _ status: String) -> Set<String> {
        Set(index.jobRows.filter { $0["status"]?.stringValue == status }.compactMap { $0["id"]?.stringValue })
    }

    /// The records nginx was asked to create (`PUT /cache/ac/…` answered 201), one name per request.
    static func recordPuts(_ nginx: NginxStore) -> [String] {
        nginx.accessLog.filter { $0.hasPrefix("PUT /cache/ac/") && $0.hasSuffix(" 201") }.map { $0.split(separator: " ")[1].description }
    }

    /// Runs the four shards at once, shard K in folder `shardK`, with `--shard` from `shard(K)` and its environment.
    func runFourShards(
        _ manifest: String, store: String, shard: @escaping @Sendable (Int) -> (option: String, environment: [String: String])
    ) async throws -> [Int: (status: Int32, output: String)] {
        let folders = try (1...4).map { try checkout("shard\($0)", manifest: manifest) }
        return try await withThrowingTaskGroup(of: (Int, (Int32, String)).self) { group in
            for k in 1...4 {
                let (option, environment) = shard(k)
                group.addTask {
                    (
                        k,
                        try await nanobatch(
                            ["run", "shared.json", "--shard", option, "--store", store], in: folders[k - 1], environment: environment)
                    )
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    /// Every job made by exactly one shard, the shards disjoint and covering the manifest, each index
    /// naming its shard, a chained job made with its source, one record per job written once.
    /// `earlier`: jobs a killed run made before, with its shard.
    func expectEveryJobMadeOnce(
        _ results: [Int: (status: Int32, output: String)], nginx: NginxStore, earlier: [String: Int] = [:]
    ) throws {
        var madeBy = earlier.mapValues { [$0] }
        for k in 1...4 {
            let result = try #require(results[k])
            #expect(result.status == 0, "shard \(k): \(result.output)")
            let index = try index(workspace.url.appendingPathComponent("shard\(k)"))
            #expect(index["shard"]?.stringValue == "\(k)/4")
            #expect(index.jobRows.count == Self.jobCount)
            #expect(Self.ids(index, "failed").isEmpty && Self.ids(index, "skipped").isEmpty)
            for id in Self.ids(index, "made") { madeBy[id, default: []].append(k) }
        }
        #expect(madeBy.count == Self.jobCount, "the shards do not cover the manifest: \(madeBy.keys.sorted())")
        #expect(madeBy.values.allSatisfy { $0.count == 1 }, "made by more than one shard: \(madeBy.filter { $0.value.count > 1 })")
        for ratio in ["1x1", "16x9"] {
            let edit = madeBy.first { $0.key.hasPrefix("p0-edit/") && $0.key.contains(ratio) }
            let source = madeBy.first { $0.key.hasPrefix("p0/") && $0.key.contains(ratio) }
            #expect(edit != nil && edit?.value == source?.value, "a chained job left its source's shard: \(madeBy)")
        }
        let puts = Self.recordPuts(nginx)
        #expect(puts.count == Self.jobCount && Set(puts).count == Self.jobCount, "\(puts)")
        #expect(nginx.names(in: "ac").count == Self.jobCount)
    }

    /// `report` in a fresh empty folder: every job cached, a whole image at its friendly path.
    func expectReportHasEveryJob(store: String) async throws {
        let folder = try checkout("report", manifest: Self.manifest(latencyMs: 20))
        let report = try await nanobatch(["report", "shared.json", "--store", store], in: folder)
        #expect(report.status == 0, "\(report.output)")
        let rows = try index(folder).jobRows
        #expect(rows.count == Self.jobCount)
        for row in rows {
            let id = row["id"]?.stringValue ?? "?"
            #expect(row["status"]?.stringValue == "cached", "\(id): \(row)")
            let file = try #require(row["file"]?.stringValue, "\(id) has no file")
            let path = folder.appendingPathComponent("output/shared").appendingPathComponent(file).path
            #expect(ImageInspector.inspectFile(at: path) != nil, "\(id): \(file) is not a whole image")
        }
        for file in ["index.html", "index.csv"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("output/shared/\(file)").path))
        }
    }

    /// Each shard's jobs, as its first run made them.
    func ownJobs() throws -> [Int: Set<String>] {
        try Dictionary(
            uniqueKeysWithValues: (1...4).map { ($0, Self.ids(try index(workspace.url.appendingPathComponent("shard\($0)")), "made")) })
    }

    /// A rerun of shard K in `folder` makes nothing (exit 0): its own jobs are cached, no job is made,
    /// failed or skipped; in a `fresh` folder it fetches only its own jobs (the rest `not-selected`).
    func expectRerunMakesNothing(
        _ k: Int, own: Set<String>, in folder: URL, fresh: Bool = true, store: String, option: String? = nil,
        environment: [String: String] = [:]
    ) async throws {
        let rerun = try await nanobatch(
            ["run", "shared.json", "--shard", option ?? "\(k)/4", "--store", store], in: folder, environment: environment)
        #expect(rerun.status == 0, "\(rerun.output)")
        let index = try index(folder)
        #expect(index["totals"]?["made"]?.numberValue == 0, "shard \(k) rerun in \(folder.lastPathComponent): \(rerun.output)")
        #expect(index["shard"]?.stringValue == "\(k)/4")
        #expect(!own.isEmpty && own.isSubset(of: Self.ids(index, "cached")), "\(rerun.output)")
        #expect(index.jobRows.allSatisfy { ["cached", "not-selected"].contains($0["status"]?.stringValue) }, "\(rerun.output)")
        if fresh {
            // An empty folder fetches its shard's images only, not the other shards'.
            #expect(Self.ids(index, "cached") == own, "\(rerun.output)")
            #expect(rerun.output.contains("(\(own.count) images fetched)"), "\(rerun.output)")
        }
    }

    @Test func theGitHubActionsMatrixMakesEveryJobOnceAndReportGathersThem() async throws {
        let nginx = try NginxStore()
        let manifest = Self.manifest(latencyMs: 20)
        let results = try await runFourShards(manifest, store: nginx.url) { ("\($0)/4", [:]) }
        try expectEveryJobMadeOnce(results, nginx: nginx)

        // A rerun of any shard makes nothing, in its folder or in a brand-new one.
        let own = try ownJobs()
        for k in 1...4 {
            let folder = workspace.url.appendingPathComponent("shard\(k)")
            try await expectRerunMakesNothing(k, own: own[k] ?? [], in: folder, fresh: false, store: nginx.url)
            try await expectRerunMakesNothing(k, own: own[k] ?? [], in: try checkout("again\(k)", manifest: manifest), store: nginx.url)
        }
        #expect(Self.recordPuts(nginx).count == Self.jobCount, "a rerun wrote a record again")
        try await expectReportHasEveryJob(store: nginx.url)
    }

    @Test func theKubernetesIndexedJobMakesEveryJobOnceAndReportGathersThem() async throws {
        let nginx = try NginxStore()
        let manifest = Self.manifest(latencyMs: 20)
        let results = try await runFourShards(manifest, store: nginx.url) { ("auto/4", ["JOB_COMPLETION_INDEX": "\($0 - 1)"]) }
        try expectEveryJobMadeOnce(results, nginx: nginx)
        let own = try ownJobs()
        for k in 1...4 {
            try await expectRerunMakesNothing(
                k, own: own[k] ?? [], in: try checkout("again\(k)", manifest: manifest), store: nginx.url, option: "auto/4",
                environment: ["JOB_COMPLETION_INDEX": "\(k - 1)"])
        }
        try await expectReportHasEveryJob(store: nginx.url)
    }

    @Test func aShardKilledMidRunAndRerunInANewFolderPaysNothingTwice() async throws {
        let nginx = try NginxStore()
        // Slow enough (one job at a time, 150 ms each) for the kill to land mid-run.
        let manifest = Self.manifest(latencyMs: 150, concurrency: 1)
        let killed = try checkout("killed3", manifest: manifest)
        let plan = try await nanobatch(["plan", "shared.json", "--shard", "3/4", "--json"], in: killed)
        // stdout's JSON after stderr's "output root: …" line (the helper gathers both).
        let json = plan.output.firstIndex(of: "{").map { plan.output[$0...] } ?? ""
        let shardJobs = try #require(try JSONParser.parse(Data(json.utf8))["jobs"]?.numberValue, "\(plan.output)")
        #expect(shardJobs >= 4, "shard 3/4 is too small to be killed mid-run")

        let diedMidway = try await runKilledMidway(
            ["run", "shared.json", "--shard", "3/4", "--store", nginx.url], in: killed, environment: ["PATH": "/usr/bin:/bin"]
        ) { nginx.names(in: "ac").count >= 2 }
        #expect(diedMidway)
        let recordsAfterKill = Set(nginx.names(in: "ac"))
        let before = recordsAfterKill.count
        #expect(Double(before) < shardJobs, "the kill should land before shard 3 finished")

        // Shard 3 again in a new empty folder, beside the other three shards.
        let results = try await runFourShards(manifest, store: nginx.url) { ("\($0)/4", [:]) }
        let rerun = try index(workspace.url.appendingPathComponent("shard3"))
        #expect(rerun["totals"]?["made"]?.numberValue == shardJobs - Double(before), "a job with a record was made again")
        // Every job made once overall: the killed run's (those with a record, by content key) and the four shards'.
        let killedMade = rerun.jobRows.filter { recordsAfterKill.contains($0["key"]?.stringValue ?? "") }.compactMap {
            $0["id"]?.stringValue
        }
        #expect(killedMade.count == before)
        try expectEveryJobMadeOnce(results, nginx: nginx, earlier: Dictionary(uniqueKeysWithValues: killedMade.map { ($0, 3) }))
        try await expectReportHasEveryJob(store: nginx.url)
    }
}
