import Foundation
import Testing

@testable import NanobatchCore

/// `pick` and `exports`: the exported file is a real copy of the pick (its own inode, the same bytes),
/// replaced atomically when the pick changes, left alone by `clean`, and never written outside its root.
@Suite(.timeLimit(.minutes(1))) struct PickExportTests {
    static func manifest(
        exports: String = #"{ "files": { "assets/{{prompt}}-{{ratio}}-{{product}}.png": "hero", "assets/{{prompt}}.png": "logo" } }"#
    )
        -> String
    {
        """
        { "version": 1, "name": "shop", "providers": { "local": { "dialect": "offline" } },
          "matrix": { "variables": { "product": ["mug", "tote bag"] },
                      "prompts": [ { "id": "hero", "text": "A {{product}} on a table", "variants": 2 },
                                   { "id": "logo", "text": "A shop logo", "aspectRatios": ["1:1"] } ],
                      "aspectRatios": ["1:1", "16:9"], "models": ["local:nano-banana-2"], "imageSize": "0.5K" },
          "exports": \(exports) }
        """
    }

    func cli(_ workspace: TestWorkspace, _ arguments: [String]) async -> CLIResult {
        await runCLI(arguments + ["--output", workspace.outputRoot.path])
    }

    func blob(_ workspace: TestWorkspace, job id: String) throws -> String {
        let row = try #require(try readIndex(workspace, manifest: "shop").jobRows.first { $0["id"]?.stringValue == id })
        let key = try #require(row["key"]?.stringValue)
        return workspace.outputRoot.appendingPathComponent(".nanobatch/store/\(key.prefix(2))/\(key).png").path
    }

    @Test func anExportIsARealCopyOfThePickReplacedAtomicallyWhenThePickChanges() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shop.json", Self.manifest())
        let run = await cli(workspace, ["run", manifest, "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        // A group with one image is exported without a pick; groups with two variants wait for one.
        let logo = workspace.outputRoot.appendingPathComponent("assets/logo.png").path
        #expect(
            FileManager.default.contents(atPath: logo)
                == FileManager.default.contents(atPath: try blob(workspace, job: "logo/local-nano-banana-2_1x1_0.5K_v1")))
        #expect(run.err.contains("not exported: assets/hero-16x9-tote-bag.png: 2 images and no pick yet"), "\(run.err)")
        let target = workspace.outputRoot.appendingPathComponent("assets/hero-16x9-tote-bag.png").path
        #expect(!FileManager.default.fileExists(atPath: target))

        let first = "hero/tote-bag_local-nano-banana-2_16x9_0.5K_v1"
        let pick = await cli(workspace, ["pick", manifest, first])
        #expect(pick.status == 0, "\(pick.err)")
        let firstBlob = try blob(workspace, job: first)
        #expect(FileManager.default.contents(atPath: target) == FileManager.default.contents(atPath: firstBlob))
        let exported = try #require(FileIO.inode(target))
        #expect(exported.inode != FileIO.inode(firstBlob)?.inode, "the export is a hard link to the store")
        #expect(FileEntry.at(target)?.links == 1)

        let second = "hero/tote-bag_local-nano-banana-2_16x9_0.5K_v2"
        #expect(await cli(workspace, ["pick", manifest, second]).status == 0)
        let secondBlob = try blob(workspace, job: second)
        #expect(FileManager.default.contents(atPath: target) == FileManager.default.contents(atPath: secondBlob))
        #expect(FileManager.default.contents(atPath: secondBlob) != FileManager.default.contents(atPath: firstBlob))
        // Replaced by rename: a new inode, no temporary file left beside it.
        #expect(FileIO.inode(target)?.inode != exported.inode)
        let assets = try FileManager.default.contentsOfDirectory(atPath: workspace.outputRoot.appendingPathComponent("assets").path)
        #expect(assets.sorted() == ["hero-16x9-tote-bag.png", "logo.png"])
        // One pick per group: the second replaced the first in the takes file.
        let takes = try Takes.read(path: workspace.url.appendingPathComponent("shop.takes.json").path)
        #expect(takes.entries == [second: Takes.Entry(take: 1, pick: 1)])

        // `report` rewrites nothing that is up to date; `clean --yes` never touches exports.
        let report = await cli(workspace, ["report", manifest])
        #expect(report.err.contains("exports: 2 files up to date"), "\(report.err)")
        #expect(await cli(workspace, ["clean", manifest, "--yes"]).status == 0)
        #expect(FileManager.default.contents(atPath: target) == FileManager.default.contents(atPath: secondBlob))
        #expect(FileManager.default.fileExists(atPath: logo))
    }

    @Test func aSubsetRunSaysAGroupOutsideItHasNoImageYetNotThatItLacksAPick() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shop.json", Self.manifest())
        let run = await cli(workspace, ["run", manifest, "hero/mug_"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.contains("not exported: assets/hero-16x9-tote-bag.png: no image made yet"), "\(run.err)")
        #expect(run.err.contains("not exported: assets/hero-16x9-mug.png: 2 images and no pick yet"), "\(run.err)")
    }

    @Test func aPickOfATakeNotMadeIsRefused() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shop.json", Self.manifest())
        let pick = await cli(workspace, ["pick", manifest, "hero/mug_local-nano-banana-2_1x1_0.5K_v1"])
        #expect(pick.status == ExitCode.usage.rawValue)
        #expect(pick.err.contains("take 1 of hero/mug_local-nano-banana-2_1x1_0.5K_v1 is not in the store"), "\(pick.err)")
        let later = await cli(workspace, ["pick", manifest, "hero/mug_local-nano-banana-2_1x1_0.5K_v1", "--take", "2"])
        #expect(later.err.contains("has only take 1"), "\(later.err)")
    }

    /// After a re-roll, take 1 can still be picked and exported, and `clean` keeps it in the store.
    @Test func anEarlierTakeCanBePickedAndCleanKeepsIt() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shop.json", Self.manifest())
        let logo = "logo/local-nano-banana-2_1x1_0.5K_v1"
        #expect(await cli(workspace, ["run", manifest, "--quiet"]).status == 0)
        let takeOne = try blob(workspace, job: logo)
        let reroll = await cli(workspace, ["reroll", manifest, logo, "--quiet"])
        #expect(reroll.status == 0, "\(reroll.err)")
        let takeTwo = try blob(workspace, job: logo)
        #expect(takeTwo != takeOne)
        let export = workspace.outputRoot.appendingPathComponent("assets/logo.png").path
        #expect(FileManager.default.contents(atPath: export) == FileManager.default.contents(atPath: takeTwo))

        #expect(await cli(workspace, ["pick", manifest, logo, "--take", "1"]).status == 0)
        #expect(FileManager.default.contents(atPath: export) == FileManager.default.contents(atPath: takeOne))
        let clean = await cli(workspace, ["clean", manifest, "--yes"])
        #expect(clean.status == 0, "\(clean.err)")
        #expect(FileManager.default.fileExists(atPath: takeOne), "clean removed the earlier take")
        #expect(FileManager.default.contents(atPath: export) == FileManager.default.contents(atPath: takeOne))
        let takes = try Takes.read(path: workspace.url.appendingPathComponent("shop.takes.json").path)
        #expect(takes.entries == [logo: Takes.Entry(take: 2, pick: 1)])
    }

    /// `exports.root` names a folder of the manifest's own (here beside it, outside the output root).
    @Test func exportsGoUnderTheRootTheManifestNames() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write(
            "shop.json", Self.manifest(exports: #"{ "root": "site", "files": { "img/{{prompt}}.png": "logo" } }"#))
        let run = await cli(workspace, ["run", manifest, "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        let exported = workspace.url.appendingPathComponent("site/img/logo.png").path
        let stored = try blob(workspace, job: "logo/local-nano-banana-2_1x1_0.5K_v1")
        #expect(FileManager.default.contents(atPath: exported) == FileManager.default.contents(atPath: stored))
        #expect(!FileManager.default.fileExists(atPath: workspace.outputRoot.appendingPathComponent("img").path))
    }

    /// A run with nothing to do (every file as the build stamp recorded it) still notices a deleted
    /// export: the stamp records the exports too, so that run does the full check and puts it back.
    @Test func aDeletedExportIsPutBackByTheNextRunWhenNothingElseChanged() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write(
            "shop.json", Self.manifest(exports: #"{ "root": "site", "files": { "img/{{prompt}}.png": "logo" } }"#))
        let made = await cli(workspace, ["run", manifest])
        #expect(made.status == 0, "\(made.err)")
        let stamped = await cli(workspace, ["run", manifest])
        #expect(stamped.status == 0, "\(stamped.err)")
        let noOp = await cli(workspace, ["run", manifest])
        #expect(noOp.err.contains("no-op:"), "the third run should have been a no-op: \(noOp.err)")

        let exported = workspace.url.appendingPathComponent("site/img/logo.png").path
        try FileManager.default.removeItem(atPath: exported)
        let again = await cli(workspace, ["run", manifest])
        #expect(again.status == 0, "\(again.err)")
        #expect(!again.err.contains("no-op:"), "\(again.err)")
        #expect(again.err.contains("site/img/logo.png\n") && again.err.contains("exported "), "\(again.err)")
        let stored = try blob(workspace, job: "logo/local-nano-banana-2_1x1_0.5K_v1")
        #expect(FileManager.default.contents(atPath: exported) == FileManager.default.contents(atPath: stored))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var exports: String
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "..", exports: #"{ "files": { "../site/{{prompt}}.png": "logo" } }"#,
            expected: #"exports.files["../site/{{prompt}}.png"]: ".." would leave the export root"#),
        Case(
            name: "absolute", exports: #"{ "files": { "/tmp/{{prompt}}.png": "logo" } }"#,
            expected: #"exports.files["/tmp/{{prompt}}.png"]: an export path is relative to its root, not absolute"#),
        Case(
            name: "into the store", exports: #"{ "files": { ".nanobatch/{{prompt}}.png": "logo" } }"#,
            expected: #"".nanobatch/" belongs to nanobatch"#),
        Case(
            name: "groups sharing a file", exports: #"{ "files": { "a/{{prompt}}-{{product}}.png": "hero" } }"#,
            expected: #""hero" has several ratio values, so several groups would share this file; add {{ratio}}"#),
        Case(
            name: "unknown source", exports: #"{ "files": { "a/{{prompt}}.png": "lgo" } }"#,
            expected: #""lgo" is neither a prompt id nor a step id (did you mean "logo"?)"#),
        Case(
            name: "placeholder the source lacks", exports: #"{ "files": { "a/{{prompt}}-{{product}}.png": "logo" } }"#,
            expected: #"unknown placeholder {{product}}"#),
    ]

    @Test(arguments: cases)
    func anExportPathThatEscapesOrCollidesIsAManifestError(_ check: Case) async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shop.json", Self.manifest(exports: check.exports))
        let result = await runCLI(["validate", manifest])
        #expect(result.status == ExitCode.usage.rawValue)
        #expect(result.err.contains(check.expected), "\(result.err)")
        #expect(result.err.contains("shop.json:6:27: error: exports.files["), "\(result.err)")
    }
}
