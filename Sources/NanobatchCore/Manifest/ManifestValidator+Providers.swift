import Foundation

/// `providers`: each named entry's dialect, address, key variable, limits and dialect options.
extension ManifestValidator {
    mutating func validateProviders(_ value: JSONValue?) -> [ProviderConfig] {
        let providersPath = JSONPath.root.key("providers")
        guard let value else {
            problem(providersPath, "missing required key \"providers\"")
            return []
        }
        guard case .object(let object) = value else {
            problem(providersPath, "expected an object of named providers, found \(value.typeName)")
            return []
        }
        if object.keys.isEmpty { problem(providersPath, "must name at least one provider") }
        var providers: [ProviderConfig] = []
        for (name, entry) in object.entries {
            if let provider = validateProvider(named: name, entry, at: providersPath.key(name)) { providers.append(provider) }
        }
        return providers
    }

    mutating func validateProvider(named name: String, _ entry: JSONValue, at path: JSONPath) -> ProviderConfig? {
        if !ManifestLoader.isSafeID(name) {
            problem(path, "provider name \"\(name)\" is not safe; use letters, digits, '.', '_' and '-'")
        }
        guard let fields = decoder.object(entry, at: path, allowed: ManifestLoader.providerKeys) else { return nil }
        guard let dialectName = decoder.string("dialect", in: fields, at: path, required: true) else { return nil }
        guard let dialect = ModelCatalog.dialect(dialectName) else {
            problem(path.key("dialect"), "\"\(dialectName)\" is not one of \(ManifestDecoder.list(ModelCatalog.dialectNames))")
            return nil
        }
        let baseURL = decoder.string("baseURL", in: fields, at: path)
        if let baseURL {
            if !ManifestLoader.isURL(baseURL) || URL(string: baseURL)?.host == nil {
                problem(path.key("baseURL"), "\"\(baseURL)\" is not an http(s) URL")
            } else if URL(string: baseURL)?.user != nil || URL(string: baseURL)?.password != nil {
                problem(path.key("baseURL"), "must not carry credentials; put the key in the environment variable named by apiKeyEnv")
            }
        } else if dialect.name != "offline" && dialect.defaultBaseURL == nil {
            problem(path.key("baseURL"), "missing required key \"baseURL\" (dialect \(dialect.name) has no default)")
        }
        let apiKeyEnv = decoder.string("apiKeyEnv", in: fields, at: path)
        if let apiKeyEnv {
            if !ManifestLoader.isEnvironmentVariableName(apiKeyEnv) {
                problem(path.key("apiKeyEnv"), "must be the name of an environment variable (like GEMINI_API_KEY), not the key itself")
            }
        } else if dialect.needsAPIKey {
            problem(path.key("apiKeyEnv"), "missing required key \"apiKeyEnv\" (the environment variable holding the API key)")
        }
        let concurrency = decoder.integer("concurrency", in: fields, at: path, range: 1...256) ?? ManifestDefaults.providerConcurrency
        let rpm = decoder.number("requestsPerMinute", in: fields, at: path, minimum: 0, exclusive: true)
        let latency = decoder.integer("latencyMs", in: fields, at: path, range: 0...600_000) ?? ManifestDefaults.latencyMilliseconds
        if fields["latencyMs"] != nil && dialect.name != "offline" {
            problem(path.key("latencyMs"), "only the offline dialect simulates latency")
        }
        let deadline = decoder.number("deadlineSeconds", in: fields, at: path, minimum: 0, exclusive: true) ?? ManifestDefaults.deadlineSeconds
        let referenceURLs = validateReferenceURLs(fields["referenceURLs"], at: path.key("referenceURLs"))
        let pollSeconds = decoder.number("pollSeconds", in: fields, at: path, minimum: 0, exclusive: true)
        if fields["pollSeconds"] != nil && !["mountsea", "image-tasks", "evolink"].contains(dialect.name) {
            problem(path.key("pollSeconds"), "only the async dialects (mountsea, image-tasks, evolink) poll")
        }
        let responseFormat = decoder.string("responseFormat", in: fields, at: path)
        if let responseFormat {
            if dialect.name != "openai-images" {
                problem(path.key("responseFormat"), "only the openai-images dialect takes a response format")
            } else if !["url", "b64_json"].contains(responseFormat) {
                problem(path.key("responseFormat"), "\"\(responseFormat)\" is not one of url, b64_json")
            }
        }
        let callbackURL = decoder.string("callbackURL", in: fields, at: path)
        if let callbackURL {
            if dialect.name != "evolink" {
                problem(path.key("callbackURL"), "only the evolink dialect calls back")
            } else if let reason = CallbackURLCheck.problem(callbackURL) {
                problem(path.key("callbackURL"), reason)
            }
        }
        let retry = validateRetry(fields["retry"], at: path.key("retry"))
        return ProviderConfig(name: name, dialect: dialect.name, baseURL: baseURL, apiKeyEnv: apiKeyEnv,
                              concurrency: concurrency, requestsPerMinute: rpm,
                              latencyMilliseconds: latency, referenceURLs: referenceURLs,
                              deadlineSeconds: deadline, pollSeconds: pollSeconds,
                              responseFormat: responseFormat, callbackURL: callbackURL, retry: retry)
    }

    /// `referenceURLs`: local reference file → the public URL standing in for it.
    mutating func validateReferenceURLs(_ value: JSONValue?, at path: JSONPath) -> [String: String] {
        guard let value else { return [:] }
        guard case .object(let map) = value else {
            problem(path, "expected an object mapping reference files to URLs, found \(value.typeName)")
            return [:]
        }
        var referenceURLs: [String: String] = [:]
        for (file, url) in map.entries {
            if case .string(let urlString) = url, ManifestLoader.isURL(urlString) {
                referenceURLs[file] = urlString
            } else {
                problem(path.key(file), "expected an http(s) URL string")
            }
        }
        return referenceURLs
    }

    mutating func validateRetry(_ value: JSONValue?, at path: JSONPath) -> RetryPolicy {
        var retry = ManifestDefaults.retry
        guard let fields = decoder.object(value, at: path, allowed: ManifestLoader.retryKeys) else { return retry }
        retry.maxAttempts = decoder.integer("maxAttempts", in: fields, at: path, range: 1...20) ?? retry.maxAttempts
        retry.initialDelay = decoder.number("initialDelaySeconds", in: fields, at: path, minimum: 0, exclusive: true) ?? retry.initialDelay
        retry.maximumDelay = decoder.number("maximumDelaySeconds", in: fields, at: path, minimum: 0, exclusive: true) ?? retry.maximumDelay
        if retry.maximumDelay < retry.initialDelay {
            problem(path.key("maximumDelaySeconds"), "\(retry.maximumDelay) is below initialDelaySeconds \(retry.initialDelay)")
        }
        return retry
    }
}
