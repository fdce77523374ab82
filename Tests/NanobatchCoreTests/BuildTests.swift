import Foundation
import Testing

@testable import NanobatchCore

/// The pipeline's stages chained by hand, as commands chain them, and the output-root rule.
@Suite(.timeLimit(.minutes(2))) struct BuildTests {
    static func manifest(output: String? = nil) -> String {
        """
        { "version": 1, "name": "b", \(output.map { "\"output\": \"\($0)\"," } ?? "")
          "providers": { "local": { "dialect": "offline" } },
          "matrix": { "prompts": [ { "id": "p", "text": "a cube" } ], "aspectRatios": ["1:1", "4:3"], "models": ["local:m"],
                      "variants": 2 } }
        """
    }

    @Test func theOutputRootIsTheOptionThenTheManifestsOutputThenOutputNextToTheManifest() throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("nightly/b.json", Self.manifest(output: "../generated"))
        #expect(try Build.load(manifestPath: path, outputOption: nil).layout.root == workspace.url.appendingPathComponent("generated"))
        #expect(try Build.load(manifestPath: path, outputOption: "/tmp/elsewhere").layout.rootPath == "/tmp/elsewhere")
        let plain = try workspace.write("nightly/plain.json", Self.manifest())
        let nextToIt = workspace.url.appendingPathComponent("nightly/output").standardizedFileURL
        #expect(try Build.load(manifestPath: plain, outputOption: nil).layout.root == nextToIt)
    }

    /// The real executable, started from two folders with the manifest named relative to each: one
    /// output root, so the second run finds everything cached; both print the root they use.
    @Test func theSameManifestRunFromTwoFoldersUsesOneStore() throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let workspace = try TestWorkspace()
        try FileManager.default.createDirectory(at: workspace.url.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        _ = try workspace.write("project/b.json", Self.manifest())
        func run(from folder: String, manifest: String) throws -> String {
            let result = try runExecutable(executable, ["run", manifest, "--quiet"], in: workspace.url.appendingPathComponent(folder))
            #expect(result.status == 0, "\(result.output)")
            return result.output
        }
        let first = try run(from: "project", manifest: "b.json")
        #expect(first.contains("output root: output (store: output/.nanobatch/store)"), "\(first)")
        let second = try run(from: "elsewhere", manifest: "../project/b.json")
        let root = workspace.url.appendingPathComponent("project/output").standardizedFileURL.path
        #expect(second.contains("output root: \(root) (store: \(root)/.nanobatch/store)"), "\(second)")
        #expect(second.contains("0 made, 4 cached"), "\(second)")
        #expect(!FileManager.default.fileExists(atPath: workspace.url.appendingPathComponent("elsewhere/output").path))
    }

    /// A job the provider made and charged for, whose image the store then refused, still counts in
    /// what was spent.
    @Test(.timeLimit(.minutes(1)))
    func aPaidJobLostBeforeTheStoreStillCountsAsSpent() throws {
        let workspace = try TestWorkspace()
        let build = try Build.load(manifestPath: try workspace.write("b.json", Self.manifest()), outputOption: workspace.outputRoot.path)
        let plan = try build.plan()
        var outcomes = plan.graph.jobs.map { _ in JobOutcome(status: .made, key: nil) }
        for index in outcomes.indices { outcomes[index].actualCost = 0.04 }
        outcomes[0].status = .failed
        outcomes[0].error = "cannot write the image: No space left on device"
        let report = build.report(plan, outcomes, wallSeconds: 0, stoppedBecause: nil, facts: IndexReport.RunFacts())
        #expect(abs((report.totals.actualCost["USD"] ?? 0) - 0.16) < 1e-9, "\(report.totals.actualCost)")
    }

    @Test(.timeLimit(.minutes(1)))
    func theStagesChainFromManifestToReports() async throws {
        let workspace = try TestWorkspace()
        let build = try Build.load(manifestPath: try workspace.write("b.json", Self.manifest()), outputOption: workspace.outputRoot.path)
        let jobs = build.expand()
        #expect(jobs.jobs.count == 4)
        let plan = try build.evaluate(jobs)
        #expect(plan.toMakeCount == 4)
        let journal = try SubmissionJournal(root: build.layout.root) { _ in false }
        let lanes = [ProviderLane(name: "local", provider: OfflineProvider(latency: .zero), concurrency: 2)]
        let outcomes = await build.run(
            plan, lanes: lanes, limits: RunLimits(concurrency: 4), journal: journal, stop: StopSignal(),
            progress: nil)
        #expect(outcomes.map(\.status) == [.made, .made, .made, .made])
        let report = build.report(
            plan, outcomes, wallSeconds: 0, stoppedBecause: nil,
            facts: IndexReport.RunFacts(budget: nil, unresolvedSubmissions: [], diff: nil))
        try build.write(report)
        for file in OutputLayout.Report.allCases {
            #expect(FileManager.default.fileExists(atPath: build.layout.reportPath(file, manifest: "b")), "\(file)")
        }
        // The next evaluation finds every job in the store.
        #expect(try build.plan().cachedCount == 4)
    }

    @Test func aSecondBuildCannotLockARootInUse() throws {
        let workspace = try TestWorkspace()
        let build = try Build.load(manifestPath: try workspace.write("b.json", Self.manifest()), outputOption: workspace.outputRoot.path)
        let held = try build.lock(.noWork)
        #expect(throws: BuildFailure.self) { _ = try build.lock(.noWork) }
        withExtendedLifetime(held) {}
    }
}
