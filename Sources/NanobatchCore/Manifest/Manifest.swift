import Foundation

/// A validated manifest: what to make, with which providers, at what price limit.
package struct Manifest: Sendable {
    package static let currentVersion = 1

    package var version: Int
    package var name: String
    /// The folder holding the manifest file; relative reference paths resolve against it.
    package var directory: URL
    /// The output root as written in the manifest (resolved against `directory`), if any.
    package var output: String?
    package var concurrency: Int
    package var providers: [ProviderConfig]
    package var matrix: Matrix
    package var steps: [Step]
    package var pricing: [String: Double]
    package var budget: Budget?
    /// Stable asset paths copied from picks (`exports`); empty when the manifest has none.
    package var exports: Exports = Exports()
    /// Re-rolls and picks from the takes file beside the manifest (empty when there is none).
    package var takes: Takes = Takes()
    /// The takes file's path (`<manifest>.takes.json`); nil for a manifest read from memory.
    package var takesPath: String?
    /// The remote store (`"store"`), if the manifest names one.
    package var store: StoreConfig? = nil
    /// SHA-256 (hex) of the manifest file's bytes; empty when decoded from memory.
    package var sourceDigest = ""
    /// The manifest's name in messages: its path as given, or `<stdin>`.
    package var sourceName = ""
    /// Problems that still allow a run (duplicate reference sets, a very large build), with positions.
    package var warnings: [ManifestIssue] = []

    package func provider(named name: String) -> ProviderConfig? { providers.first { $0.name == name } }
}

package struct ProviderConfig: Sendable, Equatable {
    package var name: String
    package var dialect: String
    package var baseURL: String?
    package var apiKeyEnv: String?
    package var concurrency: Int
    package var requestsPerMinute: Double?
    /// Offline provider only: simulated latency per image.
    package var latencyMilliseconds: Int
    /// Public URLs standing in for local reference files, for dialects that only take URLs.
    package var referenceURLs: [String: String]
    /// Overall deadline for one job (async dialects poll until it passes).
    package var deadlineSeconds: Double
    /// First wait between polls of an async task; it grows ×1.5 up to 30 s.
    package var pollSeconds: Double?
    /// `openai-images`: `url` or `b64_json`.
    package var responseFormat: String?
    /// `evolink`: HTTPS address the provider calls when a task ends.
    package var callbackURL: String?
    /// `gemini`: send jobs one by one (`sync`, the default) or through the Batch API at half price.
    package var mode: ProviderMode
    /// Attempts and backoff for requests to this provider.
    package var retry: RetryPolicy
    /// USD: the most this provider's jobs may reserve in any rolling ten minutes (Gemini caps spend per
    /// 10 minutes by tier); new jobs wait for the window. `nil`: no limit.
    package var spendPerTenMinutes: Double?

    init(
        name: String, dialect: String, baseURL: String? = nil, apiKeyEnv: String? = nil,
        concurrency: Int = ManifestDefaults.providerConcurrency, requestsPerMinute: Double? = nil,
        latencyMilliseconds: Int = ManifestDefaults.latencyMilliseconds, referenceURLs: [String: String] = [:],
        deadlineSeconds: Double = ManifestDefaults.deadlineSeconds, pollSeconds: Double? = nil, responseFormat: String? = nil,
        callbackURL: String? = nil, mode: ProviderMode = .sync, retry: RetryPolicy = ManifestDefaults.retry,
        spendPerTenMinutes: Double? = nil
    ) {
        self.mode = mode
        self.spendPerTenMinutes = spendPerTenMinutes
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
package struct ModelRef: Sendable, Hashable {
    package var provider: String
    package var model: String
    package var qualified: String { "\(provider):\(model)" }
}

package struct PromptEntry: Sendable {
    package var id: String
    package var text: String
    package var aspectRatios: [AspectRatio]?
    package var models: [ModelRef]?
    package var addReferences: [String]
    package var imageSize: ImageSize?
    package var variants: Int?
    /// Narrows `matrix.variables`: name → the values this prompt uses (a subset, in matrix order).
    package var variables: [String: [String]] = [:]
}

package struct Matrix: Sendable {
    package var prompts: [PromptEntry]
    package var aspectRatios: [AspectRatio]
    package var models: [ModelRef]
    package var references: [[String]]
    package var variants: Int
    package var imageSize: ImageSize?
    package var format: ImageFormat
    /// Further axes for `{{name}}` placeholders; a prompt multiplies only by the variables its text uses.
    package var variables: [TemplateVariable] = []
}

/// A `matrix.variables` axis: a name and the values it takes, in the order written.
package struct TemplateVariable: Sendable, Equatable {
    package var name: String
    package var values: [String]
}

/// A chained step: every job of `from` (a prompt or another step) gets an edit with this prompt,
/// using that job's output as its first reference image.
package struct Step: Sendable {
    package var id: String
    package var from: String
    package var prompt: String
    package var models: [ModelRef]?
    package var aspectRatios: [AspectRatio]?
    package var addReferences: [String]
    package var variants: Int
}

package struct Budget: Sendable, Equatable {
    package var maxCost: Double
}
