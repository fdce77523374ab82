import Foundation

/// Builds one provider per manifest entry through its dialect. API keys come from the environment
/// and live only in the provider values; they are never written anywhere.
package enum ProviderFactory {
    package static func make(
        _ config: ProviderConfig, environment: [String: String],
        transport: @autoclosure () -> any HTTPTransport,
        governor: RateGovernor? = nil, run: GeminiBatchRunContext? = nil
    ) throws -> any ImageProvider {
        guard let dialect = DialectRegistry.dialect(named: config.dialect) else {
            throw UsageError("provider \"\(config.name)\": unknown dialect \(config.dialect)")
        }
        return try dialect.makeProvider(
            config: config,
            client: { try client(for: config, dialect: dialect, environment: environment, transport: transport(), governor: governor) },
            run: run)
    }

    /// The HTTP client of a provider: its key from the environment, its base URL, its dialect's
    /// auth style and poll default.
    static func client(
        for config: ProviderConfig, dialect: any Dialect, environment: [String: String],
        transport: any HTTPTransport, governor: RateGovernor?
    ) throws -> ProviderClient {
        var apiKey: String?
        if let variable = config.apiKeyEnv {
            apiKey = environment[variable]
            if (apiKey ?? "").isEmpty {
                // A key pasted in place of the name is never printed.
                let name = ManifestLoader.looksLikeKey(variable) ? "named by apiKeyEnv (its value looks like a key: not shown)" : variable
                throw UsageError("provider \"\(config.name)\" needs an API key: set the environment variable \(name)")
            }
        }
        guard let base = config.baseURL ?? dialect.defaultBaseURL else {
            throw UsageError("provider \"\(config.name)\": dialect \(dialect.name) needs a baseURL")
        }
        let poll = (config.pollSeconds ?? dialect.pollSeconds).map { PollSchedule(initial: $0) } ?? .standard
        return ProviderClient(
            config: config, baseURL: base, apiKey: apiKey, auth: dialect.auth,
            transport: transport, retry: config.retry, poll: poll, governor: governor)
    }
}
