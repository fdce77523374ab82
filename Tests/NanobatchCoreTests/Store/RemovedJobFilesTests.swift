import Foundation
import Testing

@testable import NanobatchCore

/// A job dropped from the manifest leaves the deliverable folder with the run that says it was removed.
@Suite(.timeLimit(.minutes(1))) struct RemovedJobFilesTests {
    @Test func aRemovedJobsImageLeavesTheFolderButNotTheStore() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", baseManifest(references: "[[]]"))
        let output = workspace.outputRoot.path
        #expect(await runCLI(["run", manifest, "--output", output, "--quiet"]).status == 0)
        let shelf = workspace.outputRoot.appendingPathComponent("test/shelf").path
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: shelf)) ?? []).count == 2)
        let note = try workspace.write("output/test/shelf/notes.txt", "keep me")
        let stored = workspace.storedImages().count

        let onlyHero = baseManifest(prompts: #"[ { "id": "hero", "text": "A red cube" } ]"#, references: "[[]]")
        try onlyHero.write(toFile: manifest, atomically: true, encoding: .utf8)
        let rerun = await runCLI(["run", manifest, "--output", output])
        #expect(rerun.status == 0, "\(rerun.err)")
        #expect(rerun.err.contains("2 removed"), "\(rerun.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: shelf) == ["notes.txt"], "removed jobs' images stayed")
        #expect(FileManager.default.fileExists(atPath: note))
        let storedAfter = workspace.storedImages().count
        #expect(storedAfter == stored, "the store keeps the images; clean decides")
    }
}
