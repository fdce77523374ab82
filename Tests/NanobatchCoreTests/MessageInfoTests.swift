import Foundation
import Testing

@testable import NanobatchCore

/// Errors become text and exit statuses in one place; what the user reads says what happened to
/// their work and never shows a raw Foundation error dump.
@Suite(.timeLimit(.minutes(2))) struct MessageInfoTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var error: @Sendable () -> any Error
        var exitCode: ExitCode
        var text: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "usage error", error: { UsageError("--jobs needs a value", hint: "Run `nanobatch run --help` for its options.") },
            exitCode: .usage, text: "error: --jobs needs a value\nRun `nanobatch run --help` for its options.\n"),
        Case(
            name: "configuration error", error: { UsageError("provider \"g\" needs an API key: set the environment variable K") },
            exitCode: .usage, text: "error: provider \"g\" needs an API key: set the environment variable K\n"),
        Case(
            name: "manifest error",
            error: { ManifestError(file: "m.json", issues: [ManifestIssue(path: "name", message: "is missing", line: 3, column: 5)]) },
            exitCode: .usage, text: "m.json:3:5: error: name: is missing\n"),
        Case(
            name: "unreadable reference", error: { PlanError(message: "cannot read reference file \"a.png\"") }, exitCode: .usage,
            text: "error: cannot read reference file \"a.png\"\n"),
        Case(
            name: "busy root before work", error: { BuildFailure.busy("/out", moment: .beforeWork) }, exitCode: .cannotContinue,
            text: "error: could not use /out: another nanobatch run is using it; wait for it to finish; nothing was run\n"),
        Case(
            name: "reports after work",
            error: { BuildFailure("write the reports of m", because: "No space left on device", moment: .afterWork) },
            exitCode: .cannotContinue,
            text:
                "error: could not write the reports of m: No space left on device; finished images are kept in the store, run again to finish\n"
        ),
        Case(
            name: "busy root, no work", error: { BuildFailure.busy("/out", moment: .noWork) }, exitCode: .cannotContinue,
            text: "error: could not use /out: another nanobatch run is using it; wait for it to finish\n"),
        Case(
            name: "Foundation error with the system's reason",
            error: {
                CocoaError(.fileWriteNoPermission, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
            },
            exitCode: .cannotContinue, text: "error: Permission denied\n"),
        Case(
            name: "our own error", error: { FileIO.Failure(operation: "rename", path: "/a", code: ENOSPC) }, exitCode: .cannotContinue,
            text: "error: rename /a: No space left on device\n"),
    ]

    @Test(arguments: cases)
    func textAndExitCode(_ example: Case) {
        let message = MessageInfo(example.error())
        #expect(message.exitCode == example.exitCode)
        #expect(message.text == example.text)
        #expect(!message.text.contains("Domain="))
    }

    @Test func aFoundationFileErrorIsDescribedByItsSystemReason() throws {
        let workspace = try TestWorkspace()
        let file = try workspace.write("taken", "a file, not a folder")
        var caught: (any Error)?
        do { try FileIO.createDirectory(file + "/inside") } catch { caught = error }
        let error = try #require(caught)
        #expect(BuildFailure.describe(error) == "mkdir \(file): Not a directory", "\(error)")
    }

    @Test(.timeLimit(.minutes(1)))
    func anOutputRootThatIsAFileIsAClearErrorBeforeAnyWork() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", Self.manifest)
        let taken = try workspace.write("taken", "a file")
        let result = await runCLI(["run", path, "--output", taken + "/out", "--quiet"])
        #expect(result.status == ExitCode.cannotContinue.rawValue)
        #expect(result.err == "error: could not create the output root \(taken)/out: mkdir \(taken): Not a directory; nothing was run\n")
    }

    @Test(.timeLimit(.minutes(1)))
    func aReportWriteThatFailsAfterJobsRanSaysTheImagesAreKept() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", Self.manifest)
        // A folder where index.json should go: the rename onto it fails after the jobs are made.
        try FileManager.default.createDirectory(
            at: workspace.outputRoot.appendingPathComponent("m/index.json/x"),
            withIntermediateDirectories: true)
        let result = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(result.status == ExitCode.cannotContinue.rawValue)
        #expect(result.err.contains("\nerror: could not write the reports of m: "), "\(result.err)")
        #expect(result.err.hasSuffix("; finished images are kept in the store, run again to finish\n"))
        let stored = workspace.storedImages()
        #expect(stored.count == 2)
    }

    @Test(.timeLimit(.minutes(1)))
    func aRootInUseIsSaidOnceWithExitFour() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", Self.manifest)
        let build = try Build.load(manifestPath: path, outputOption: workspace.outputRoot.path)
        let held = try build.lock(.beforeWork)
        let result = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"])
        withExtendedLifetime(held) {}
        #expect(result.status == ExitCode.cannotContinue.rawValue)
        #expect(
            result.err
                == "error: could not use \(workspace.outputRoot.path): another nanobatch run is using it; wait for it to finish; nothing was run\n"
        )
    }

    static let manifest = """
        { "version": 1, "name": "m", "providers": { "local": { "dialect": "offline" } },
          "matrix": { "prompts": [ { "id": "p", "text": "a cube" } ], "aspectRatios": ["1:1", "16:9"], "models": ["local:x"] } }
        """
}
