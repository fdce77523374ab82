import Foundation

/// Manifest stage: JSON file in, validated `Manifest` out (or a `ManifestError` listing every problem).
/// Reads the file and parses the JSON; `ManifestValidator` (with `ManifestDecoder`) does the rest.
package enum ManifestLoader {
    package static let topLevelKeys = [
        "$schema", "version", "name", "output", "concurrency", "providers", "matrix", "steps", "pricing", "budget", "exports",
        "store",
    ]
    package static let providerKeys = [
        "dialect", "baseURL", "apiKeyEnv", "concurrency", "requestsPerMinute", "latencyMs", "referenceURLs", "deadlineSeconds",
        "pollSeconds", "responseFormat", "callbackURL", "mode", "retry", "spendPerTenMinutes",
    ]
    package static let retryKeys = ["maxAttempts", "initialDelaySeconds", "maximumDelaySeconds"]
    package static let matrixKeys = ["prompts", "aspectRatios", "models", "references", "variants", "imageSize", "format", "variables"]
    package static let promptKeys = ["id", "text", "aspectRatios", "models", "addReferences", "imageSize", "variants", "variables"]
    package static let stepKeys = ["id", "from", "prompt", "models", "aspectRatios", "addReferences", "variants"]
    package static let budgetKeys = ["maxCost"]
    package static let exportsKeys = ["root", "files"]
    package static let storeKeys = ["url", "authorizationEnv"]

    package static func load(path: String) throws -> Manifest {
        let url = URL(fileURLWithPath: path).absoluteURL.standardizedFileURL
        var manifest = try load(read(path: path), file: path, directory: url.deletingLastPathComponent())
        let takesPath = Takes.path(forManifest: url.path)
        manifest.takes = try Takes.read(path: takesPath)
        manifest.takesPath = takesPath
        return manifest
    }

    /// The manifest file's bytes, or a `ManifestError` saying why they cannot be read.
    package static func read(path: String) throws -> Data {
        let url = URL(fileURLWithPath: path).absoluteURL.standardizedFileURL
        do {
            return try Data(contentsOf: url)
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            var why = exists ? "cannot read the manifest file" : "no such file (looked for \(url.standardizedFileURL.path))"
            if path == "-" && !exists { why = "only `validate` reads a manifest from standard input; name the manifest's file" }
            throw ManifestError(file: path, issues: [ManifestIssue(path: "", message: why)])
        }
    }

    /// The name standard input goes by in messages (`validate -`).
    package static let standardInputName = "<stdin>"

    /// Decodes `data` as the manifest `file` whose relative paths resolve against `directory`, and
    /// keeps the digest of its bytes.
    package static func load(_ data: Data, file: String, directory: URL) throws -> Manifest {
        var manifest = try decode(data, file: file, directory: directory)
        manifest.sourceDigest = SHA256.hash(data).hexString
        return manifest
    }

    /// Parses (JSON with comments) and validates; every issue gets its line and column, found by a
    /// second parse only when there is an issue to place.
    package static func decode(_ data: Data, file: String, directory: URL) throws -> Manifest {
        let root: JSONValue
        do {
            root = try JSONParser.parse(data, allowsComments: true)
        } catch let error as JSONSyntaxError {
            let issue = ManifestIssue(path: "", message: "invalid JSON: \(error.message)", line: error.line, column: error.column)
            throw ManifestError(file: file, issues: [issue])
        }
        var validator = ManifestValidator(directory: directory)
        let manifest = validator.validate(root)
        let issues = validator.issues.isEmpty ? [] : ManifestPositions(data).locate(validator.issues)
        guard var manifest, !validator.hasErrors else {
            throw ManifestError(file: file, issues: issues.isEmpty ? [ManifestIssue(path: "", message: "not a manifest")] : issues)
        }
        manifest.sourceName = file
        manifest.warnings = issues
        return manifest
    }

    static func isSafeID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 80, !id.contains(".."), let first = id.unicodeScalars.first else { return false }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return CharacterSet.alphanumerics.contains(first) && first.isASCII
            && id.unicodeScalars.allSatisfy { allowed.contains($0) }
    }

    /// `[A-Za-z_][A-Za-z0-9_]{0,127}`: a name, never a key pasted in its place.
    static func isEnvironmentVariableName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func letter(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || byte == UInt8(ascii: "_")
        }
        return letter(first) && bytes.dropFirst().allSatisfy { letter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }

    /// Whether a would-be variable name looks like an API key pasted in its place: Google's `AIza…`
    /// keys, or 24 or more characters with digits that mix cases or have no underscore (hex keys).
    static func looksLikeKey(_ name: String) -> Bool {
        if name.hasPrefix("AIza") && name.count >= 30 { return true }
        let hasLower = name.contains { $0.isLowercase }
        let hasUpper = name.contains { $0.isUppercase }
        let hasDigit = name.contains { $0.isNumber }
        // Variable names are words joined by underscores; a long run of letters and digits is a key.
        return name.count >= 24 && hasDigit && (hasLower && hasUpper || !name.contains("_"))
    }

    static func isURL(_ string: String) -> Bool {
        string.hasPrefix("https://") || string.hasPrefix("http://")
    }
}
