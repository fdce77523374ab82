import Foundation
import Testing

@testable import NanobatchCore

/// The disk filling up after paid work: the real process under a file-size limit (`ulimit -f`, with
/// SIGXFSZ ignored, so a write past it fails with EFBIG as a full disk fails with ENOSPC).
@Suite(.timeLimit(.minutes(2))) struct DiskFullTests {
    @Test func aFullDiskAfterPaidWorkSaysSoKeepsTheImagesAndExitsFour() async throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let workspace = try TestWorkspace()
        // 240 jobs: the index (about 1 KB a job) outgrows the 100 KB limit; each image (about 60 KB) fits.
        let manifest = try workspace.write(
            "m.json",
            baseManifest(
                providers: #"{ "local": { "dialect": "offline", "concurrency": 8, "latencyMs": 0 } }"#, references: "[[]]",
                matrixExtra: #", "variants": 60"#))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "trap '' XFSZ; ulimit -f 200; exec \"$0\" run \"$1\" --output \"$2\" --quiet", executable.path, manifest,
            workspace.outputRoot.path,
        ]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 4, "\(stderr)")
        #expect(stderr.contains("could not write the reports") && stderr.contains("finished images are kept"), "\(stderr)")

        // Images that fit were stored; a rerun takes every one of them from the store.
        let stored = workspace.storedImages().count
        #expect(stored > 0)
        let rerun = await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(rerun.status == 0, "\(rerun.err)")
        #expect(try readIndex(workspace, manifest: "test")["totals"]?["cached"]?.numberValue == Double(stored), "paid work was lost")
    }
}
