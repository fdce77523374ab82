import Foundation

/// Turns a provider's error answer (OpenAI style, Google style, task errors, or plain text) into a
/// readable `ProviderFailure`: HTTP status, provider code, message, and what to do about it.
package enum ProviderErrorReader {
    package static func failure(
        _ response: HTTPResponse, redactor: Redactor, apiKeyEnv: String?,
        now: Date = Date()
    ) -> ProviderFailure {
        let answer = try? JSONParser.parse(response.body, maxDepth: 64)
        var (code, message) = codeAndMessage(answer)
        if message?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { message = nil }
        if message == nil {
            let text = String(decoding: response.body.prefix(400), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? "no error message" : String(text.prefix(200))
        }
        var failure = ProviderFailure(
            redactor.redact(message ?? ""), httpStatus: response.status,
            providerCode: code.map(redactor.redact),
            rawAnswer: response.body.isEmpty ? nil : redactor.record(response.body))
        let keyHint = apiKeyEnv.map { " (check the key in \($0))" } ?? ""
        switch response.status {
        case 401, 403:
            failure.stopsProvider = true
            failure.message += " — the provider refused the API key or its access\(keyHint)"
        case 402:
            failure.stopsProvider = true
            failure.message += " — out of credit or quota; top up the account, then run again"
        case 429:
            if isQuotaExhausted(answer, code: code, message: failure.message) {
                failure.stopsProvider = true
                failure.message += " — quota used up; no more requests to this provider in this run"
            } else {
                failure.retryable = true
                failure.retryAfter =
                    RetryAfter.parse(response.header("retry-after"), now: now)
                    ?? RetryAfter.googleRetryDelay(answer)
            }
        default:
            failure.retryable = RetryPolicy.retryableStatuses.contains(response.status)
            failure.retryAfter = RetryAfter.parse(response.header("retry-after"), now: now)
        }
        return failure
    }

    /// The code and message of the common error shapes.
    package static func codeAndMessage(_ answer: JSONValue?) -> (code: String?, message: String?) {
        guard let answer else { return (nil, nil) }
        if let error = answer["error"], let object = error.objectValue {
            let code = object["status"]?.stringValue ?? object["code"]?.textValue ?? object["type"]?.stringValue
            return (code, object["message"]?.stringValue)
        }
        if let message = answer["error"]?.stringValue { return (answer["code"]?.textValue, message) }
        let code = answer["errorCode"]?.textValue ?? answer["code"]?.textValue
        let message = answer["errorMessage"]?.stringValue ?? answer["message"]?.stringValue ?? answer["msg"]?.stringValue
        return (code, message)
    }

    /// A 429 that waiting minutes will not fix: a per-day quota, or no quota left at all.
    static func isQuotaExhausted(_ answer: JSONValue?, code: String?, message: String) -> Bool {
        let code = (code ?? "").lowercased()
        if code == "insufficient_quota" || code == "quota_exceeded" && message.lowercased().contains("day") { return true }
        for detail in answer?.at("error", "details")?.arrayValue ?? [] {
            for violation in detail["violations"]?.arrayValue ?? [] {
                let id = (violation["quotaId"]?.stringValue ?? "") + " " + (violation["quotaMetric"]?.stringValue ?? "")
                if id.lowercased().contains("perday") || id.lowercased().contains("per_day") { return true }
            }
        }
        let lowered = message.lowercased()
        return lowered.contains("per day") || lowered.contains("daily quota") || lowered.contains("daily limit")
    }
}
