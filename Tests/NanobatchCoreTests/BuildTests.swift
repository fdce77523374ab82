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

    @Test func theOutputRootIsTheOptionThenTheManifestsOutputRelativeToItsFolder() throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("nightly/b.json", Self.manifest(output: "../generated"))
        #expect(try Build.load(manifestPath: path, outputOption: nil).layout.root == workspace.url.appendingPathComponent("generated"))
        #expect(try Build.load(manifestPath: path, outputOption: "/tmp/elsewhere").layout.rootPath == "/tmp/elsewhere")
        let plain = try workspace.write("plain.json", Self.manifest())
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("output").standardizedFileURL
        #expect(try Build.load(manifestPath: plain, outputOption: nil).layout.root == cwd)
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
