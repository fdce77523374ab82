import Foundation

/// A validated manifest: what to make, with which providers, at what price limit.
public struct Manifest: Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var name: String
    /// The folder holding the manifest file; relative reference paths resolve against it.
    public var directory: URL
    /// The output root as written in the manifest (resolved against `directory`), if any.
    public var output: String?
    public var concurrency: Int
    public var providers: [ProviderConfig]
    public var matrix: Matrix
    public var steps: [Step]
    public var pricing: [String: Double]
    public var budget: Budget?
    /// SHA-256 (hex) of the manifest file's bytes; empty when decoded from memory.
    public var sourceDigest = ""

    public func provider(named name: String) -> ProviderConfig? { providers.first { $0.name == name } }
}

public struct ProviderConfig: Sendable, Equatable {
    public var name: String
    public var dialect: String
    public var baseURL: String?
    public var apiKeyEnv: String?
    public var concurrency: Int
    public var requestsPerMinute: Double?
    /// Offline provider only: simulated latency per image.
    public var latencyMilliseconds: Int
    /// Public URLs standing in for local reference files, for dialects that only take URLs.
    public var referenceURLs: [String: String]
    /// Overall deadline for one job (async dialects poll until it passes).
    public var deadlineSeconds: Double
    /// First wait between polls of an async task; it grows ×1.5 up to 30 s.
    public var pollSeconds: Double?
    /// `openai-images`: `url` or `b64_json`.
    public var responseFormat: String?
    /// `evolink`: HTTPS address the provider calls when a task ends.
    public var callbackURL: String?
    /// Attempts and backoff for requests to this provider.
    public var retry: RetryPolicy

    init(name: String, dialect: String, baseURL: String? = nil, apiKeyEnv: String? = nil,
         concurrency: Int = ManifestDefaults.providerConcurrency, requestsPerMinute: Double? = nil,
         latencyMilliseconds: Int = ManifestDefaults.latencyMilliseconds, referenceURLs: [String: String] = [:],
         deadlineSeconds: Double = ManifestDefaults.deadlineSeconds, pollSeconds: Double? = nil, responseFormat: String? = nil,
         callbackURL: String? = nil, retry: RetryPolicy = ManifestDefaults.retry) {
        self.name = name
        self.dialect = dialect
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.concurrency = concurrency
        self.requestsPerMinute = requestsPerMinute
        self.latencyMilliseconds = latencyMilliseconds
        self.referenceURLs = referenceURLs
        self.deadlineSeconds = deadlineSeconds
        self.pollSeconds = pollSeconds
        self.responseFormat = responseFormat
        self.callbackURL = callbackURL
        self.retry = retry
    }
}

/// "provider:model" as written in the manifest.
public struct ModelRef: Sendable, Hashable {
    public var provider: String
    public var model: String
    public var qualified: String { "\(provider):\(model)" }
}

public struct PromptEntry: Sendable {
    public var id: String
    public var text: String
    public var aspectRatios: [AspectRatio]?
    public var models: [ModelRef]?
    public var addReferences: [String]
    public var imageSize: ImageSize?
    public var variants: Int?
}

public struct Matrix: Sendable {
    public var prompts: [PromptEntry]
    public var aspectRatios: [AspectRatio]
    public var models: [ModelRef]
    public var references: [[String]]
    public var variants: Int
    public var imageSize: ImageSize?
    public var format: ImageFormat
}

/// A chained step: every job of `from` (a prompt or another step) gets an edit with this prompt,
/// using that job's output as its first reference image.
public struct Step: Sendable {
    public var id: String
    public var from: String
    public var prompt: String
    public var models: [ModelRef]?
    public var aspectRatios: [AspectRatio]?
    public var addReferences: [String]
    public var variants: Int
}

public struct Budget: Sendable, Equatable {
    public var maxCost: Double
}

/// One problem in a manifest, located by its JSON path.
public struct ManifestIssue: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Every problem found in a manifest; nothing runs when there is one.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var issues: [ManifestIssue]
    public var description: String {
        let count = issues.count == 1 ? "1 problem" : "\(issues.count) problems"
        return "\(file): \(count)\n" + issues.map { "  \($0)" }.joined(separator: "\n")
    }
}
