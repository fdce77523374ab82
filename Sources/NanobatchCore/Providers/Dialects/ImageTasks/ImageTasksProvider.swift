import Foundation

/// Dialect `image-tasks` (seed 003, "UniAll"): `POST /v1/images/tasks`, then poll
/// `GET /v1/images/tasks/{task_id}` until `succeeded`. References go in `images` (never `image`).
public struct ImageTasksProvider: ImageProvider {
    public let client: ProviderClient

    public init(client: ProviderClient) { self.client = client }

    static let failedStatuses: Set<String> = ["failed", "failure", "error", "cancelled", "canceled", "timeout", "timed_out", "expired"]

    public var submissionKind: SubmissionKind { ImageTasksDialect().submissionKind }

    public func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        let job = request.job
        var notes: [String] = []
        if let taskID = request.resumeTaskID {
            do {
                let resultCount = try await finish(taskID: taskID, created: nil, request: request)
                return GenerationReceipt(actualCost: job.unitPrice.map { $0 * Double(resultCount) }, attempts: 0,
                                         notes: ["resumed task \(taskID) from the journal"])
            } catch var failure as ProviderFailure {
                guard failure.saysTaskUnknown else {
                    failure.attempts = 0
                    throw failure
                }
                notes.append("journaled task \(taskID) is unknown to the provider; submitted again")
            }
        }
        var billable = 0
        let (_, created) = try await client.sendJSON("POST", "/v1/images/tasks", body: try createBody(job: job, references: request.references),
                                                     deadline: request.deadline, what: "images/tasks", billable: &billable)
        if let failure = ImageTasksProvider.envelopeFailure(created, what: "images/tasks", redactor: client.redactor) {
            var failure = failure
            failure.attempts = billable
            throw failure
        }
        let task = created["data"]?.objectValue != nil ? created["data"]! : created
        guard let taskID = (task["task_id"] ?? task["id"])?.textValue, !taskID.isEmpty else {
            throw ProviderFailure("images/tasks: the answer has no task_id", rawAnswer: client.redactor.record(created.data()), attempts: billable)
        }
        request.taskCreated(taskID)
        let resultCount: Int
        do {
            resultCount = try await finish(taskID: taskID, created: created, request: request)
        } catch var failure as ProviderFailure {
            failure.attempts = billable
            throw failure
        }
        // Billing is the unit price × results returned.
        return GenerationReceipt(actualCost: job.unitPrice.map { $0 * Double(resultCount) }, attempts: billable,
                                 notes: notes + ["task \(taskID)"])
    }

    /// Polls the task to its end (unless the create answer already carries the result), downloads
    /// the image, and returns how many results the provider says it made.
    func finish(taskID: String, created: JSONValue?, request: GenerationRequest) async throws -> Int {
        let client = self.client
        let (locations, answer): ([String], JSONValue)
        if let created, case .succeeded(let found, let finished) = ImageTasksProvider.taskState(created, taskID: taskID, redactor: client.redactor) {
            (locations, answer) = (found, finished)
        } else {
            (locations, answer) = try await client.waitForTask(id: taskID, deadline: request.deadline) {
                var reads = 0
                let (_, answer) = try await client.sendJSON("GET", "/v1/images/tasks/\(Endpoint.encode(taskID))", body: nil,
                                                            deadline: request.deadline, what: "images/tasks/{id}", billable: &reads)
                return ImageTasksProvider.taskState(answer, taskID: taskID, redactor: client.redactor)
            }
        }
        guard let location = locations.first else { throw ProviderFailure("task \(taskID) succeeded without a result_url") }
        _ = try await client.fetchResult(location, to: request.destination, deadline: request.deadline)
        if let count = answer.at("data", "metadata", "result_count")?.numberValue, count >= 1, count <= 100 { return Int(count) }
        return 1
    }

    func createBody(job: Job, references: [Reference]) throws -> JSONValue {
        var body = JSONObject([("model", .string(job.model)),
                               ("task_type", .string(references.isEmpty ? "text2image" : "image2image")),
                               ("prompt", .string(job.promptText)), ("aspect_ratio", .string(job.aspectRatio)),
                               ("output_format", .string(job.format.rawValue)), ("n", 1), ("response_format", "url")])
        if !references.isEmpty { body["images"] = .array(try references.map { .string(try client.referenceURL($0)) }) }
        return .object(body)
    }

    /// `{code: "error", message}` (or any code other than success) around an otherwise normal answer.
    static func envelopeFailure(_ answer: JSONValue, what: String, redactor: Redactor) -> ProviderFailure? {
        guard let code = answer["code"]?.textValue, !["success", "ok", "0", "200"].contains(code.lowercased()) else { return nil }
        let message = answer["message"]?.stringValue ?? answer.at("data", "error")?.stringValue ?? "no message"
        return ProviderFailure("\(what): \(redactor.redact(message))", providerCode: code, rawAnswer: redactor.record(answer.data()))
    }

    /// Only `succeeded` is documented; failed/error/cancelled/timeout (any case) end the task;
    /// anything else is still running.
    static func taskState(_ answer: JSONValue, taskID: String, redactor: Redactor) -> ProviderClient.TaskState {
        if let failure = envelopeFailure(answer, what: "task \(taskID)", redactor: redactor) { return .failed(failure) }
        let task = answer["data"]?.objectValue != nil ? answer["data"]! : answer
        let status = task["status"]?.stringValue?.lowercased() ?? "unknown"
        if status == "succeeded" || status == "success" || status == "completed" {
            var locations: [String] = []
            if let url = task["result_url"]?.stringValue { locations.append(url) }
            locations += (task["result_urls"]?.arrayValue ?? []).compactMap(\.stringValue)
            if locations.isEmpty { locations = ResultDecoder.urls(in: task) }
            if locations.isEmpty {
                return .failed(ProviderFailure("task \(taskID) succeeded, but its answer has no result_url",
                                               rawAnswer: redactor.record(answer.data())))
            }
            return .succeeded(resultLocations: locations, answer: answer)
        }
        if failedStatuses.contains(status) {
            let error = task["error"]
            let message = error?.stringValue ?? error?["message"]?.stringValue ?? "no reason given"
            return .failed(ProviderFailure("task \(taskID) \(status): \(redactor.redact(message))",
                                           providerCode: error?["code"]?.textValue, rawAnswer: redactor.record(answer.data())))
        }
        return .running(status: status)
    }
}
