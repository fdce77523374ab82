/// Providers whose key variable is not set, said at `validate` and `plan` time (no network, nothing
/// paid) instead of first at `run`. The variable's name is printed, never a value.
enum MissingKeys {
    static func warnings(for manifest: Manifest, environment: [String: String]) -> [String] {
        manifest.providers.compactMap { provider in
            guard let variable = provider.apiKeyEnv, (environment[variable] ?? "").isEmpty else { return nil }
            return
                "warning: provider \"\(provider.name)\" reads its key from \(variable), which is not set or empty: `run` will not start\n"
        }
    }
}
