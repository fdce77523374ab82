import Foundation

/// Dialect `evolink` (seed 004): `POST /v1/images/generations` answers a task object; poll
/// `GET /v1/tasks/{id}` until `completed` (`results: [url]`) or `failed` (`error{code,message}`).
/// `usage.credits_reserved` is the job's cost in credits. A task that failed with a "retry later"
/// code is submitted again (within the retry policy); "fix and resubmit" codes are final.
public struct EvolinkProvider: ImageProvider {
    public let client: ProviderClient
    public let callbackURL: String?

    public init(client: ProviderClient, callbackURL: String? = nil) {
        self.client = client
        self.callbackURL = callbackURL
    }

    /// The request itself must change: a final job failure.
    public static let fixAndResubmitCodes: Set<String> = [
        "content_policy_violation", "invalid_parameters", "image_processing_error", "image_dimension_mismatch", "request_cancelled",
    ]
    /// The provider had a problem: the same request may succeed later.
    public static let retryLaterCodes: Set<String> = [
        "generation_failed_no_content", "service_error", "generation_timeout", "resource_exhausted", "quota_exceeded",
        "service_unavailable", "resource_not_found", "unknown_error",
    ]

    public var submissionKind: SubmissionKind { EvolinkDialect().submissionKind }

    public func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        var notes: [String] = []
        if let taskID = request.resumeTaskID {
            do {
                let locations = try await finish(taskID: taskID, created: nil, deadline: request.deadline)
                guard let location = locations.first else { throw ProviderFailure("task \(taskID) completed without results") }
                _ = try await client.fetchResult(location, to: request.destination, deadline: request.deadline)
                return GenerationReceipt(actualCost: nil, costUnit: "credits", attempts: 0, notes: ["resumed task \(taskID) from the journal"])
            } catch var failure as ProviderFailure {
                guard failure.saysTaskUnknown || failure.providerCode.map(EvolinkProvider.retryLaterCodes.contains) == true else {
                    failure.attempts = 0
                    throw failure
                }
                notes.append("journaled task \(taskID) cannot be resumed (\(failure.providerCode ?? "unknown to the provider")); submitted again")
            }
        }
        let body = try createBody(job: request.job, references: request.references)
        var billable = 0
        var submission = 0
        while true {
            submission += 1
            let (_, created) = try await client.sendJSON("POST", "/v1/images/generations", body: body, deadline: request.deadline,
                                                         what: "images/generations", billable: &billable)
            guard let taskID = created["id"]?.textValue, !taskID.isEmpty else {
                throw ProviderFailure("images/generations: the answer has no task id", rawAnswer: client.redactor.record(created.data()),
                                      attempts: billable)
            }
            request.taskCreated(taskID)
            let reserved = created.at("usage", "credits_reserved")?.numberValue
            notes.append("task \(taskID)")
            do {
                let locations = try await finish(taskID: taskID, created: created, deadline: request.deadline)
                guard let location = locations.first else { throw ProviderFailure("task \(taskID) completed without results") }
                _ = try await client.fetchResult(location, to: request.destination, deadline: request.deadline)
                return GenerationReceipt(actualCost: reserved, costUnit: "credits", attempts: billable, notes: notes)
            } catch var failure as ProviderFailure {
                failure.attempts = billable
                let wait = client.retry.delay(afterAttempt: submission, unit: client.random())
                let left = ContinuousClock.now.duration(to: request.deadline).seconds
                guard failure.providerCode.map(EvolinkProvider.retryLaterCodes.contains) == true,
                      client.retry.shouldRetry(failure, attempt: submission, secondsLeft: left, wait: wait) else { throw failure }
                notes.append("task \(taskID) failed (\(failure.providerCode ?? "")); submitted again")
                try await client.sleep(.seconds(wait))
            }
        }
    }

    func finish(taskID: String, created: JSONValue?, deadline: ContinuousClock.Instant) async throws -> [String] {
        if let created, case .succeeded(let locations, _) = EvolinkProvider.taskState(created, taskID: taskID, redactor: client.redactor) {
            return locations
        }
        let client = self.client
        return try await client.waitForTask(id: taskID, deadline: deadline) {
            var reads = 0
            let (_, answer) = try await client.sendJSON("GET", "/v1/tasks/\(Endpoint.encode(taskID))", body: nil, deadline: deadline,
                                                        what: "tasks/{id}", billable: &reads)
            return EvolinkProvider.taskState(answer, taskID: taskID, redactor: client.redactor)
        }.locations
    }

    func createBody(job: Job, references: [Reference]) throws -> JSONValue {
        var body = JSONObject([("model", .string(job.model)), ("prompt", .string(job.promptText)), ("size", .string(job.aspectRatio))])
        if let size = job.imageSize {
            body["quality"] = .string(size)
        }
        if !references.isEmpty { body["image_urls"] = .array(try references.map { .string(try client.referenceURL($0)) }) }
        if let callbackURL { body["callback_url"] = .string(callbackURL) }
        return .object(body)
    }

    static func taskState(_ answer: JSONValue, taskID: String, redactor: Redactor) -> ProviderClient.TaskState {
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
            let retryLater = retryLaterCodes.contains(code)
            let advice = retryLater ? "the provider may succeed later" : "change the request before submitting again"
            return .failed(ProviderFailure("task \(taskID) \(status): \(redactor.redact(message)) (\(advice))", providerCode: code,
                                           rawAnswer: redactor.record(answer.data()), retryable: retryLater))
        default:
            return .running(status: status)
        }
    }
}
