import Foundation
import Testing

@testable import NanobatchCore

/// `validate -` (standard input) and `validate --json` (for editors and CI annotations).
@Suite(.timeLimit(.minutes(2))) struct ValidateCommandTests {
    @Test func dashReadsTheManifestFromStandardInput() async throws {
        let workspace = try TestWorkspace()
        let reference = try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let manifest = baseManifest(references: "[[], [\"\(reference)\"]]")
        let result = await runCLI(["validate", "-"], standardInput: Data(manifest.utf8))
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out == "<stdin>: valid — 8 jobs across 1 provider\n")
    }

    @Test func standardInputProblemsAreNamedStdinAndRelativePathsUseTheCurrentFolder() async throws {
        let manifest = baseManifest(references: #"[["refs/nowhere-\#(UUID().uuidString).png"]]"#, matrixExtra: #", "varients": 2"#)
        let result = await runCLI(["validate", "-"], standardInput: Data(manifest.utf8))
        #expect(result.status == 2)
        #expect(result.err.contains("<stdin>:10:26: error: matrix.varients: unknown key"), "\(result.err)")
        let current = FileManager.default.currentDirectoryPath
        #expect(result.err.contains("<stdin>:9:21: error: matrix.references[0][0]: reference file"), "\(result.err)")
        #expect(result.err.contains("(looked for \(current)/refs/nowhere-"), "\(result.err)")
    }

    func decode(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test func jsonListsEveryIssueWithFileLineColumnAndExitsTwo() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let file = try workspace.write(
            "m.json", baseManifest(ratios: #"["1:1", "16:10"]"#, references: #"[["refs/a.png"], ["refs/a.png"]]"#))
        let result = await runCLI(["validate", file, "--json"])
        #expect(result.status == 2)
        let report = try decode(result.out)
        #expect(report["valid"] == .bool(false))
        #expect(report["jobs"] == nil)
        let issues = report["issues"]?.arrayValue ?? []
        #expect(
            issues.first
                == .object(
                    JSONObject([
                        ("column", .number(29)), ("file", .string(file)), ("line", .number(7)),
                        (
                            "message",
                            .string(
                                "\"16:10\" is not one of \(ModelCatalog.extendedRatios.joined(separator: ", ")) (the closest supported ratio is \"3:2\")"
                            )
                        ),
                        ("path", .string("matrix.aspectRatios[1]")), ("severity", .string("error")),
                    ])), "\(result.out)")
        #expect(issues.last?["severity"] == .string("warning"))
        #expect(issues.last?["path"] == .string("matrix.references[1]"))
    }

    @Test func jsonForAValidManifestCountsItsJobsAndExitsZero() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let file = try workspace.write("m.json", baseManifest())
        let result = await runCLI(["validate", "--json", file])
        #expect(result.status == 0, "\(result.err)")
        #expect(try decode(result.out) == .object(JSONObject([("issues", .array([])), ("jobs", .number(8)), ("valid", .bool(true))])))
    }

    @Test func jsonForAMissingFileHasNoPosition() async throws {
        let result = await runCLI(["validate", "--json", "/nonexistent/m.json"])
        #expect(result.status == 2)
        let issue = try decode(result.out)["issues"]?.arrayValue?.first
        #expect(issue?["line"] == nil && issue?["file"] == .string("/nonexistent/m.json"))
        #expect(issue?["message"]?.stringValue?.hasPrefix("no such file") == true)
    }

    /// Only `validate` reads standard input; the others say so instead of looking for a file named "-".
    @Test func otherCommandsSayOnlyValidateReadsStandardInput() async {
        let result = await runCLI(["plan", "-"])
        #expect(result.status == 2)
        #expect(result.err.contains("only `validate` reads a manifest from standard input"), "\(result.err)")
    }
}
