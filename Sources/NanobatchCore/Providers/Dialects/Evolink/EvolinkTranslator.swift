import Foundation

/// evolink's task API as data (seed 004): `POST /v1/images/generations` answers a task object;
/// `GET /v1/tasks/{id}` until `completed` (`results: [url]`) or `failed` (`error{code,message}`).
/// `usage.credits_reserved` is the job's cost in credits. A task that failed with a "retry later"
/// code is submitted again (within the retry policy); every other code means the request itself
/// must change, and is final.
struct EvolinkTranslator: AsyncTaskTranslator {
    /// The provider had a problem: the same request may succeed later.
    static let retryLaterCodes: Set<String> = [
        "generation_failed_no_content", "service_error", "generation_timeout", "resource_exhausted", "quota_exceeded",
        "service_unavailable", "resource_not_found", "unknown_error",
    ]

    /// HTTPS address the provider calls when a task ends.
    var callbackURL: String?

    let createEndpoint = TaskEndpoint(path: "/v1/images/generations", what: "images/generations")
    let taskIDName = "task id"
    let createAnswerMayHoldResult = true
    let missingResultMessage = "completed without results"
    let policy = AsyncTaskPolicy(retryLaterCodes: EvolinkTranslator.retryLaterCodes, costUnit: .credits)

    func createBody(for job: Job, referenceURLs: [String]) -> JSONValue {
        var body = JSONObject([("model", .string(job.model)), ("prompt", .string(job.promptText)), ("size", .string(job.aspectRatio))])
        if let size = job.imageSize {
            body["quality"] = .string(size)
        }
        if !referenceURLs.isEmpty { body["image_urls"] = .array(referenceURLs.map { .string($0) }) }
        if let callbackURL { body["callback_url"] = .string(callbackURL) }
        return .object(body)
    }

    func failure(inCreateAnswer answer: JSONValue, redactor: Redactor) -> ProviderFailure? { nil }

    func taskID(inCreateAnswer answer: JSONValue) -> String? { answer["id"]?.textValue }

    func pollEndpoint(taskID: String) -> TaskEndpoint {
        TaskEndpoint(path: "/v1/tasks/\(Endpoint.encode(taskID))", what: "tasks/{id}")
    }

    func taskState(_ answer: JSONValue, taskID: String, redactor: Redactor) -> ProviderClient.TaskState {
        let status = answer["status"]?.stringValue?.lowercased() ?? "unknown"
        switch status {
        case "completed", "succeeded":
            let locations = (answer["results"]?.arrayValue ?? []).compactMap { $0.stringValue ?? $0["url"]?.stringValue }
            if locations.isEmpty {
                return .failed(ProviderFailure("task \(taskID) completed, but has no results", rawAnswer: redactor.record(answer.data())))
            }
            return .succeeded(resultLocations: locations, answer: answer)
        case "failed", "cancelled", "canceled":
            let code = answer.at("error", "code")?.textValue ?? (status == "failed" ? "unknown_error" : "request_cancelled")
            let message = answer.at("error", "message")?.stringValue ?? "no reason given"
            let retryLater = Self.retryLaterCodes.contains(code)
            let advice = retryLater ? "the provider may succeed later" : "change the request before submitting again"
            return .failed(
                ProviderFailure(
                    "task \(taskID) \(status): \(redactor.redact(message)) (\(advice))", providerCode: code,
                    rawAnswer: redactor.record(answer.data()), retryable: retryLater))
        default:
            return .running(status: status)
        }
    }

    /// The credits the create answer reserved; a resumed task's are not known.
    func actualCost(job: Job, createAnswer: JSONValue?, finalAnswer: JSONValue) -> Double? {
        createAnswer?.at("usage", "credits_reserved")?.numberValue
    }
}
