import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// The journal is shared by every manifest on an output root and outlives the runs that wrote it:
/// what one manifest's run left must neither stop another's, nor be reported to it.
@Suite(.timeLimit(.minutes(2))) struct JournalSharedRootTests {
    @Test func corruptTimesInTheJournalStopNeitherRunNorReport() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", baseManifest(references: "[[]]"))
        try writeJournal(
            "v1\ttask\tinf\tk1\tapi\tjob-1\tt-1\nv1\tsubmit\t1e300\tk2\tapi\tjob-2\nv1\ttask\t-1e300\tk3\tapi\tjob-3\tt-3\n",
            in: workspace)
        let run = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        let report = await runCLI(["report", path, "--output", workspace.outputRoot.path])
        #expect(report.status == 0, "\(report.err)")
        let again = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(again.status == 0, "\(again.err)")
    }

    @Test func theMayHaveBeenPaidNoteGoesOnlyToTheManifestThatMadeTheSubmission() async throws {
        let fake = try DialectFakes.openAIImages()
        let workspace = try TestWorkspace()
        // The first manifest's create dies after the request was sent (and is not sent again).
        fake.script("/v1/images/generations", [ServerReply(fault: .closeWithoutAnswer)])
        let extra = #", "concurrency": 1, "retry": { "initialDelaySeconds": 0.01 }"#
        let owner = apiManifest(dialect: "openai-images", fake: fake, models: ["nano-banana"], providerExtra: extra)
        #expect(try await runAgainst(fake, owner, in: workspace).status == 1)

        let other = apiManifest(
            dialect: "openai-images", fake: fake, models: ["nano-banana"], prompts: [("lamp", "A lamp")], providerExtra: extra
        ).replacingOccurrences(of: #""name": "api-test""#, with: #""name": "other""#)
        let otherPath = try workspace.write("other.json", other)
        let otherRun = await runCLI(
            ["run", otherPath, "--output", workspace.outputRoot.path, "--quiet"], environment: ["NB_TEST_KEY": fake.key])
        #expect(otherRun.status == 0, "\(otherRun.err)")
        #expect(!otherRun.err.contains("may have been paid"), "told to the wrong manifest: \(otherRun.err)")
        #expect(try readIndex(workspace, manifest: "other")["totals"]?["unresolvedSubmissions"]?.numberValue == 0)

        let ownerRun = try await runAgainst(fake, owner, in: workspace)
        #expect(ownerRun.status == 0, "\(ownerRun.err)")
        #expect(ownerRun.err.contains("1 submission of an earlier run ended without a result and may have been paid"), "\(ownerRun.err)")
        #expect(try readIndex(workspace, manifest: "api-test")["totals"]?["unresolvedSubmissions"]?.numberValue == 1)
    }
}
