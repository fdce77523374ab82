import Foundation

/// Dialect `mountsea` (seed 002): an async task API that takes reference URLs only.
struct MountseaDialect: Dialect {
    let name = "mountsea"
    let models = [
        ModelSpec(id: "nano-banana-fast", aspectRatios: AspectRatio.standard),
        ModelSpec(id: "nano-banana-pro", aspectRatios: AspectRatio.standard, imageSizes: [.oneK, .twoK, .fourK]),
        ModelSpec(id: "nano-banana-2", aspectRatios: AspectRatio.extended, imageSizes: [.oneK, .twoK, .fourK]),
    ]
    let anyModel: ModelSpec? = nil
    let usesHTTP = true
    let defaultBaseURL: String? = "https://api.mountsea.ai"
    let needsAPIKey = true
    let auth = AuthStyle.bearer
    let referencesMustBeURLs = true
    let submissionKind = SubmissionKind.asyncTask
    /// Its docs suggest starting near 5 s.
    let pollSeconds: Double? = 5
    let options: Set<ProviderOption> = [.pollSeconds]

    func problem(with option: ProviderOption, value: String) -> String? { nil }

    func makeProvider(config: ProviderConfig, client: () throws -> ProviderClient) throws -> any ImageProvider {
        AsyncTaskDriver(client: try client(), translator: MountseaTranslator())
    }
}
