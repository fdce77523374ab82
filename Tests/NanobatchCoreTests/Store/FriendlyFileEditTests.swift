import Foundation
import Testing

@testable import NanobatchCore

/// A friendly file is the store's image (a hard link): an edit saved in place must not quietly
/// change the store, and must not be lost when the image is made again.
@Suite(.timeLimit(.minutes(2))) struct FriendlyFileEditTests {
    func firstFriendlyFile(_ workspace: TestWorkspace) throws -> String {
        let row = try #require(try readIndex(workspace, manifest: "test")["jobs"]?.arrayValue?.first)
        return workspace.outputRoot.appendingPathComponent("test/\(try #require(row["file"]?.stringValue))").path
    }

    @Test func storedImagesAndTheirFriendlyFilesAreReadOnly() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", baseManifest(references: "[[]]"))
        #expect(await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]).status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: try firstFriendlyFile(workspace))
        let mode = try #require(attributes[.posixPermissions] as? Int)
        #expect(mode & 0o222 == 0, "writable: \(String(mode, radix: 8))")
    }

    @Test func anEditSavedInPlaceIsKeptBesideTheImageMadeAgain() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", baseManifest(references: "[[]]"))
        #expect(await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]).status == 0)
        let friendly = try firstFriendlyFile(workspace)
        // An editor that writes in place (as root, or after making the file writable).
        chmod(friendly, 0o644)
        let edit = smallPNG(seed: "retouched by hand")
        let handle = try #require(FileHandle(forWritingAtPath: friendly))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: edit)
        try handle.close()

        let rerun = await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(rerun.status == 0, "\(rerun.err)")
        let kept = friendly.replacingOccurrences(of: ".png", with: ".edited.png")
        #expect(FileManager.default.contents(atPath: kept) == edit, "the edit was lost")
        #expect(FileManager.default.contents(atPath: friendly) != edit)
        #expect(ImageInspector.inspectFile(at: friendly) != nil)
        let third = await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(try readIndex(workspace, manifest: "test")["totals"]?["made"]?.numberValue == 0, "\(third.err)")
    }
}
