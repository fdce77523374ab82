import Foundation
import Testing

@testable import NanobatchCore

/// The diff against the previous build names what really happened to each job's image.
@Suite(.timeLimit(.minutes(2))) struct BuildDiffTests {
    @Test func revertingAPromptRestoresTheOlderImageFromTheCache() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", Self.manifest(hero: "A red cube"))
        let output = ["--output", workspace.outputRoot.path, "--quiet"]
        #expect(await runCLI(["run", path] + output).status == 0)
        let first = try readIndex(workspace, manifest: "test")
        try Self.manifest(hero: "A blue cube").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await runCLI(["run", path] + output).status == 0)

        // Back to the red cube: its image is still in the store; nothing is made.
        try Self.manifest(hero: "A red cube").write(toFile: path, atomically: true, encoding: .utf8)
        let reverted = await runCLI(["run", path] + output)
        #expect(reverted.status == 0)
        #expect(reverted.err.contains("test: 0 made, 2 cached"), "\(reverted.err)")
        #expect(
            reverted.err.contains("since the previous build: 0 new, 0 made again, 1 restored from cache, 1 unchanged, 0 removed"),
            "\(reverted.err)")
        let index = try readIndex(workspace, manifest: "test")
        let restored = index.at("diff", "restored")?.arrayValue ?? []
        let heroID = try #require(first.jobRows.first { $0["promptID"]?.stringValue == "hero" }?["id"]?.stringValue)
        #expect(restored.compactMap { $0["id"]?.stringValue } == [heroID], "\(restored)")
        let reason = restored.first?["reason"]?.stringValue ?? ""
        #expect(reason == #"prompt changed: "A blue cube" → "A red cube"; the store still had the image for it"#, "\(reason)")
        #expect(index.at("diff", "unchanged")?.numberValue == 1)
        let hero = index.jobRows.first { $0["promptID"]?.stringValue == "hero" }
        #expect(hero?["change"]?.stringValue == "restored from cache")
        #expect(hero?["changeReason"]?.stringValue == reason)
        let firstKey = first.jobRows.first { $0["promptID"]?.stringValue == "hero" }?["key"]?.stringValue
        #expect(hero?["key"]?.stringValue == firstKey, "the first build's image")
        let page = try String(contentsOf: workspace.outputRoot.appendingPathComponent("test/index.html"), encoding: .utf8)
        #expect(page.contains("1 restored from cache") && page.contains("<h3>Restored from cache</h3>"))

        // Nothing changed since: unchanged, and the word is not said.
        let again = await runCLI(["run", path] + output)
        #expect(again.err.contains("since the previous build: 0 new, 0 made again, 2 unchanged, 0 removed"), "\(again.err)")
    }

    @Test func jobsThatFailedBeforeAreNewNotMadeAgain() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", Self.manifest(hero: "A red cube [fail]"))
        let output = ["--output", workspace.outputRoot.path, "--quiet"]
        let failing = await runCLI(["run", path] + output) { _ in FailingProvider(inner: OfflineProvider(), marker: "[fail]") }
        #expect(failing.status == 1)
        let result = await runCLI(["run", path] + output)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("since the previous build: 1 new, 0 made again, 1 unchanged, 0 removed"), "\(result.err)")
        let index = try readIndex(workspace, manifest: "test")
        let heroID = try #require(index.jobRows.first { $0["promptID"]?.stringValue == "hero" }?["id"]?.stringValue)
        #expect(index.at("diff", "new")?.arrayValue?.compactMap(\.stringValue) == [heroID])
        #expect(index.at("diff", "madeAgain")?.arrayValue?.isEmpty == true)
    }

    /// A changed job whose run fails is not "made again", and its outdated image leaves the folder.
    @Test func aChangedJobThatFailsIsChangedButNotMadeAndItsOldImageGoes() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", Self.manifest(hero: "A red cube"))
        let output = ["--output", workspace.outputRoot.path, "--quiet"]
        #expect(await runCLI(["run", path] + output).status == 0)
        let first = try readIndex(workspace, manifest: "test")
        let heroFile = try #require(first.jobRows.first { $0["promptID"]?.stringValue == "hero" }?["file"]?.stringValue)
        let heroPath = workspace.outputRoot.appendingPathComponent("test").appendingPathComponent(heroFile).path
        #expect(FileManager.default.fileExists(atPath: heroPath))

        try Self.manifest(hero: "A red cube [fail]").write(toFile: path, atomically: true, encoding: .utf8)
        let failing = await runCLI(["run", path] + output) { _ in FailingProvider(inner: OfflineProvider(), marker: "[fail]") }
        #expect(failing.status == 1)
        #expect(
            failing.err.contains("since the previous build: 0 new, 0 made again, 1 unchanged, 0 removed, 1 changed but not made"),
            "\(failing.err)")
        let index = try readIndex(workspace, manifest: "test")
        #expect(index.at("diff", "madeAgain")?.arrayValue?.isEmpty == true)
        #expect(index.at("diff", "changedNotMade")?.arrayValue?.count == 1)
        let hero = index.jobRows.first { $0["promptID"]?.stringValue == "hero" }
        #expect(hero?["change"]?.stringValue == "changed, not made")
        #expect(!FileManager.default.fileExists(atPath: heroPath), "the red cube no longer stands for the changed job")
    }

    @Test func jobsAStoppedRunNeverStartedAreNew() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", Self.manifest(hero: "A red cube"))
        let output = ["--output", workspace.outputRoot.path, "--quiet"]
        let stop = StopSignal()
        stop.requestStop("interrupted (Ctrl-C)")
        let stopped = await runCLI(["run", path] + output, stop: stop)
        #expect(stopped.status == ExitCode.interrupted.rawValue, "\(stopped.err)")
        #expect(statuses(try readIndex(workspace, manifest: "test")).values.allSatisfy { $0 == "skipped" })
        let result = await runCLI(["run", path] + output)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("since the previous build: 2 new, 0 made again, 0 unchanged, 0 removed"), "\(result.err)")
        let rows = try readIndex(workspace, manifest: "test").jobRows
        #expect(rows.allSatisfy { $0["change"]?.stringValue == "new" }, "\(rows)")
    }

    @Test func anIndexWithoutRestoredReadsAsNoneRestored() throws {
        let diff = try JSONDecoder().decode(
            BuildDiff.self, from: Data(#"{"new": ["n"], "madeAgain": [], "unchanged": 2, "removed": []}"#.utf8))
        #expect(diff.restored.isEmpty && diff.counts == "1 new, 0 made again, 2 unchanged, 0 removed")
    }

    static func manifest(hero: String) -> String {
        baseManifest(
            prompts: #"[ { "id": "hero", "text": "\#(hero)" }, { "id": "shelf", "text": "A shelf of cubes" } ]"#,
            ratios: #"["1:1"]"#, references: "[[]]")
    }
}
