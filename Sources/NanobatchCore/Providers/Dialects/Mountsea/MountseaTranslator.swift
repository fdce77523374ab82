import Foundation

/// Mountsea's task API as data (seed 002): `POST /gemini/image/generate` answers 201 `{taskId}`;
/// `GET /gemini/task/result?taskId=…` until `completed`. References are URLs only.
struct MountseaTranslator: AsyncTaskTranslator {
    static let failedStatuses: Set<String> = ["failed", "cancelled", "canceled", "timeout", "error"]

    let createEndpoint = TaskEndpoint(path: "/gemini/image/generate", what: "gemini/image/generate")
    let taskIDName = "taskId"
    let createAnswerMayHoldResult = false
    let missingResultMessage = "completed without an image URL"
    let policy = AsyncTaskPolicy.standard

    func createBody(for job: Job, referenceURLs: [String]) -> JSONValue {
        var body = JSONObject([
            ("prompt", .string(job.promptText)),
            ("action", .string(referenceURLs.isEmpty ? "generate" : "edit")),
            ("model", .string(job.model)), ("aspect_ratio", .string(job.aspectRatio)),
            ("num_images", 1),
        ])
        if !referenceURLs.isEmpty { body["image_urls"] = .array(referenceURLs.map { .string($0) }) }
        // `resolution` only for nano-banana-pro and nano-banana-2: only their jobs carry a size.
        if let size = job.imageSize {
            body["resolution"] = .string(size)
        }
        return .object(body)
    }

    func failure(inCreateAnswer answer: JSONValue, redactor: Redactor) -> ProviderFailure? { nil }

    func taskID(inCreateAnswer answer: JSONValue) -> String? {
        (answer["taskId"] ?? answer.at("data", "taskId"))?.textValue
    }

    func pollEndpoint(taskID: String) -> TaskEndpoint {
        TaskEndpoint(path: "/gemini/task/result", query: [("taskId", taskID)], what: "gemini/task/result")
    }

    /// Reads one poll answer (tolerating a `data` envelope). The image URL is looked for at
    /// `result.imageUrls[0]` first, then anywhere in `result`.
    func taskState(_ answer: JSONValue, taskID: String, redactor: Redactor) -> ProviderClient.TaskState {
        let task = answer["status"] == nil && answer["data"]?["status"] != nil ? answer["data"]! : answer
        guard let status = task["status"]?.stringValue?.lowercased() else {
            return .failed(ProviderFailure("task \(taskID): the poll answer has no status", rawAnswer: redactor.record(answer.data())))
        }
        if status == "completed" || status == "succeeded" || status == "success" {
            let result = task["result"]
            var locations = (result?["imageUrls"]?.arrayValue ?? []).compactMap(\.stringValue)
            locations += ResultDecoder.urls(in: result).filter { !locations.contains($0) }
            if locations.isEmpty {
                return .failed(
                    ProviderFailure(
                        "task \(taskID) completed, but no image URL was found in its result",
                        rawAnswer: redactor.record(answer.data())))
            }
            return .succeeded(resultLocations: locations, answer: answer)
        }
        if Self.failedStatuses.contains(status) {
            let message = task["errorMessage"]?.stringValue ?? task["error"]?.stringValue ?? "no reason given"
            return .failed(
                ProviderFailure(
                    "task \(taskID) \(status): \(redactor.redact(message))",
                    providerCode: task["errorCode"]?.textValue, rawAnswer: redactor.record(answer.data())))
        }
        return .running(status: status)
    }

    /// Mountsea's answers carry no price.
    func actualCost(job: Job, createAnswer: JSONValue?, finalAnswer: JSONValue) -> Double? { nil }
}
