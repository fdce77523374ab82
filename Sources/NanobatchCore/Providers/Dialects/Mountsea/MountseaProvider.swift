import Foundation

/// Dialect `mountsea` (seed 002): `POST /gemini/image/generate` answers 201 `{taskId}`; the task is
/// polled at `GET /gemini/task/result?taskId=…` until `completed`. References are URLs only.
public struct MountseaProvider: ImageProvider {
    public let client: ProviderClient

    public init(client: ProviderClient) { self.client = client }

    static let failedStatuses: Set<String> = ["failed", "cancelled", "canceled", "timeout", "error"]

    public var submissionKind: SubmissionKind { MountseaDialect().submissionKind }

    public func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        var notes: [String] = []
        if let taskID = request.resumeTaskID {
            do {
                try await finish(taskID: taskID, request: request)
                return GenerationReceipt(actualCost: nil, attempts: 0, notes: ["resumed task \(taskID) from the journal"])
            } catch var failure as ProviderFailure {
                guard failure.saysTaskUnknown else {
                    failure.attempts = 0
                    throw failure
                }
                notes.append("journaled task \(taskID) is unknown to the provider; submitted again")
            }
        }
        let body = try createBody(job: request.job, references: request.references)
        var billable = 0
        let (_, created) = try await client.sendJSON("POST", "/gemini/image/generate", body: body, deadline: request.deadline,
                                                     what: "gemini/image/generate", billable: &billable)
        guard let taskID = (created["taskId"] ?? created.at("data", "taskId"))?.textValue, !taskID.isEmpty else {
            throw ProviderFailure("gemini/image/generate: the answer has no taskId", rawAnswer: client.redactor.record(created.data()),
                                  attempts: billable)
        }
        request.taskCreated(taskID)
        do {
            try await finish(taskID: taskID, request: request)
        } catch var failure as ProviderFailure {
            failure.attempts = billable
            throw failure
        }
        return GenerationReceipt(actualCost: nil, attempts: billable, notes: notes + ["task \(taskID)"])
    }

    /// Polls the task to its end and downloads its image.
    func finish(taskID: String, request: GenerationRequest) async throws {
        let client = self.client
        let (locations, _) = try await client.waitForTask(id: taskID, deadline: request.deadline) {
            var reads = 0
            let (_, answer) = try await client.sendJSON("GET", "/gemini/task/result", body: nil, query: [("taskId", taskID)],
                                                        deadline: request.deadline, what: "gemini/task/result", billable: &reads)
            return MountseaProvider.taskState(answer, taskID: taskID, redactor: client.redactor)
        }
        guard let location = locations.first else { throw ProviderFailure("task \(taskID) completed without an image URL") }
        _ = try await client.fetchResult(location, to: request.destination, deadline: request.deadline)
    }

    func createBody(job: Job, references: [Reference]) throws -> JSONValue {
        var body = JSONObject([("prompt", .string(job.promptText)),
                               ("action", .string(references.isEmpty ? "generate" : "edit")),
                               ("model", .string(job.model)), ("aspect_ratio", .string(job.aspectRatio)),
                               ("num_images", 1)])
        if !references.isEmpty { body["image_urls"] = .array(try references.map { .string(try client.referenceURL($0)) }) }
        // `resolution` only for nano-banana-pro and nano-banana-2: only their jobs carry a size.
        if let size = job.imageSize {
            body["resolution"] = .string(size)
        }
        return .object(body)
    }

    /// Reads one poll answer (tolerating a `data` envelope). The image URL is looked for at
    /// `result.imageUrls[0]` first, then anywhere in `result`.
    static func taskState(_ answer: JSONValue, taskID: String, redactor: Redactor) -> ProviderClient.TaskState {
        let task = answer["status"] == nil && answer["data"]?["status"] != nil ? answer["data"]! : answer
        guard let status = task["status"]?.stringValue?.lowercased() else {
            return .failed(ProviderFailure("task \(taskID): the poll answer has no status", rawAnswer: redactor.record(answer.data())))
        }
        if status == "completed" || status == "succeeded" || status == "success" {
            let result = task["result"]
            var locations = (result?["imageUrls"]?.arrayValue ?? []).compactMap(\.stringValue)
            locations += ResultDecoder.urls(in: result).filter { !locations.contains($0) }
            if locations.isEmpty {
                return .failed(ProviderFailure("task \(taskID) completed, but no image URL was found in its result",
                                               rawAnswer: redactor.record(answer.data())))
            }
            return .succeeded(resultLocations: locations, answer: answer)
        }
        if failedStatuses.contains(status) {
            let message = task["errorMessage"]?.stringValue ?? task["error"]?.stringValue ?? "no reason given"
            return .failed(ProviderFailure("task \(taskID) \(status): \(redactor.redact(message))",
                                           providerCode: task["errorCode"]?.textValue, rawAnswer: redactor.record(answer.data())))
        }
        return .running(status: status)
    }
}
