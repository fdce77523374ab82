import Foundation
import Testing

@testable import NanobatchCore

/// `clean --yes` deletes only what nobody uses: through the CLI, on real files.
@Suite(.timeLimit(.minutes(2))) struct CleanPlanTests {
    /// Two manifests with the same jobs under one root, both run: "a" and "b" share every image.
    func twoManifests() async throws -> (workspace: TestWorkspace, a: String, b: String) {
        let workspace = try TestWorkspace()
        let a = try workspace.write(
            "a.json", baseManifest(references: "[[]]").replacingOccurrences(of: #""name": "test""#, with: #""name": "a""#))
        let b = try workspace.write(
            "b.json", baseManifest(references: "[[]]").replacingOccurrences(of: #""name": "test""#, with: #""name": "b""#))
        for manifest in [a, b] {
            let result = await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"])
            #expect(result.status == 0, "\(result.err)")
        }
        return (workspace, a, b)
    }

    /// Changes every prompt of `manifest` and runs it, so that its old images are no longer its own.
    func moveOn(_ manifest: String, _ workspace: TestWorkspace) async throws {
        let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "cube", with: "sphere")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let result = await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(result.status == 0, "\(result.err)")
    }

    @Test func imagesOfAManifestWithoutItsIndexAreKept() async throws {
        let (workspace, a, b) = try await twoManifests()
        // b's run was killed before it wrote its index: only its folder's files say what it uses.
        try FileManager.default.removeItem(at: workspace.outputRoot.appendingPathComponent("b/index.json"))
        try await moveOn(a, workspace)
        let before = workspace.storedImages()
        let clean = await runCLI(["clean", a, "--output", workspace.outputRoot.path, "--yes"])
        #expect(clean.status == 0, "\(clean.err)")
        #expect(clean.out.contains("b/ has no readable index.json"), "\(clean.out)")
        #expect(workspace.storedImages() == before, "clean removed images b still uses: \(clean.out)")
        let rerun = await runCLI(["run", b, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(rerun.status == 0)
        #expect(try readIndex(workspace, manifest: "b")["totals"]?["made"]?.numberValue == 0, "b paid again for its images")
    }

    @Test func aSymlinkedShardIsNeverFollowed() async throws {
        let (workspace, a, _) = try await twoManifests()
        try FileManager.default.removeItem(at: workspace.outputRoot.appendingPathComponent("b"))
        let victim = try workspace.write("elsewhere/zz00.png", data: smallPNG(seed: "victim"))
        try FileManager.default.createSymbolicLink(
            atPath: workspace.outputRoot.appendingPathComponent(".nanobatch/store/zz").path,
            withDestinationPath: (victim as NSString).deletingLastPathComponent)
        try await moveOn(a, workspace)
        let clean = await runCLI(["clean", a, "--output", workspace.outputRoot.path, "--yes"])
        #expect(clean.status == 0, "\(clean.err)")
        #expect(clean.out.contains("removed .nanobatch/store/"), "the old images should go: \(clean.out)")
        #expect(FileManager.default.fileExists(atPath: victim), "clean deleted a file behind a symbolic link")
    }

    @Test func filesTheToolDidNotDeliverStayInTheManifestFolder() async throws {
        let (workspace, a, _) = try await twoManifests()
        let reference = try workspace.write("output/a/refs/logo.png", data: smallPNG(seed: "logo"))
        let notes = try workspace.write("output/a/notes.txt", "picked hero v2")
        // An image that was delivered, then no longer produced, still goes.
        let dropped = try JSONParser.parse(try String(contentsOfFile: a, encoding: .utf8))
        var object = try #require(dropped.objectValue)
        var matrix = try #require(object["matrix"]?.objectValue)
        matrix["prompts"] = .array(Array((matrix["prompts"]?.arrayValue ?? []).prefix(1)))
        object["matrix"] = .object(matrix)
        try JSONValue.object(object).serialized().write(toFile: a, atomically: true, encoding: .utf8)
        let clean = await runCLI(["clean", a, "--output", workspace.outputRoot.path, "--yes"])
        #expect(clean.status == 0, "\(clean.err)")
        #expect(clean.out.contains("removed a/shelf/"), "\(clean.out)")
        #expect(FileManager.default.fileExists(atPath: reference), "clean deleted a reference image: \(clean.out)")
        #expect(FileManager.default.fileExists(atPath: notes), "clean deleted a note: \(clean.out)")
    }

    /// A hard-linked snapshot (`cp -al shelf shelf-old`) and a delivered file replaced by an edit are
    /// the user's: clean keeps both, and the store images the snapshot links.
    @Test func snapshotsAndEditsOfDeliveredFilesStay() async throws {
        let (workspace, a, _) = try await twoManifests()
        try FileManager.default.removeItem(at: workspace.outputRoot.appendingPathComponent("b"))
        let folder = workspace.outputRoot.appendingPathComponent("a")
        let shelf = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("shelf").path).sorted()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("shelf-old"), withIntermediateDirectories: true)
        for name in shelf {
            #expect(link(folder.appendingPathComponent("shelf/\(name)").path, folder.appendingPathComponent("shelf-old/\(name)").path) == 0)
        }
        // The first hero image, edited and saved by rename: one link, no longer the stored image.
        let hero = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("hero").path).sorted().first)
        let edited = folder.appendingPathComponent("hero/\(hero)").path
        try FileManager.default.removeItem(atPath: edited)
        try smallPNG(seed: "retouched").write(to: URL(fileURLWithPath: edited))
        // Both prompts leave the manifest; clean runs before any run.
        let other = baseManifest(prompts: #"[ { "id": "lamp", "text": "A lamp" } ]"#, references: "[[]]")
        try other.replacingOccurrences(of: #""name": "test""#, with: #""name": "a""#).write(toFile: a, atomically: true, encoding: .utf8)
        let clean = await runCLI(["clean", a, "--output", workspace.outputRoot.path, "--yes"])
        #expect(clean.status == 0, "\(clean.err)")
        #expect(clean.out.contains("removed a/shelf/"), "\(clean.out)")
        for name in shelf {
            let snapshot = folder.appendingPathComponent("shelf-old/\(name)").path
            #expect(ImageInspector.inspectFile(at: snapshot) != nil, "the snapshot lost \(name): \(clean.out)")
        }
        #expect(FileManager.default.contents(atPath: edited) == smallPNG(seed: "retouched"), "clean deleted an edit: \(clean.out)")
        #expect(clean.out.contains("kept"), "the snapshot's store images are kept: \(clean.out)")
    }
}
