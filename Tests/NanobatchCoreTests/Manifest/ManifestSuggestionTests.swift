import Foundation
import Testing

@testable import NanobatchCore

/// "Did you mean …?" for misspelt manifest keys and enum values.
@Suite(.timeLimit(.minutes(2))) struct ManifestSuggestionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var manifest: String
        var path: String
        var hint: String
        var testDescription: String { name }
    }

    static let gemini = #"{ "g": { "dialect": "gemini", "apiKeyEnv": "GEMINI_API_KEY" } }"#

    static let cases: [Case] = [
        Case(name: "matrix key", manifest: baseManifest(matrixExtra: #", "varients": 2"#), path: "matrix.varients", hint: "variants"),
        Case(name: "top-level key", manifest: baseManifest(extra: #", "concurency": 2"#), path: "concurency", hint: "concurrency"),
        Case(
            name: "provider key", manifest: baseManifest(providers: #"{ "local": { "dialect": "offline", "latencyMS": 5 } }"#),
            path: "providers.local.latencyMS", hint: "latencyMs"),
        Case(
            name: "prompt key", manifest: baseManifest(prompts: #"[ { "id": "hero", "txet": "a", "text": "a" } ]"#),
            path: "matrix.prompts[0].txet", hint: "text"),
        Case(
            name: "dialect", manifest: baseManifest(providers: #"{ "local": { "dialect": "offlline" } }"#), path: "providers.local.dialect",
            hint: "offline"),
        Case(name: "aspect ratio", manifest: baseManifest(ratios: #"["1:1", "16;9"]"#), path: "matrix.aspectRatios[1]", hint: "16:9"),
        Case(
            name: "image size", manifest: baseManifest().replacingOccurrences(of: #""0.5K""#, with: #""4k""#), path: "matrix.imageSize",
            hint: "4K"),
        Case(name: "format", manifest: baseManifest(matrixExtra: #", "format": "pgn""#), path: "matrix.format", hint: "png"),
        Case(
            name: "model id",
            manifest: baseManifest(providers: gemini, models: #"["g:gemini-3-pro-imag"]"#, references: "[[]]", matrixExtra: ""),
            path: "matrix.models[0]", hint: "g:gemini-3-pro-image"),
        Case(
            name: "provider name", manifest: baseManifest(models: #"["locl:nano-banana-2"]"#), path: "matrix.models[0]",
            hint: "local:nano-banana-2"),
        Case(
            name: "step source", manifest: baseManifest(extra: #", "steps": [ { "id": "e", "from": "heor", "prompt": "x" } ]"#),
            path: "steps[0].from", hint: "hero"),
        Case(
            name: "pricing provider", manifest: baseManifest(extra: #", "pricing": { "locl:nano-banana-2": 0.1 }"#),
            path: #"pricing["locl:nano-banana-2"]"#, hint: "local:nano-banana-2"),
    ]

    @Test(arguments: cases)
    func misspellingGetsADidYouMean(_ test: Case) async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let file = try workspace.write("m.json", test.manifest)
        let result = await runCLI(["validate", file])
        #expect(result.status == 2)
        let line = result.err.split(separator: "\n").first { $0.contains(" error: \(test.path): ") }
        #expect(line?.contains("(did you mean \"\(test.hint)\"?)") == true, "\(result.err)")
    }

    @Test func noHintForAWordFarFromEveryKey() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let file = try workspace.write("m.json", baseManifest(matrixExtra: #", "colour": "red""#))
        let result = await runCLI(["validate", file])
        #expect(result.status == 2)
        #expect(result.err.contains("matrix.colour: unknown key \"colour\"; allowed keys:"), "\(result.err)")
    }
}
