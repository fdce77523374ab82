import Foundation

/// Dialect `gemini`: Google's `generateContent` API (and gateways' Gemini-compatible endpoints);
/// synchronous, key in `x-goog-api-key`, prices per image and per token.
struct GeminiDialect: Dialect {
    /// USD per million tokens (Google's Standard tier).
    static let flashImageTokens = TokenPrices(input: 0.30, imageOutput: 30, textOutput: 2.50)
    static let proImageTokens = TokenPrices(input: 2.00, imageOutput: 120, textOutput: 12)
    static let flash31ImageTokens = TokenPrices(input: 0.50, imageOutput: 60, textOutput: 3)

    let name = "gemini"
    /// Served ids first; shut-down ids stay listed with their retirement so `validate` names the replacement.
    let models = [
        ModelSpec(
            id: "gemini-3-pro-image", aspectRatios: AspectRatio.standard, imageSizes: [.oneK, .twoK, .fourK],
            maxReferences: 14, prices: ["1K": 0.134, "2K": 0.134, "4K": 0.24], tokenPrices: GeminiDialect.proImageTokens),
        ModelSpec(
            id: "gemini-3.1-flash-image", aspectRatios: AspectRatio.extended, imageSizes: ImageSize.allCases,
            maxReferences: 14, prices: ["0.5K": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151],
            tokenPrices: GeminiDialect.flash31ImageTokens),
        ModelSpec(
            id: "gemini-3.1-flash-lite-image", aspectRatios: AspectRatio.extended, imageSizes: [.oneK],
            maxReferences: 14),
        ModelSpec(
            id: "gemini-2.5-flash-image", aspectRatios: AspectRatio.standard, maxReferences: 3, prices: ["": 0.039],
            tokenPrices: GeminiDialect.flashImageTokens,
            retirement: Retirement(date: "2026-10-02", successor: "gemini-3.1-flash-image")),
        ModelSpec(
            id: "gemini-3-pro-image-preview", aspectRatios: AspectRatio.standard, imageSizes: [.oneK, .twoK, .fourK],
            maxReferences: 14, retirement: Retirement(date: "2026-06-25", successor: "gemini-3-pro-image")),
        ModelSpec(
            id: "gemini-3.1-flash-image-preview", aspectRatios: AspectRatio.extended, imageSizes: ImageSize.allCases,
            maxReferences: 14, retirement: Retirement(date: "2026-06-25", successor: "gemini-3.1-flash-image")),
    ]
    let anyModel: ModelSpec? = nil
    let usesHTTP = true
    let defaultBaseURL: String? = "https://generativelanguage.googleapis.com"
    let needsAPIKey = true
    let auth = AuthStyle.googleAPIKey
    let referencesMustBeURLs = false
    let submissionKind = SubmissionKind.synchronous
    let pollSeconds: Double? = nil
    let options: Set<ProviderOption> = [.mode, .pollSeconds]

    func problem(with option: ProviderOption, value: String) -> String? {
        guard option == .mode, ProviderMode(rawValue: value) == nil else { return nil }
        return "\"\(value)\" is not one of \(ProviderMode.names.joined(separator: ", "))"
    }

    func makeProvider(config: ProviderConfig, client: () throws -> ProviderClient) throws -> any ImageProvider {
        try makeProvider(config: config, client: client, run: nil)
    }

    /// `"mode": "batch"`: the Batch API adapter, with the run's journal and stop signal.
    func makeProvider(
        config: ProviderConfig, client: () throws -> ProviderClient, run: GeminiBatchRunContext?
    ) throws -> any ImageProvider {
        guard config.mode == .batch else { return GeminiProvider(client: try client()) }
        let context = run ?? GeminiBatchRunContext(journal: nil, stop: StopSignal())
        return GeminiBatchProvider(
            client: try client(), settings: .forProvider(pollSeconds: config.pollSeconds, waits: context.waits), context: context)
    }
}
