import Foundation
import Testing

@testable import NanobatchCore

/// A valid manifest; tests patch one piece of it at a time.
func baseManifest(
    providers: String = #"{ "local": { "dialect": "offline", "concurrency": 4 } }"#,
    prompts: String = #"[ { "id": "hero", "text": "A red cube" }, { "id": "shelf", "text": "A shelf of cubes" } ]"#,
    ratios: String = #"["1:1", "16:9"]"#,
    models: String = #"["local:nano-banana-2"]"#,
    references: String = #"[[], ["refs/a.png"]]"#,
    extra: String = "",
    matrixExtra: String = ""
) -> String {
    """
    {
      "version": 1,
      "name": "test",
      "providers": \(providers),
      "matrix": {
        "prompts": \(prompts),
        "aspectRatios": \(ratios),
        "models": \(models),
        "references": \(references),
        "imageSize": "0.5K"\(matrixExtra)
      }\(extra)
    }
    """
}

@Suite(.timeLimit(.minutes(2))) struct ManifestValidationTests {
    /// Each bad manifest, the JSON path its message must name, and words it must contain.
    static let cases: [(String, String, String, String)] = [
        ("wrong type", baseManifest(ratios: #""1:1""#), "matrix.aspectRatios", "expected an array"),
        ("unknown key", baseManifest(matrixExtra: #", "varients": 2"#), "matrix.varients", "unknown key"),
        (
            "retry attempts", baseManifest(providers: #"{ "local": { "dialect": "offline", "retry": { "maxAttempts": 0 } } }"#),
            "providers.local.retry.maxAttempts", "out of range"
        ),
        (
            "retry delays",
            baseManifest(
                providers: #"{ "local": { "dialect": "offline", "retry": { "initialDelaySeconds": 5, "maximumDelaySeconds": 1 } } }"#),
            "providers.local.retry.maximumDelaySeconds", "below initialDelaySeconds"
        ),
        (
            "cycle",
            baseManifest(extra: #", "steps": [ { "id": "a", "from": "b", "prompt": "x" }, { "id": "b", "from": "a", "prompt": "y" } ]"#),
            "steps[0].from", "cycle"
        ),
        (
            "unknown step source", baseManifest(extra: #", "steps": [ { "id": "a", "from": "nowhere", "prompt": "x" } ]"#),
            "steps[0].from", "neither a prompt id nor a step id"
        ),
        (
            "duplicate id", baseManifest(prompts: #"[ { "id": "hero", "text": "a" }, { "id": "hero", "text": "b" } ]"#),
            "matrix.prompts[1].id", "duplicate prompt id"
        ),
        ("unsafe id", baseManifest(prompts: #"[ { "id": "../x", "text": "a" } ]"#), "matrix.prompts[0].id", "not a safe id"),
        ("missing file", baseManifest(references: #"[["refs/missing.png"]]"#), "matrix.references[0][0]", "does not exist"),
        ("unsupported ratio", baseManifest(ratios: #"["1:1", "7:9"]"#), "matrix.aspectRatios[1]", "\"7:9\" is not one of 1:1, 2:3"),
        (
            "ratio the model lacks",
            baseManifest(
                providers: #"{ "g": { "dialect": "gemini", "apiKeyEnv": "GEMINI_API_KEY" } }"#, ratios: #"["1:1", "1:4"]"#,
                models: #"["g:gemini-3-pro-image"]"#, references: "[[]]"),
            "matrix.aspectRatios[1]", "not supported by g:gemini-3-pro-image"
        ),
        (
            "size the model lacks",
            baseManifest(
                providers: #"{ "g": { "dialect": "gemini", "apiKeyEnv": "GEMINI_API_KEY" } }"#,
                models: #"["g:gemini-3-pro-image"]"#, references: "[[]]"),
            "matrix.imageSize", "\"0.5K\" is not offered by g:gemini-3-pro-image"
        ),
        ("unknown provider", baseManifest(models: #"["nope:nano-banana-2"]"#), "matrix.models[0]", "unknown provider \"nope\""),
        ("unknown dialect", baseManifest(providers: #"{ "local": { "dialect": "dalle" } }"#), "providers.local.dialect", "is not one of"),
        (
            "key pasted in place of its variable",
            baseManifest(
                providers: #"{ "local": { "dialect": "offline" }, "g": { "dialect": "gemini", "apiKeyEnv": "AIza-secret-key-0123" } }"#),
            "providers.g.apiKeyEnv", "name of an environment variable"
        ),
        (
            "local file for a URL-only dialect",
            baseManifest(providers: #"{ "m": { "dialect": "mountsea", "apiKeyEnv": "MOUNTSEA_KEY" } }"#, models: #"["m:nano-banana-2"]"#),
            "matrix.references[1][0]", "only takes http(s) URLs"
        ),
        (
            "too many references",
            baseManifest(
                providers: #"{ "e": { "dialect": "evolink", "apiKeyEnv": "EVOLINK_KEY" } }"#, ratios: #"["1:1"]"#,
                models: #"["e:nano-banana-beta"]"#,
                references:
                    #"[["https://a.example/1.png","https://a.example/2.png","https://a.example/3.png","https://a.example/4.png","https://a.example/5.png","https://a.example/6.png"]]"#,
                matrixExtra: ""),
            "matrix.references[0]", "accepts at most 5"
        ),
        ("version", baseManifest().replacingOccurrences(of: #""version": 1"#, with: #""version": 9"#), "version", "not supported"),
        (
            "prompt widens ratios", baseManifest(prompts: #"[ { "id": "hero", "text": "a", "aspectRatios": ["9:16"] } ]"#),
            "matrix.prompts[0].aspectRatios[0]", "can only narrow"
        ),
        (
            "negative price", baseManifest(extra: #", "pricing": { "local:nano-banana-2": -1 }"#), "pricing[\"local:nano-banana-2\"]",
            "expected a price"
        ),
    ]

    @Test(arguments: 0..<cases.count)
    func badManifestNamesItsPathAndExitsTwo(_ index: Int) async throws {
        let (name, json, path, words) = ManifestValidationTests.cases[index]
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let manifest = try workspace.write("m.json", json)
        let result = await runCLI(["validate", manifest])
        #expect(result.status == 2, "\(name): exit status")
        #expect(result.err.contains("\(path): "), "\(name): message should name \(path); got:\n\(result.err)")
        #expect(result.err.contains(words), "\(name): message should say \(words); got:\n\(result.err)")
        // `run` refuses the same manifest before touching the output root.
        let run = await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(run.status == 2)
        #expect(!FileManager.default.fileExists(atPath: workspace.outputRoot.path))
    }

    @Test func everyProblemIsReportedAtOnce() async throws {
        let workspace = try TestWorkspace()
        let json = baseManifest(
            prompts: #"[ { "id": "../x", "text": "" } ]"#, ratios: #"["7:9"]"#, references: #"[["nope.png"]]"#,
            matrixExtra: #", "colour": "red""#)
        let manifest = try workspace.write("m.json", json)
        let result = await runCLI(["validate", manifest])
        #expect(result.status == 2)
        for path in [
            "matrix.prompts[0].id", "matrix.prompts[0].text", "matrix.aspectRatios[0]", "matrix.references[0][0]", "matrix.colour",
        ] {
            #expect(result.err.contains(path + ":"), "missing \(path) in:\n\(result.err)")
        }
    }

    @Test func syntaxErrorsGiveLineAndColumn() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", "{\n  \"version\": 1,\n  \"name\": \"x\",,\n}")
        let result = await runCLI(["validate", manifest])
        #expect(result.status == 2)
        #expect(result.err.contains("m.json:3:15: error: invalid JSON"), "got: \(result.err)")
    }

    @Test func validManifestPassesWithJobCount() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let manifest = try workspace.write("m.json", baseManifest())
        let result = await runCLI(["validate", manifest])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("8 jobs"))
    }

    @Test func usageErrorsExitTwo() async {
        #expect(await runCLI(["frobnicate"]).status == 2)
        #expect(await runCLI(["run"]).status == 2)
        let missing = await runCLI(["run", "/nonexistent/m.json"])
        #expect(missing.status == 2 && missing.err.contains("no such file"))
        #expect(await runCLI(["plan", "m.json", "--bogus"]).err.contains("unknown option --bogus"))
        #expect(await runCLI(["run", "m.json", "--concurrency", "zero"]).status == 2)
    }
}

@Suite(.timeLimit(.minutes(2))) struct JSONParserTests {
    @Test func keepsKeyOrderAndTypes() throws {
        let value = try JSONParser.parse(#"{"b": 1, "a": [true, null, "x\u00e9\ud83d\ude00"], "c": -2.5e1}"#)
        #expect(value.objectValue?.keys == ["b", "a", "c"])
        #expect(value["a"]?.arrayValue == [.bool(true), .null, .string("xé😀")])
        #expect(value["c"]?.numberValue == -25)
    }

    @Test(arguments: ["{\"a\":1,}", "[1 2]", "{\"a\":1,\"a\":2}", "\"\\x\"", "01", "[", "nul", "\"\u{01}\"", "{} x", "\"\\ud800\""])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text) }
    }

    @Test func capsNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
    }
}

@Suite(.timeLimit(.minutes(2))) struct SchemaTests {
    static var schemaURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("manifests/nanobatch.schema.json")
    }

    func properties(_ value: JSONValue?) -> [String] {
        (value?["properties"]?.objectValue?.keys ?? []).sorted()
    }

    @Test func schemaKeysMatchTheDecoder() throws {
        let schema = try JSONParser.parse(Data(contentsOf: SchemaTests.schemaURL))
        let props = schema["properties"]
        #expect(properties(schema) == ManifestLoader.topLevelKeys.sorted())
        #expect(properties(props?["providers"]?["additionalProperties"]) == ManifestLoader.providerKeys.sorted())
        #expect(properties(props?["matrix"]) == ManifestLoader.matrixKeys.sorted())
        #expect(properties(props?["matrix"]?["properties"]?["prompts"]?["items"]) == ManifestLoader.promptKeys.sorted())
        #expect(properties(props?["steps"]?["items"]) == ManifestLoader.stepKeys.sorted())
        #expect(properties(props?["budget"]) == ManifestLoader.budgetKeys.sorted())
    }

    @Test func schemaEnumsMatchTheCatalog() throws {
        let schema = try JSONParser.parse(Data(contentsOf: SchemaTests.schemaURL))
        let props = schema["properties"]
        let dialects = props?["providers"]?["additionalProperties"]?["properties"]?["dialect"]?["enum"]?.arrayValue?.compactMap(
            \.stringValue)
        #expect(dialects == DialectRegistry.names)
        let ratios = props?["matrix"]?["properties"]?["aspectRatios"]?["items"]?["enum"]?.arrayValue?.compactMap(\.stringValue)
        #expect(ratios == ModelCatalog.extendedRatios)
        let sizes = props?["matrix"]?["properties"]?["imageSize"]?["enum"]?.arrayValue?.compactMap(\.stringValue)
        #expect(sizes == ModelCatalog.allSizes)
    }

    @Test func exampleManifestIsValid() throws {
        let example = SchemaTests.schemaURL.deletingLastPathComponent().appendingPathComponent("example.json")
        let manifest = try ManifestLoader.load(path: example.path)
        #expect(manifest.providers.allSatisfy { $0.dialect == "offline" })
    }
}
