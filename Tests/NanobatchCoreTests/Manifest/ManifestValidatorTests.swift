import Foundation
import Testing

@testable import NanobatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// Each section's rules, through `ManifestValidator` directly: one bad manifest, the exact issue it gives.
@Suite(.timeLimit(.minutes(2))) struct ManifestValidatorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let json: String
        let issue: ManifestIssue
        var testDescription: String { name }
    }

    static func issues(_ json: String, directory: URL = FileManager.default.temporaryDirectory) throws -> [ManifestIssue] {
        var validator = ManifestValidator(directory: directory)
        _ = validator.validate(try JSONParser.parse(json))
        return validator.issues
    }

    static let cases: [Case] = [
        Case(
            name: "document: version",
            json: baseManifest(references: "[[]]").replacingOccurrences(of: #""version": 1"#, with: #""version": 2"#),
            issue: ManifestIssue(path: "version", message: "2 is not supported; this nanobatch reads version 1")),
        Case(
            name: "document: budget without maxCost", json: baseManifest(references: "[[]]", extra: #", "budget": {}"#),
            issue: ManifestIssue(path: "budget.maxCost", message: "missing required key \"maxCost\"")),
        Case(
            name: "providers: baseURL with credentials",
            json: baseManifest(
                providers: #"{ "local": { "dialect": "offline", "baseURL": "https://u:p@x.example" } }"#, references: "[[]]"),
            issue: ManifestIssue(
                path: "providers.local.baseURL",
                message: "must not carry credentials; put the key in the environment variable named by apiKeyEnv")),
        Case(
            name: "providers: a key pasted as apiKeyEnv",
            json: baseManifest(
                providers: #"{ "g": { "dialect": "gemini", "apiKeyEnv": "AIzaSyD4x9Qm2LrT7vWk3nPq8sZb1cYh6JfE0uA" } }"#,
                models: #"["g:gemini-3.1-flash-image"]"#, references: "[[]]"),
            issue: ManifestIssue(
                path: "providers.g.apiKeyEnv",
                message: "must be the name of an environment variable (like GEMINI_API_KEY), not the key itself")),
        Case(
            name: "providers: a hex key pasted as apiKeyEnv",
            json: baseManifest(
                providers: #"{ "g": { "dialect": "gemini", "apiKeyEnv": "d41d8cd98f00b204e9800998ecf8427e" } }"#,
                models: #"["g:gemini-3.1-flash-image"]"#, references: "[[]]"),
            issue: ManifestIssue(
                path: "providers.g.apiKeyEnv",
                message: "must be the name of an environment variable (like GEMINI_API_KEY), not the key itself")),
        Case(
            name: "providers: latency outside offline",
            json: baseManifest(
                providers: #"{ "g": { "dialect": "gemini", "apiKeyEnv": "K", "latencyMs": 5 } }"#,
                models: #"["g:gemini-3.1-flash-image"]"#, references: "[[]]"),
            issue: ManifestIssue(path: "providers.g.latencyMs", message: "only the offline dialect simulates latency")),
        Case(
            name: "providers: referenceURLs value",
            json: baseManifest(providers: #"{ "local": { "dialect": "offline", "referenceURLs": { "a b.png": 3 } } }"#, references: "[[]]"),
            issue: ManifestIssue(path: #"providers.local.referenceURLs["a b.png"]"#, message: "expected an http(s) URL string")),
        Case(
            name: "providers: spendPerTenMinutes not positive",
            json: baseManifest(providers: #"{ "local": { "dialect": "offline", "spendPerTenMinutes": 0 } }"#, references: "[[]]"),
            issue: ManifestIssue(path: "providers.local.spendPerTenMinutes", message: "0.0 must be greater than 0.0")),
        Case(
            name: "providers: spendPerTenMinutes not a number",
            json: baseManifest(providers: #"{ "local": { "dialect": "offline", "spendPerTenMinutes": "10" } }"#, references: "[[]]"),
            issue: ManifestIssue(path: "providers.local.spendPerTenMinutes", message: "expected a number, found a string")),
        Case(
            name: "matrix: format", json: baseManifest(references: "[[]]", matrixExtra: #", "format": "gif""#),
            issue: ManifestIssue(path: "matrix.format", message: "\"gif\" is not one of png, jpeg, webp")),
        Case(
            name: "matrix: prompt model not in the matrix",
            json: baseManifest(prompts: #"[ { "id": "a", "text": "x", "models": ["local:other"] } ]"#, references: "[[]]"),
            issue: ManifestIssue(
                path: "matrix.prompts[0].models[0]",
                message: "\"local:other\" is not in matrix.models (a prompt can only narrow them)")),
        Case(
            name: "capabilities: format the model lacks",
            json: baseManifest(
                providers: #"{ "g": { "dialect": "gemini", "apiKeyEnv": "K" } }"#,
                models: #"["g:gemini-3.1-flash-image"]"#, references: "[[]]", matrixExtra: #", "format": "webp""#),
            issue: ManifestIssue(
                path: "matrix.format",
                message: "\"webp\" is not offered by g:gemini-3.1-flash-image; allowed: png")),
        Case(
            name: "steps: already a prompt id",
            json: baseManifest(references: "[[]]", extra: #", "steps": [ { "id": "hero", "from": "shelf", "prompt": "x" } ]"#),
            issue: ManifestIssue(path: "steps[0].id", message: "\"hero\" is already a prompt id")),
        Case(
            name: "steps: URL-only dialect",
            json: baseManifest(
                providers: #"{ "m": { "dialect": "mountsea", "apiKeyEnv": "K" } }"#, models: #"["m:nano-banana-2"]"#,
                references: "[[]]", extra: #", "steps": [ { "id": "s", "from": "hero", "prompt": "x" } ]"#),
            issue: ManifestIssue(
                path: "steps[0]",
                message:
                    "m:nano-banana-2 cannot run a chained step: dialect mountsea only takes reference URLs, and the upstream image is a local file"
            )),
        Case(
            name: "pricing: unknown size", json: baseManifest(references: "[[]]", extra: #", "pricing": { "local:m@3K": 1 }"#),
            issue: ManifestIssue(
                path: #"pricing["local:m@3K"]"#, message: "size \"3K\" is not one of 0.5K, 1K, 2K, 4K (did you mean \"1K\"?)")),
        Case(
            name: "references: a folder", json: baseManifest(references: #"[["."]]"#),
            issue: ManifestIssue(path: "matrix.references[0][0]", message: "reference \".\" is a folder, not an image file")),
        Case(
            name: "references: a device", json: baseManifest(references: #"[["/dev/zero"]]"#),
            issue: ManifestIssue(
                path: "matrix.references[0][0]",
                message: "reference \"/dev/zero\" is not a regular file (a device, FIFO or socket), so it cannot be an image")),
        Case(
            name: "providers: a deadline no clock can hold",
            json: baseManifest(providers: #"{ "local": { "dialect": "offline", "deadlineSeconds": 2e20 } }"#, references: "[[]]"),
            issue: ManifestIssue(path: "providers.local.deadlineSeconds", message: "2e+20 is too large; at most 604800")),
        Case(
            name: "providers: an endless poll interval",
            json: baseManifest(
                providers: #"{ "m": { "dialect": "mountsea", "apiKeyEnv": "K", "pollSeconds": 1e300 } }"#,
                models: #"["m:nano-banana-2"]"#, references: "[[]]"),
            issue: ManifestIssue(path: "providers.m.pollSeconds", message: "1e+300 is too large; at most 3600")),
        Case(
            name: "providers: retry delay beyond an hour",
            json: baseManifest(
                providers: #"{ "local": { "dialect": "offline", "retry": { "maximumDelaySeconds": 1e12 } } }"#, references: "[[]]"),
            issue: ManifestIssue(path: "providers.local.retry.maximumDelaySeconds", message: "1e+12 is too large; at most 3600")),
        Case(
            name: "document: a budget beyond any bound",
            json: baseManifest(references: "[[]]", extra: #", "budget": { "maxCost": 1e300 }"#),
            issue: ManifestIssue(path: "budget.maxCost", message: "1e+300 is too large; at most 1e+09")),
    ]

    @Test(arguments: cases)
    func eachRuleGivesItsExactIssue(_ testCase: Case) throws {
        let issues = try Self.issues(testCase.json)
        #expect(issues.contains(testCase.issue), "got: \(issues)")
    }

    /// A FIFO would block the plan's read for ever: `validate` refuses it, as it refuses a device.
    @Test func aFIFOIsNoReference() throws {
        let workspace = try TestWorkspace()
        #expect(mkfifo(workspace.url.appendingPathComponent("pipe.png").path, 0o644) == 0)
        let issues = try Self.issues(baseManifest(references: #"[["pipe.png"]]"#), directory: workspace.url)
        #expect(
            issues.contains(
                ManifestIssue(
                    path: "matrix.references[0][0]",
                    message: "reference \"pipe.png\" is not a regular file (a device, FIFO or socket), so it cannot be an image")),
            "got: \(issues)")
    }

    @Test func aValidDocumentHasNoIssues() throws {
        #expect(try Self.issues(baseManifest(references: "[[]]")) == [])
    }
}
