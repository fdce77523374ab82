import Foundation

/// Dialect `offline`: no network, no key, no charge; any model name, every ratio and size.
struct OfflineDialect: Dialect {
    let name = "offline"
    let models: [ModelSpec] = []
    let anyModel: ModelSpec? = ModelSpec(
        id: "*", aspectRatios: AspectRatio.extended, imageSizes: ImageSize.allCases,
        formats: [.png], prices: ["": 0])
    let usesHTTP = false
    let defaultBaseURL: String? = nil
    let needsAPIKey = false
    let auth = AuthStyle.bearer
    let referencesMustBeURLs = false
    let submissionKind = SubmissionKind.free
    let pollSeconds: Double? = nil
    let options: Set<ProviderOption> = [.latencyMs]

    func problem(with option: ProviderOption, value: String) -> String? { nil }

    func makeProvider(config: ProviderConfig, client: () throws -> ProviderClient) throws -> any ImageProvider {
        OfflineProvider(latency: .milliseconds(config.latencyMilliseconds))
    }
}
