import Foundation

/// Which remote store a command uses, and its credentials: `--store URL`, else `NANOBATCH_STORE`,
/// else the manifest's `"store": {"url": …}`. The `Authorization` header's value comes from the
/// variable the manifest names in `"authorizationEnv"`, else from `NANOBATCH_STORE_AUTHORIZATION`;
/// it is sent as is (`Bearer …`, `Basic …`), only to the store's origin, and never printed.
package struct RemoteStoreSettings: Sendable {
    package static let urlVariable = "NANOBATCH_STORE"
    package static let authorizationVariable = "NANOBATCH_STORE_AUTHORIZATION"

    /// The store's base URL, without a trailing slash: `…/cas/<sha256>` and `…/ac/<key>` lie under it.
    package var url: URL
    package var authorization: String?
    package var policy: RemoteStorePolicy

    package init(url: URL, authorization: String? = nil, policy: RemoteStorePolicy = .standard) {
        self.url = url
        self.authorization = authorization
        self.policy = policy
    }

    /// The settings in force, or `nil` when no store is named anywhere.
    package static func resolve(
        option: String?, environment: [String: String], manifest: StoreConfig?, policy: RemoteStorePolicy = .standard
    ) throws -> RemoteStoreSettings? {
        let fromEnvironment = environment[urlVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let text = option ?? fromEnvironment ?? manifest?.url else { return nil }
        let source =
            option != nil ? "--store" : fromEnvironment != nil ? urlVariable : "the manifest's \"store\".\"url\""
        let url = try parse(text, source: source)
        var authorization: String?
        if let variable = manifest?.authorizationEnv {
            authorization = environment[variable]
            if (authorization ?? "").isEmpty {
                let name =
                    ManifestLoader.looksLikeKey(variable) ? "named by authorizationEnv (its value looks like a key: not shown)" : variable
                throw UsageError("the remote store needs its Authorization header: set the environment variable \(name)")
            }
        } else if let value = environment[authorizationVariable], !value.isEmpty {
            authorization = value
        }
        return RemoteStoreSettings(url: url, authorization: authorization, policy: policy)
    }

    /// An http(s) URL with a host, no user or password in it, no query or fragment.
    static func parse(_ text: String, source: String) throws -> URL {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), !(components.host ?? "").isEmpty, let url = components.url
        else {
            throw UsageError("\(source): the remote store must be an http:// or https:// URL, not \"\(trimmed.prefix(200))\"")
        }
        guard components.user == nil, components.password == nil else {
            throw UsageError(
                "\(source): the remote store's URL must not carry a user or password",
                hint: "put the credentials in an environment variable (\(authorizationVariable), or the one \"authorizationEnv\" names)")
        }
        guard components.query == nil, components.fragment == nil else {
            throw UsageError("\(source): the remote store's URL must not have a query or fragment")
        }
        return url
    }

    /// Text fit to print: the URL (it carries no secret).
    package var displayURL: String { url.absoluteString }
}

/// The manifest's `"store"` object.
package struct StoreConfig: Sendable, Equatable {
    package var url: String?
    /// The environment variable holding the `Authorization` header's value.
    package var authorizationEnv: String?

    package init(url: String? = nil, authorizationEnv: String? = nil) {
        self.url = url
        self.authorizationEnv = authorizationEnv
    }
}
