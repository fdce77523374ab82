import Foundation

/// Dialect `openai-images` (seeds 000, 001): OpenAI-style image endpoints at a gateway; synchronous.
struct OpenAIImagesDialect: Dialect {
    /// The values `responseFormat` may take.
    static let responseFormats = ["url", "b64_json"]
    /// What is asked for when the manifest does not say.
    static let defaultResponseFormat = "url"

    let name = "openai-images"
    let models = [
        ModelSpec(id: "nano-banana", aspectRatios: AspectRatio.standard),
        ModelSpec(id: "nano-banana-hd", aspectRatios: AspectRatio.standard),
        ModelSpec(id: "nano-banana-2", aspectRatios: AspectRatio.standard, imageSizes: [.oneK, .twoK, .fourK]),
    ]
    let anyModel: ModelSpec? = nil
    let usesHTTP = true
    let defaultBaseURL: String? = nil
    let needsAPIKey = true
    let auth = AuthStyle.bearer
    let referencesMustBeURLs = false
    let submissionKind = SubmissionKind.synchronous
    let pollSeconds: Double? = nil
    let options: Set<ProviderOption> = [.responseFormat]

    func problem(with option: ProviderOption, value: String) -> String? {
        guard option == .responseFormat, !Self.responseFormats.contains(value) else { return nil }
        return "\"\(value)\" is not one of \(Self.responseFormats.joined(separator: ", "))"
    }

    func makeProvider(config: ProviderConfig, client: () throws -> ProviderClient) throws -> any ImageProvider {
        OpenAIImagesProvider(client: try client(), responseFormat: config.responseFormat ?? Self.defaultResponseFormat)
    }
}
