import Foundation

/// One provider API dialect, declared in one place: the models it serves, the provider options it
/// takes, how it is reached and paid for, and how its adapter is built.
///
/// Each dialect lives in `Providers/Dialects/<Name>/`: `<Name>Dialect` (this declaration and its
/// model table) and `<Name>Translator` (pure request building and answer parsing); a synchronous
/// dialect adds its adapter `<Name>Provider`, an async task dialect uses the shared
/// `AsyncTaskDriver`. `DialectRegistry` lists them.
protocol Dialect: Sendable {
    /// The name manifests use: `"dialect": "gemini"`.
    var name: String { get }
    /// The models it serves and what each accepts; its part of the catalog.
    var models: [ModelSpec] { get }
    /// A template for model names the table does not list (`nil`: unlisted names are refused).
    var anyModel: ModelSpec? { get }
    /// Whether it sends requests at all (and so needs a base URL); only the offline dialect does not.
    var usesHTTP: Bool { get }
    /// The base URL used when the manifest gives none (`nil`: the manifest must give one).
    var defaultBaseURL: String? { get }
    /// Whether the manifest must name an API key variable (`apiKeyEnv`).
    var needsAPIKey: Bool { get }
    /// How the key is sent.
    var auth: AuthStyle { get }
    /// References must be http(s) URLs: the dialect cannot upload local files.
    var referencesMustBeURLs: Bool { get }
    /// How its requests are paid for, which decides what the journal records.
    var submissionKind: SubmissionKind { get }
    /// First wait between polls of a task, in seconds, when `pollSeconds` is not set; `nil` for dialects that do not poll.
    var pollSeconds: Double? { get }
    /// The dialect-specific provider options it takes; any other is refused by the validator.
    var options: Set<ProviderOption> { get }
    /// What is wrong with an option's value, or `nil` when it is acceptable (only asked for options in `options`).
    func problem(with option: ProviderOption, value: String) -> String?
    /// The adapter for one manifest provider; `client` builds the HTTP client (key, base URL, auth, poll schedule).
    func makeProvider(config: ProviderConfig, client: () throws -> ProviderClient) throws -> any ImageProvider
    /// The adapter for a run, which shares its journal and stop signal with providers that need them
    /// (batch mode); by default the plain adapter.
    func makeProvider(
        config: ProviderConfig, client: () throws -> ProviderClient, run: GeminiBatchRunContext?
    ) throws -> any ImageProvider
}

extension Dialect {
    func makeProvider(
        config: ProviderConfig, client: () throws -> ProviderClient, run: GeminiBatchRunContext?
    ) throws -> any ImageProvider {
        try makeProvider(config: config, client: client)
    }

    /// The spec of a model this dialect serves, by id (from `anyModel` when the table does not list it).
    func model(_ id: String) -> ModelSpec? {
        if let spec = models.first(where: { $0.id == id }) { return spec }
        if var any = anyModel {
            any.id = id
            return any
        }
        return nil
    }

    func accepts(_ option: ProviderOption) -> Bool { options.contains(option) }
}
