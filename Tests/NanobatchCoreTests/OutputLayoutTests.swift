import Foundation
import Testing

@testable import NanobatchCore

/// Every path under an output root comes from `OutputLayout`; the store, journal and stamps use it.
@Suite(.timeLimit(.minutes(2))) struct OutputLayoutTests {
    @Test func pathsUnderTheRoot() throws {
        let layout = OutputLayout(root: URL(fileURLWithPath: "/out/./builds/../site"))
        #expect(layout.rootPath == "/out/site")
        #expect(layout.lockPath == "/out/site/.nanobatch/lock")
        #expect(layout.journalPath == "/out/site/.nanobatch/journal")
        #expect(layout.storeDirectory == "/out/site/.nanobatch/store")
        #expect(layout.entriesLogPath == "/out/site/.nanobatch/entries.log")
        #expect(layout.stampPath(manifest: "nightly") == "/out/site/.nanobatch/stamps/nightly.stamp")
        #expect(layout.reportPath(.html, manifest: "nightly") == "/out/site/nightly/index.html")
        #expect(OutputLayout.storeRelativePath(shard: "ab", name: "abcd.png") == ".nanobatch/store/ab/abcd.png")
    }

    @Test func theStoreAndTheJournalLiveWhereTheLayoutSays() throws {
        let workspace = try TestWorkspace()
        let layout = OutputLayout(root: workspace.outputRoot)
        let store = ContentStore(root: workspace.outputRoot)
        #expect(store.storeDirectory == layout.storeDirectory && store.logPath == layout.entriesLogPath)
        let journal = try SubmissionJournal(root: workspace.outputRoot) { _ in false }
        #expect(journal.path == layout.journalPath)
    }

    @Test func friendlyFilesAreNamedByPromptOrStepAndJob() throws {
        let json = """
            { "version": 1, "name": "m", "providers": { "local": { "dialect": "offline" } },
              "matrix": { "prompts": [ { "id": "hero", "text": "a cube" } ], "aspectRatios": ["16:9"], "models": ["local:nano-banana-2"],
                          "imageSize": "2K" },
              "steps": [ { "id": "night", "from": "hero", "prompt": "at night" } ] }
            """
        let jobs = Planner.expand(try ManifestLoader.decode(Data(json.utf8), file: "m.json", directory: URL(fileURLWithPath: "/m")))
        let layout = OutputLayout(root: URL(fileURLWithPath: "/out"))
        #expect(layout.friendlyPath(jobs.jobs[0], .png, manifest: "m") == "/out/m/hero/local-nano-banana-2_16x9_2K_v1.png")
        #expect(OutputLayout.friendlyName(jobs.jobs[1], .jpeg) == "night/local-nano-banana-2_16x9_2K_v1.jpg")
    }
}
