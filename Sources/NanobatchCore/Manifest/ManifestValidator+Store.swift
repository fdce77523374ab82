import Foundation

extension ManifestValidator {
    /// `"store": {"url": "https://…", "authorizationEnv": "NAME"}`: the remote store, both keys optional
    /// (the URL may come from `--store` or `NANOBATCH_STORE`). The URL's form is checked when it is used.
    mutating func validateStore(_ value: JSONValue?) -> StoreConfig? {
        let path = JSONPath.root.key("store")
        guard let fields = decoder.object(value, at: path, allowed: ManifestLoader.storeKeys) else { return nil }
        let url = decoder.string("url", in: fields, at: path)
        if let url {
            do {
                _ = try RemoteStoreSettings.parse(url, source: "store.url")
            } catch let error as UsageError {
                problem(path.key("url"), error.message.replacingOccurrences(of: "store.url: ", with: ""))
            } catch {}
        }
        let variable = decoder.string("authorizationEnv", in: fields, at: path)
        if let variable, !ManifestLoader.isEnvironmentVariableName(variable) || ManifestLoader.looksLikeKey(variable) {
            problem(
                path.key("authorizationEnv"),
                "must be the name of an environment variable (like NANOBATCH_STORE_AUTHORIZATION) holding the Authorization header, not the credential itself"
            )
        }
        return StoreConfig(url: url, authorizationEnv: variable)
    }
}
