import Foundation

/// UniAll's task API as data (seed 003): `POST /v1/images/tasks`, then `GET /v1/images/tasks/{task_id}`
/// until `succeeded`. References go in `images` (never `image`); answers may wrap in `{code, data}`.
struct ImageTasksTranslator: AsyncTaskTranslator {
    static let failedStatuses: Set<String> = ["failed", "failure", "error", "cancelled", "canceled", "timeout", "timed_out", "expired"]

    let createEndpoint = TaskEndpoint(path: "/v1/images/tasks", what: "images/tasks")
    let taskIDName = "task_id"
    let createAnswerMayHoldResult = true
    let missingResultMessage = "succeeded without a result_url"
    let policy = AsyncTaskPolicy.standard

    func createBody(for job: Job, referenceURLs: [String]) -> JSONValue {
        var body = JSONObject([
            ("model", .string(job.model)),
            ("task_type", .string(referenceURLs.isEmpty ? "text2image" : "image2image")),
            ("prompt", .string(job.promptText)), ("aspect_ratio", .string(job.aspectRatio)),
            ("output_format", .string(job.format.rawValue)), ("n", 1), ("response_format", "url"),
        ])
        if !referenceURLs.isEmpty { body["images"] = .array(referenceURLs.map { .string($0) }) }
        return .object(body)
    }

    func failure(inCreateAnswer answer: JSONValue, redactor: Redactor) -> ProviderFailure? {
        Self.envelopeFailure(answer, what: createEndpoint.what, redactor: redactor)
    }

    func taskID(inCreateAnswer answer: JSONValue) -> String? {
        let task = answer["data"]?.objectValue != nil ? answer["data"]! : answer
        return (task["task_id"] ?? task["id"])?.textValue
    }

    func pollEndpoint(taskID: String) -> TaskEndpoint {
        TaskEndpoint(path: "/v1/images/tasks/\(Endpoint.encode(taskID))", what: "images/tasks/{id}")
    }

    /// `{code: "error", message}` (or any code other than success) around an otherwise normal answer.
    static func envelopeFailure(_ answer: JSONValue, what: String, redactor: Redactor) -> ProviderFailure? {
        guard let code = answer["code"]?.textValue, !["success", "ok", "0", "200"].contains(code.lowercased()) else { return nil }
        let message = answer["message"]?.stringValue ?? answer.at("data", "error")?.stringValue ?? "no message"
        return ProviderFailure("\(what): \(redactor.redact(message))", providerCode: code, rawAnswer: redactor.record(answer.data()))
    }

    /// Only `succeeded` is documented; failed/error/cancelled/timeout (any case) end the task;
    /// anything else is still running.
    func taskState(_ answer: JSONValue, taskID: String, redactor: Redactor) -> ProviderClient.TaskState {
        if let failure = Self.envelopeFailure(answer, what: "task \(taskID)", redactor: redactor) { return .failed(failure) }
        let task = answer["data"]?.objectValue != nil ? answer["data"]! : answer
        let status = task["status"]?.stringValue?.lowercased() ?? "unknown"
        if status == "succeeded" || status == "success" || status == "completed" {
            var locations: [String] = []
            if let url = task["result_url"]?.stringValue { locations.append(url) }
            locations += (task["result_urls"]?.arrayValue ?? []).compactMap(\.stringValue)
            if locations.isEmpty { locations = ResultDecoder.urls(in: task) }
            if locations.isEmpty {
                return .failed(
                    ProviderFailure(
                        "task \(taskID) succeeded, but its answer has no result_url",
                        rawAnswer: redactor.record(answer.data())))
            }
            return .succeeded(resultLocations: locations, answer: answer)
        }
        if Self.failedStatuses.contains(status) {
            let error = task["error"]
            let message = error?.stringValue ?? error?["message"]?.stringValue ?? "no reason given"
            return .failed(
                ProviderFailure(
                    "task \(taskID) \(status): \(redactor.redact(message))",
                    providerCode: error?["code"]?.textValue, rawAnswer: redactor.record(answer.data())))
        }
        return .running(status: status)
    }

    /// Billing is the unit price × results returned (`data.metadata.result_count`, else 1).
    func actualCost(job: Job, createAnswer: JSONValue?, finalAnswer: JSONValue) -> Double? {
        job.unitPrice.map { $0 * Double(Self.resultCount(finalAnswer)) }
    }

    static func resultCount(_ answer: JSONValue) -> Int {
        if let count = answer.at("data", "metadata", "result_count")?.numberValue, count >= 1, count <= 100 { return Int(count) }
        return 1
    }
}
