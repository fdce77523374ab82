import Foundation
import Testing

@testable import NanobatchCore

/// Manifests are JSON with comments; provider responses stay strict JSON.
@Suite(.timeLimit(.minutes(2))) struct ManifestCommentsTests {
    static let commented = """
        // nightly build of the hero shots
        {
          "version": 1, /* the only version */
          "name": "nightly",
          "providers": { "local": { "dialect": "offline" } }, // no network
          "matrix": {
            "prompts": [ { "id": "hero", "text": "a // not a comment /* nor this */" } ],
            /* several
               lines */
            "aspectRatios": ["1:1"],
            "models": ["local:nano-banana-2"]
          }
        }
        // the end
        """

    @Test func manifestAcceptsLineAndBlockComments() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", ManifestCommentsTests.commented)
        let result = await runCLI(["validate", manifest])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("valid — 1 job"))
        let loaded = try ManifestLoader.load(path: manifest)
        #expect(loaded.matrix.prompts.first?.text == "a // not a comment /* nor this */")
    }

    @Test func strictParserRefusesCommentsAndSaysWhy() throws {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(ManifestCommentsTests.commented) }
        do {
            _ = try JSONParser.parse("{\"a\": /* x */ 1}")
            Issue.record("a comment was accepted by the strict parser")
        } catch let error as JSONSyntaxError {
            #expect(error.message.contains("comments are not allowed"), "\(error)")
            #expect(error.line == 1 && error.column == 7)
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(try JSONParser.parse("[1, /* x */ 2] // y", allowsComments: true) == .array([.number(1), .number(2)]))
    }

    @Test func unterminatedBlockCommentIsPlacedWhereItOpens() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", "{\n  \"version\": 1,\n    /* never closed\n  \"name\": \"x\"\n}\n")
        let result = await runCLI(["validate", manifest])
        #expect(result.status == 2)
        #expect(result.err.contains("\(manifest):3:5: error: invalid JSON: unterminated block comment"), "\(result.err)")
    }

    @Test(arguments: ["{\"a\": 1 / 2}", "{\"a\": 1} /", "/ {}"])
    func loneSlashIsASyntaxError(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text, allowsComments: true) }
    }

    @Test func syntaxErrorsPrintFileLineColumn() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", "{\n  \"version\": 1,\n  \"name\": \"x\",,\n}")
        let result = await runCLI(["validate", manifest])
        #expect(result.status == 2)
        #expect(result.err.hasPrefix("\(manifest):3:15: error: invalid JSON: "), "\(result.err)")
    }
}
