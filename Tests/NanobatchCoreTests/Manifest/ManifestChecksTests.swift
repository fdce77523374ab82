import Foundation
import Testing

@testable import NanobatchCore

/// Mistakes that used to pass `validate`: now errors, or labelled warnings where a run can still be right.
@Suite(.timeLimit(.minutes(2))) struct ManifestChecksTests {
    func validate(_ manifest: String, files: [String: Data] = [:], in folder: String = "") async throws -> (CLIResult, String) {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        for (name, data) in files { try workspace.write(name, data: data) }
        let file = try workspace.write(folder + "m.json", manifest)
        return (await runCLI(["validate", file]), file)
    }

    @Test func imageSizeOnAModelWithoutSizesIsAnError() async throws {
        let manifest = baseManifest(
            providers: #"{ "o": { "dialect": "openai-images", "baseURL": "https://gw.example", "apiKeyEnv": "GW_API_KEY" } }"#,
            models: #"["o:nano-banana"]"#, references: "[[]]")
        let (result, file) = try await validate(manifest)
        #expect(result.status == 2)
        #expect(
            result.err.contains("\(file):10:5: error: matrix.imageSize: \"0.5K\" cannot be asked of o:nano-banana"),
            "\(result.err)")
    }

    @Test func imageSizeReachingSomeFixedSizeModelsIsAWarning() async throws {
        let manifest = baseManifest(
            providers:
                #"{ "g": { "dialect": "gemini", "apiKeyEnv": "GEMINI_API_KEY" }, "o": { "dialect": "openai-images", "baseURL": "https://gw.example", "apiKeyEnv": "GW_API_KEY" } }"#,
            models: #"["o:nano-banana", "g:gemini-3.1-flash-image"]"#, references: "[[]]")
        let (result, file) = try await validate(manifest)
        #expect(result.status == 0, "\(result.err)")
        #expect(
            result.err.contains(
                "\(file):10:5: warning: matrix.imageSize: \"0.5K\" is not sent to o:nano-banana, which makes one fixed size"),
            "\(result.err)")
    }

    /// A prompt with an error of its own is still a prompt a step may name: one error, not two.
    @Test func aStepFromAPromptWithItsOwnErrorGetsNoSecondError() async throws {
        let manifest = baseManifest(
            prompts: #"[ { "id": "hero", "txt": "A red cube" } ]"#,
            extra: #", "steps": [ { "id": "edit", "from": "hero", "prompt": "x" } ]"#)
        let (result, _) = try await validate(manifest)
        #expect(result.status == 2)
        #expect(result.err.contains("unknown key \"txt\""), "\(result.err)")
        #expect(!result.err.contains("steps[0]"), "\(result.err)")
    }

    @Test func stepThatKeepsNoSourceJobIsAnError() async throws {
        let manifest = baseManifest(extra: #", "steps": [ { "id": "edit", "from": "hero", "prompt": "x", "aspectRatios": ["9:16"] } ]"#)
        let (result, _) = try await validate(manifest)
        #expect(result.status == 2)
        #expect(
            result.err.contains("error: steps[0].from: no job of \"hero\" matches this step's models and aspectRatios"), "\(result.err)")
    }

    @Test(arguments: [
        ("notes.png", Data("hello\n".utf8), "a text file"),
        ("data.png", Data(#"{"a": 1}"#.utf8), "JSON text"),
        ("page.png", Data("<html></html>".utf8), "an HTML, XML or SVG document"),
        ("doc.png", Data("%PDF-1.7".utf8), "a PDF document"),
        ("empty.png", Data(), "an empty file"),
        ("blob.png", Data([0, 1, 2, 3, 4]), "unknown binary data (it starts with 00 01 02 03)"),
    ])
    func nonImageReferenceIsAnError(_ name: String, _ bytes: Data, _ looksLike: String) async throws {
        let (result, _) = try await validate(baseManifest(references: "[[\"refs/\(name)\"]]"), files: ["refs/\(name)": bytes])
        #expect(result.status == 2)
        #expect(
            result.err.contains(
                "error: matrix.references[0][0]: reference file \"refs/\(name)\" is not a PNG, JPEG, WebP or GIF image: it looks like \(looksLike)"
            ),
            "\(result.err)")
    }

    @Test func imagesOfEveryAcceptedFormatPass() {
        let heads: [[UInt8]] = [
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0], [0xFF, 0xD8, 0xFF, 0xE0], Array("GIF89a..".utf8),
            Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8),
        ]
        for head in heads { #expect(ReferenceFileKind.describe(head) == nil, "\(head)") }
    }

    @Test func aSystemFileReachedByDotDotIsRefused() async throws {
        // The workspace sits two folders below /, so ../../../etc/hostname is /etc/hostname.
        try #require(FileManager.default.fileExists(atPath: "/etc/hostname"))
        let (result, _) = try await validate(baseManifest(references: #"[["../../../etc/hostname"]]"#), in: "a/")
        #expect(result.status == 2)
        #expect(result.err.contains("\"../../../etc/hostname\" is not a PNG, JPEG, WebP or GIF image"), "\(result.err)")
    }

    @Test func duplicateReferenceSetsWarnButValidateAndPlanPass() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let file = try workspace.write("m.json", baseManifest(references: #"[["refs/a.png"], [], ["refs/a.png"]]"#))
        let expected = "\(file):9:40: warning: matrix.references[2]: lists the same references as matrix.references[0]"
        let validate = await runCLI(["validate", file])
        #expect(validate.status == 0, "\(validate.err)")
        #expect(validate.err.contains(expected), "\(validate.err)")
        let plan = await runCLI(["plan", file, "--output", workspace.outputRoot.path])
        #expect(plan.status == 0, "\(plan.err)")
        #expect(plan.err.contains(expected), "\(plan.err)")
    }

    @Test func aBuildOfMoreThanAHundredThousandJobsWarnsWithItsCount() async throws {
        let prompts = (1...60).map { #"{ "id": "p\#($0)", "text": "t\#($0)" }"# }.joined(separator: ", ")
        let manifest = baseManifest(prompts: "[\(prompts)]", references: "[[]]", matrixExtra: #", "variants": 1000"#)
        let (result, file) = try await validate(manifest)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("120000 jobs"))
        #expect(result.err.contains("\(file):1:1: warning: the manifest expands to 120000 jobs (more than 100000)"), "\(result.err)")
    }

    @Test func countedJobsAgreeWithThePlanner() throws {
        let prompts = (1...50).map { #"{ "id": "p\#($0)", "text": "t\#($0)" }"# }.joined(separator: ", ")
        let steps = #"""
            , "steps": [ { "id": "f", "from": "e", "prompt": "y", "variants": 3 },
                         { "id": "e", "from": "p1", "prompt": "x", "aspectRatios": ["16:9"], "variants": 2 } ]
            """#
        let manifest = baseManifest(prompts: "[\(prompts)]", references: "[[]]", extra: steps, matrixExtra: #", "variants": 1000"#)
        let decoded = try ManifestLoader.decode(Data(manifest.utf8), file: "m.json", directory: URL(fileURLWithPath: "/"))
        let planned = Planner.expand(decoded).jobs.count
        #expect(planned == 50 * 2 * 1000 + 1000 * 2 + 1000 * 2 * 3)
        #expect(
            decoded.warnings.map(\.message) == [
                "the manifest expands to \(planned) jobs (more than 100000); check the matrix and its variants before running"
            ])
    }
}
