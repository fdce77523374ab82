import Foundation
import Testing

@testable import NanobatchCore

/// The no-op path: a run whose previous run found everything cached, and for which nothing changed since,
/// says so after one stat per file and leaves every file alone; any change sends it back to the full check.
@Suite(.timeLimit(.minutes(5))) struct BuildStampTests {
    struct Build {
        let workspace: TestWorkspace
        let manifest: String
        var folder: URL { workspace.outputRoot.appendingPathComponent("test") }
        var stamp: String { OutputLayout(root: workspace.outputRoot).stampPath(manifest: "test") }

        init(_ json: String = baseManifest()) throws {
            workspace = try TestWorkspace()
            try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
            manifest = try workspace.write("m.json", json)
        }

        func run(_ extra: [String] = [], override: (@Sendable (ProviderConfig) -> (any ImageProvider)?)? = nil) async -> CLIResult {
            await runCLI(["run", manifest, "--output", workspace.outputRoot.path] + extra, providerOverride: override)
        }

        /// Runs until the stamp is written: a build that makes images, then the full check that finds all cached.
        func settle() async throws {
            for _ in 0..<2 where !FileManager.default.fileExists(atPath: stamp) {
                let result = await run()
                #expect(result.status == 0, "\(result.err)")
            }
            #expect(FileManager.default.fileExists(atPath: stamp))
        }

        func rows() throws -> [JSONValue] { try readIndex(workspace, manifest: "test").jobRows }
    }

    static func isNoOp(_ result: CLIResult) -> Bool { result.err.contains("no-op:") }

    @Test func aRunAfterAFullyCachedRunTouchesNothingAndSaysWhatAFullRunWould() async throws {
        let build = try Build()
        let first = await build.run()
        #expect(first.status == 0 && !Self.isNoOp(first))
        #expect(!FileManager.default.fileExists(atPath: build.stamp), "a run that made images writes no stamp")
        let check = await build.run()
        #expect(check.status == 0 && !Self.isNoOp(check))
        #expect(FileManager.default.fileExists(atPath: build.stamp))
        let index = build.folder.appendingPathComponent("index.json").path
        let before = try #require(FileStatus.of(index))
        let noOp = await build.run()
        #expect(noOp.status == 0 && Self.isNoOp(noOp), "\(noOp.err)")
        #expect(FileStatus.of(index) == before, "the no-op leaves the reports as they are")
        let jobs = try build.rows().count
        // The summary line is the one the full check printed.
        let summary =
            "test: 0 made, \(jobs) cached, 0 failed, 0 skipped · spent $0.00\nsince the previous build: 0 new, 0 made again, \(jobs) unchanged, 0 removed\n"
        #expect(check.err.contains(summary) && noOp.err.contains(summary), "\(check.err)\n---\n\(noOp.err)")
        #expect(try build.rows().allSatisfy { $0["status"]?.stringValue == "cached" })
    }

    @Test func everyChangeSendsTheNextRunBackToTheFullCheck() async throws {
        let build = try Build()
        try await build.settle()
        let rows = try build.rows()
        let firstFile = build.folder.appendingPathComponent(try #require(rows.first?["file"]?.stringValue)).path
        let lastRow = try #require(rows.last)
        let changes: [(String, () throws -> Void, [String])] = [
            ("manifest bytes", { try build.workspace.write("m.json", baseManifest() + "\n") }, []),
            ("friendly file removed", { try FileManager.default.removeItem(atPath: firstFile) }, []),
            (
                "friendly file touched",
                {
                    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: firstFile)
                }, []
            ),
            (
                "store blob removed",
                {
                    try FileManager.default.removeItem(
                        at: build.workspace.outputRoot.appendingPathComponent(lastRow["storePath"]?.stringValue ?? "?"))
                }, []
            ),
            ("index.html removed", { try FileManager.default.removeItem(at: build.folder.appendingPathComponent("index.html")) }, []),
            ("budget option", {}, ["--max-cost", "100"]),
            ("reference bytes", { try build.workspace.write("refs/a.png", data: smallPNG(seed: "b")) }, []),
            (
                "stamp torn",
                {
                    let data = try Data(contentsOf: URL(fileURLWithPath: build.stamp))
                    try data.dropLast(5).write(to: URL(fileURLWithPath: build.stamp))
                }, []
            ),
        ]
        for (name, change, options) in changes {
            try change()
            let after = await build.run(options)
            #expect(after.status == 0 && !Self.isNoOp(after), "\(name): \(after.err)")
            try await build.settle()
            #expect(Self.isNoOp(await build.run(options)), "\(name): the build settles back into a no-op")
        }
        // The full checks repaired what was removed.
        #expect(FileManager.default.fileExists(atPath: firstFile))
        #expect(FileManager.default.fileExists(atPath: build.folder.appendingPathComponent("index.html").path))
        #expect(
            FileManager.default.fileExists(
                atPath: build.workspace.outputRoot.appendingPathComponent(lastRow["storePath"]?.stringValue ?? "?").path))
    }

    /// A cached job whose friendly file is some other file (edited, copied over) gets its stored
    /// image back; the ones that already are their stored image are left as they are.
    @Test func aFriendlyFileThatIsNotTheStoredImageIsPutBack() async throws {
        let build = try Build()
        try await build.settle()
        let rows = try build.rows()
        let files = try rows.map { build.folder.appendingPathComponent(try #require($0["file"]?.stringValue)).path }
        let blobs = try rows.map { build.workspace.outputRoot.appendingPathComponent(try #require($0["storePath"]?.stringValue)).path }
        let untouched = try #require(FileStatus.of(files[1]))
        try FileManager.default.removeItem(atPath: files[0])
        try Data("edited by hand".utf8).write(to: URL(fileURLWithPath: files[0]))
        #expect(await build.run().status == 0)
        #expect(FileIO.inode(files[0])! == FileIO.inode(blobs[0])!, "the stored image is back")
        #expect(FileStatus.of(files[1]) == untouched, "a friendly file that is its stored image is not rewritten")
    }

    @Test func changedReferenceBytesAreRemadeNotSkipped() async throws {
        let build = try Build()
        try await build.settle()
        try build.workspace.write("refs/a.png", data: smallPNG(seed: "changed"))
        #expect(await build.run().status == 0)
        let made = try build.rows().filter { $0["status"]?.stringValue == "made" }
        #expect(!made.isEmpty && made.allSatisfy { ($0["references"]?.arrayValue?.count ?? 0) > 0 })
    }

    @Test func aCachedRunThatChangedTheBuildWritesNoStampYet() async throws {
        let build = try Build()
        try await build.settle()
        // One prompt fewer: every remaining job is cached, but the build lost jobs, so its reports
        // (diff.removed) differ from what the next full run would write.
        let fewer = baseManifest(prompts: #"[ { "id": "hero", "text": "A red cube" } ]"#)
        try build.workspace.write("m.json", fewer)
        let shrunk = await build.run()
        #expect(shrunk.status == 0 && shrunk.err.contains("0 made") && shrunk.err.contains("removed"), "\(shrunk.err)")
        #expect(!FileManager.default.fileExists(atPath: build.stamp))
        let next = await build.run()
        #expect(!Self.isNoOp(next) && next.err.contains(", 0 removed"), "\(next.err)")
        #expect(FileManager.default.fileExists(atPath: build.stamp))
    }

    @Test func aRunWithAFailureWritesNoStamp() async throws {
        let build = try Build()
        let failed = await build.run(override: { _ in FailingProvider(inner: OfflineProvider(), marker: "red cube") })
        #expect(failed.status != 0)
        #expect(!FileManager.default.fileExists(atPath: build.stamp))
        #expect(await build.run().status == 0)  // makes the images
        #expect(!FileManager.default.fileExists(atPath: build.stamp))
    }

    @Test func reportAndCleanDropTheStamp() async throws {
        let build = try Build()
        try await build.settle()
        let report = await runCLI(["report", build.manifest, "--output", build.workspace.outputRoot.path])
        #expect(report.status == 0)
        #expect(!FileManager.default.fileExists(atPath: build.stamp))
        try await build.settle()
        let clean = await runCLI(["clean", build.manifest, "--output", build.workspace.outputRoot.path, "--yes"])
        #expect(clean.status == 0)
        #expect(!FileManager.default.fileExists(atPath: build.stamp))
    }

    @Test func theCheckSpansWorkersAbsentFilesAndPathsOutsideTheRoot() throws {
        let workspace = try TestWorkspace()
        let root = workspace.outputRoot.path
        var files: [String] = []
        for index in 0..<5000 {
            files.append(try workspace.write("output/f\(index / 500)/\(index).txt", "\(index)"))
        }
        let outside = try workspace.write("elsewhere/ref.txt", "reference")
        let absent = "\(root)/not-yet/there.txt"
        files += [outside, absent, "\(root)/top.txt"]
        try workspace.write("output/top.txt", "top")
        let stamp = "\(root)/.nanobatch/stamps/t.stamp"
        #expect(try BuildStamp.write(to: stamp, context: "c1", jobs: 7, root: root, files: files))
        #expect(BuildStamp.check(at: stamp, context: "c1", root: root) == 7)
        #expect(BuildStamp.check(at: stamp, context: "c2", root: root) == nil, "another context")
        // One change anywhere (middle of the list, outside the root, a file that appeared) fails the check.
        for (path, restore) in [(files[2777], "2777"), (outside, "reference")] {
            try "changed".write(toFile: path, atomically: false, encoding: .utf8)
            #expect(BuildStamp.check(at: stamp, context: "c1", root: root) == nil, "\(path)")
            try FileManager.default.removeItem(atPath: path)
            try restore.write(toFile: path, atomically: false, encoding: .utf8)
            try BuildStamp.write(to: stamp, context: "c1", jobs: 7, root: root, files: files)
            #expect(BuildStamp.check(at: stamp, context: "c1", root: root) == 7)
        }
        try workspace.write("output/not-yet/there.txt", "now here")
        #expect(BuildStamp.check(at: stamp, context: "c1", root: root) == nil, "a file recorded absent appeared")
        #expect(
            try !BuildStamp.write(to: stamp, context: "c1", jobs: 1, root: root, files: ["\(root)/new\nline"]),
            "a path that cannot be one line is not stamped")
    }
}
