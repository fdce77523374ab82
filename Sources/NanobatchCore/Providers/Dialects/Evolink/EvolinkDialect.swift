import Foundation

/// Dialect `evolink` (seed 004): an async task API that takes reference URLs only, costs credits,
/// and can call back when a task ends.
struct EvolinkDialect: Dialect {
    static let ratios = AspectRatio.list(["1:1", "2:3", "3:2", "4:3", "3:4", "16:9", "9:16"])

    let name = "evolink"
    let models = [
        ModelSpec(id: "nano-banana-beta", aspectRatios: EvolinkDialect.ratios, maxReferences: 5),
        ModelSpec(id: "gemini-2.5-flash-image", aspectRatios: EvolinkDialect.ratios, maxReferences: 5, maxPromptCharacters: 1000),
    ]
    let anyModel: ModelSpec? = nil
    let usesHTTP = true
    let defaultBaseURL: String? = "https://api.evolink.ai"
    let needsAPIKey = true
    let auth = AuthStyle.bearer
    let referencesMustBeURLs = true
    let submissionKind = SubmissionKind.asyncTask
    let pollSeconds: Double? = 2
    let options: Set<ProviderOption> = [.pollSeconds, .callbackURL]

    func problem(with option: ProviderOption, value: String) -> String? {
        option == .callbackURL ? CallbackURLCheck.problem(value) : nil
    }

    func makeProvider(config: ProviderConfig, client: () throws -> ProviderClient) throws -> any ImageProvider {
        AsyncTaskDriver(client: try client(), translator: EvolinkTranslator(callbackURL: config.callbackURL))
    }
}
