import Foundation

/// Builds one provider per manifest entry. API keys come from the environment and live only in
/// the provider values; they are never written anywhere.
public enum ProviderFactory {
    public static func make(_ config: ProviderConfig, environment: [String: String],
                            transport: @autoclosure () -> any HTTPTransport,
                            governor: RateGovernor? = nil) throws -> any ImageProvider {
        guard let dialect = ModelCatalog.dialect(config.dialect) else {
            throw UsageError("provider \"\(config.name)\": unknown dialect \(config.dialect)")
        }
        if dialect.name == "offline" { return OfflineProvider(latency: .milliseconds(config.latencyMilliseconds)) }
        var apiKey: String?
        if let variable = config.apiKeyEnv {
            apiKey = environment[variable]
            if (apiKey ?? "").isEmpty {
                throw UsageError("provider \"\(config.name)\" needs an API key: set the environment variable \(variable)")
            }
        }
        guard let base = config.baseURL ?? dialect.defaultBaseURL else {
            throw UsageError("provider \"\(config.name)\": dialect \(dialect.name) needs a baseURL")
        }
        let asyncPoll = PollSchedule(initial: config.pollSeconds ?? (dialect.name == "mountsea" ? 5 : 2))
        let client = ProviderClient(config: config, baseURL: base, apiKey: apiKey,
                                    auth: dialect.name == "gemini" ? .googleAPIKey : .bearer,
                                    transport: transport(), retry: config.retry, poll: asyncPoll, governor: governor)
        switch dialect.name {
        case "openai-images": return OpenAIImagesProvider(client: client, responseFormat: config.responseFormat ?? "url")
        case "mountsea": return MountseaProvider(client: client)
        case "image-tasks": return ImageTasksProvider(client: client)
        case "evolink": return EvolinkProvider(client: client, callbackURL: config.callbackURL)
        case "gemini": return GeminiProvider(client: client)
        default: throw UsageError("provider \"\(config.name)\": dialect \(dialect.name) has no adapter")
        }
    }
}
