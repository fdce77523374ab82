import Foundation
import Testing

@testable import NanobatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// Bit rot that keeps a blob's size and modification time: `verify` finds it, `run --verify` remakes it.
@Suite(.timeLimit(.minutes(2))) struct VerifyCommandTests {
    /// Flips one byte in the middle of `path`, then puts its modification time back to the nanosecond.
    func rot(_ path: String) throws {
        var before = stat()
        #expect(stat(path, &before) == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x5A
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: bytes)
        try handle.close()
        let times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, path, times, 0) == 0)
    }

    @Test func bitRotIsFoundByVerifyAndRemadeByRunVerify() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", baseManifest(references: "[[]]"))
        let output = workspace.outputRoot.path
        #expect(await runCLI(["run", manifest, "--output", output, "--quiet"]).status == 0)
        #expect(await runCLI(["verify", manifest, "--output", output]).status == 0)

        let index = try readIndex(workspace, manifest: "test")
        let row = try #require(index["jobs"]?.arrayValue?.first)
        let friendly = workspace.outputRoot.appendingPathComponent("test").appendingPathComponent(try #require(row["file"]?.stringValue))
            .path
        try rot(friendly)  // the friendly file is the store's blob (a hard link): both rot

        let verify = await runCLI(["verify", manifest, "--output", output])
        #expect(verify.status == 1, "\(verify.out)\(verify.err)")
        #expect(verify.out.contains("1 corrupt") && verify.out.contains("corrupt: test/\(row["file"]?.stringValue ?? "")"), "\(verify.out)")

        let rerun = await runCLI(["run", manifest, "--output", output, "--quiet", "--verify"])
        #expect(rerun.status == 0, "\(rerun.err)")
        let after = try readIndex(workspace, manifest: "test")
        #expect(after["totals"]?["made"]?.numberValue == 1, "the rotten image must be made again, and only it")
        #expect(ImageInspector.inspectFile(at: friendly) != nil, "the friendly file is whole again")
        #expect(await runCLI(["verify", manifest, "--output", output]).status == 0)
    }
}
