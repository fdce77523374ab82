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
        guard let dialect = DialectRegistry.dialect(named: dialectName) else {
            problem(
                path.key("dialect"),
                "\"\(dialectName)\" is not one of \(ManifestDecoder.list(DialectRegistry.names))\(Suggestion.hint(for: dialectName, among: DialectRegistry.names))"
            )
            return nil
        }
        let baseURL = decoder.string("baseURL", in: fields, at: path)
        if let baseURL {
            if !ManifestLoader.isURL(baseURL) || URL(string: baseURL)?.host == nil {
                problem(path.key("baseURL"), "\"\(baseURL)\" is not an http(s) URL")
            } else if URL(string: baseURL)?.user != nil || URL(string: baseURL)?.password != nil {
                problem(path.key("baseURL"), "must not carry credentials; put the key in the environment variable named by apiKeyEnv")
            }
        } else if dialect.usesHTTP && dialect.defaultBaseURL == nil {
            problem(path.key("baseURL"), "missing required key \"baseURL\" (dialect \(dialect.name) has no default)")
        }
        let apiKeyEnv = decoder.string("apiKeyEnv", in: fields, at: path)
        if let apiKeyEnv {
            if !ManifestLoader.isEnvironmentVariableName(apiKeyEnv) || ManifestLoader.looksLikeKey(apiKeyEnv) {
                problem(path.key("apiKeyEnv"), "must be the name of an environment variable (like GEMINI_API_KEY), not the key itself")
            }
        } else if dialect.needsAPIKey {
            problem(path.key("apiKeyEnv"), "missing required key \"apiKeyEnv\" (the environment variable holding the API key)")
        }
        let concurrency = decoder.integer("concurrency", in: fields, at: path, range: 1...256) ?? ManifestDefaults.providerConcurrency
        let rpm = decoder.number("requestsPerMinute", in: fields, at: path, minimum: 0, exclusive: true)
        let latency =
            decoder.integer(ProviderOption.latencyMs.key, in: fields, at: path, range: 0...600_000)
            ?? ManifestDefaults.latencyMilliseconds
        if fields[ProviderOption.latencyMs.key] != nil { checkOption(.latencyMs, value: nil, of: dialect, at: path) }
        let deadline =
            decoder.number(
                "deadlineSeconds", in: fields, at: path, minimum: 0, exclusive: true, maximum: ManifestDefaults.longestDeadlineSeconds)
            ?? ManifestDefaults.deadlineSeconds
        let referenceURLs = validateReferenceURLs(fields["referenceURLs"], at: path.key("referenceURLs"))
        let pollSeconds = decoder.number(
            ProviderOption.pollSeconds.key, in: fields, at: path, minimum: 0, exclusive: true, maximum: ManifestDefaults.longestWaitSeconds)
        if fields[ProviderOption.pollSeconds.key] != nil { checkOption(.pollSeconds, value: nil, of: dialect, at: path) }
        let responseFormat = decoder.string(ProviderOption.responseFormat.key, in: fields, at: path)
        if let responseFormat { checkOption(.responseFormat, value: responseFormat, of: dialect, at: path) }
        let callbackURL = decoder.string(ProviderOption.callbackURL.key, in: fields, at: path)
        if let callbackURL { checkOption(.callbackURL, value: callbackURL, of: dialect, at: path) }
        let mode = decoder.string(ProviderOption.mode.key, in: fields, at: path)
        if let mode { checkOption(.mode, value: mode, of: dialect, at: path) }
        if pollSeconds != nil, dialect.name == "gemini", ProviderMode(rawValue: mode ?? "") != .batch {
            problem(
                path.key(ProviderOption.pollSeconds.key), "gemini polls only in batch mode: add \"mode\": \"batch\" or remove pollSeconds")
        }
        let retry = validateRetry(fields["retry"], at: path.key("retry"))
        let spendPerTenMinutes = validateSpendPerTenMinutes(fields, at: path)
        return ProviderConfig(
            name: name, dialect: dialect.name, baseURL: baseURL, apiKeyEnv: apiKeyEnv,
            concurrency: concurrency, requestsPerMinute: rpm,
            latencyMilliseconds: latency, referenceURLs: referenceURLs,
            deadlineSeconds: deadline, pollSeconds: pollSeconds,
            responseFormat: responseFormat, callbackURL: callbackURL, mode: mode.flatMap(ProviderMode.init(rawValue:)) ?? .sync,
            retry: retry, spendPerTenMinutes: spendPerTenMinutes)
    }

    /// `spendPerTenMinutes`: USD, positive and finite.
    mutating func validateSpendPerTenMinutes(_ fields: JSONObject, at path: JSONPath) -> Double? {
        guard let limit = decoder.number("spendPerTenMinutes", in: fields, at: path, minimum: 0, exclusive: true) else { return nil }
        guard limit.isFinite else {
            problem(path.key("spendPerTenMinutes"), "must be a finite amount in USD")
            return nil
        }
        return limit
    }

    /// A dialect-specific option: refused unless the dialect takes it, then its value checked by the dialect.
    mutating func checkOption(_ option: ProviderOption, value: String?, of dialect: any Dialect, at path: JSONPath) {
        if !dialect.accepts(option) {
            problem(path.key(option.key), option.refusal(acceptedBy: DialectRegistry.names(accepting: option)))
        } else if let value, let reason = dialect.problem(with: option, value: value) {
            problem(path.key(option.key), reason)
        }
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
        retry.initialDelay =
            decoder.number(
                "initialDelaySeconds", in: fields, at: path, minimum: 0, exclusive: true, maximum: ManifestDefaults.longestWaitSeconds)
            ?? retry.initialDelay
        retry.maximumDelay =
            decoder.number(
                "maximumDelaySeconds", in: fields, at: path, minimum: 0, exclusive: true, maximum: ManifestDefaults.longestWaitSeconds)
            ?? retry.maximumDelay
        if retry.maximumDelay < retry.initialDelay {
            problem(path.key("maximumDelaySeconds"), "\(retry.maximumDelay) is below initialDelaySeconds \(retry.initialDelay)")
        }
        return retry
    }
}
