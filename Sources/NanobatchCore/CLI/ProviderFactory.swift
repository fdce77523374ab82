import Foundation

/// Builds one provider per manifest entry. API keys come from the environment and live only in
/// the provider values; they are never written anywhere.
public enum ProviderFactory {
    public static func make(_ config: ProviderConfig, environment: [String: String]) throws -> any ImageProvider {
        switch config.dialect {
        case "offline":
            return OfflineProvider(latency: .milliseconds(config.latencyMilliseconds))
        default:
            if let variable = config.apiKeyEnv, (environment[variable] ?? "").isEmpty {
                throw UsageError("provider \"\(config.name)\" needs an API key: set the environment variable \(variable)")
            }
            throw UsageError("provider \"\(config.name)\": dialect \(config.dialect) has no adapter in this build yet; use the offline dialect to preview")
        }
    }
}
