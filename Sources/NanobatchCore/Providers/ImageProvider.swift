import Foundation

/// What a provider is asked to make, and where to write the image.
package struct GenerationRequest: Sendable {
    package let job: Job
    package let key: String
    /// The references to send, in order: an upstream output first (chained steps), then the job's own.
    package let references: [Reference]
    /// The provider writes the finished image here (or returns it in the receipt); the runner verifies it and moves it into the store.
    package let destination: URL
    /// The point after which the provider should give up.
    package let deadline: ContinuousClock.Instant
    /// An async task an earlier run created for this request (from the journal): poll it, do not create another.
    package var resumeTaskID: String?
    /// Called the moment a provider returns an async task id, before polling; returns once the runner journaled it.
    package var taskCreated: @Sendable (String) async -> Void
    /// A synchronous request's result URL an earlier run was answered with (from the journal):
    /// download it, do not send the request again.
    package var resumeResultLocation: String?
    /// Called with a synchronous request's result URL before it is downloaded (the runner journals it).
    package var resultLocated: @Sendable (String) -> Void
    /// The display name of a provider-side batch an earlier run was about to create for this request
    /// (from the journal): look for that batch before creating another.
    package var resumeBatchIntent: String?
    /// Called before every further paid request of the job (a task submitted again): returns once
    /// the submission is journaled, throws when it cannot be (then the request must not be sent).
    package var willPayAgain: @Sendable () async throws -> Void

    /// Longest task id or result URL worth journaling (UTF-8 bytes); longer ones are not resumable.
    package static let longestJournaledHandle = 8192

    package init(
        job: Job, key: String, references: [Reference], destination: URL, deadline: ContinuousClock.Instant,
        resumeTaskID: String? = nil, resumeResultLocation: String? = nil,
        taskCreated: @escaping @Sendable (String) async -> Void = { _ in }, resultLocated: @escaping @Sendable (String) -> Void = { _ in },
        willPayAgain: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.job = job
        self.key = key
        self.references = references
        self.destination = destination
        self.deadline = deadline
        self.resumeTaskID = resumeTaskID
        self.resumeResultLocation = resumeResultLocation
        self.taskCreated = taskCreated
        self.resultLocated = resultLocated
        self.willPayAgain = willPayAgain
    }
}

/// What a provider reports after making an image: written to the request's destination, or in `image`.
package struct GenerationReceipt: Sendable {
    /// What the provider charged, when it says; in `unit`.
    package var actualCost: Double?
    package var unit: CostUnit
    /// `unit` as written in reports.
    package var costUnit: String { unit.rawValue }
    /// Requests that reached the provider and may have been billed.
    package var attempts: Int
    /// Diagnostics worth keeping in the job's record (no secrets).
    package var notes: [String]
    /// The image, checked, when the provider hands it over in memory instead of writing `destination`.
    package var image: Data?

    package init(actualCost: Double? = nil, unit: CostUnit = .usd, attempts: Int = 1, notes: [String] = [], image: Data? = nil) {
        self.actualCost = actualCost
        self.unit = unit
        self.attempts = attempts
        self.notes = notes
        self.image = image
    }
}

/// A job-level failure with what the provider said.
package struct ProviderFailure: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var httpStatus: Int?
    package var providerCode: String?
    /// The raw answer, truncated, with secrets removed.
    package var rawAnswer: String?
    package var attempts: Int
    /// Trying again later may succeed (rate limits, server errors, lost connections).
    package var retryable: Bool
    /// Seconds the provider asked us to wait (Retry-After, Gemini RetryInfo).
    package var retryAfter: Double?
    /// No further job can succeed at this provider in this run (bad key, no credit, daily quota).
    package var stopsProvider: Bool
    /// The provider may still finish (or charge for) this request: a task that outlived the deadline,
    /// a result that could not be downloaded, a request whose connection died. The journal keeps it open.
    package var outcomeUnknown = false
    /// The provider finished (and charged for) the request, but its result can no longer be
    /// downloaded (404 or 410 on the result URL of an earlier run's task): the journal closes the
    /// record, so the next run pays again, and the job's message says so.
    package var resultLost = false

    package init(
        _ message: String, httpStatus: Int? = nil, providerCode: String? = nil, rawAnswer: String? = nil,
        attempts: Int = 1, retryable: Bool = false, retryAfter: Double? = nil, stopsProvider: Bool = false
    ) {
        self.message = message
        self.httpStatus = httpStatus
        self.providerCode = providerCode
        self.rawAnswer = rawAnswer
        self.attempts = attempts
        self.retryable = retryable
        self.retryAfter = retryAfter
        self.stopsProvider = stopsProvider
    }

    /// A poll of a journaled task found no such task (it expired or never existed). Only a poll's
    /// answer may say this; a 404 on a result download says the image is gone, not the task.
    package var saysTaskUnknown: Bool { saysGone }

    /// 404 or 410.
    package var saysGone: Bool { httpStatus == 404 || httpStatus == 410 }

    /// This download failure of an earlier run's paid result, as the job's final failure.
    package func asResultLost(of what: String) -> ProviderFailure {
        var lost = self
        lost.message =
            "\(what) was finished and paid for by an earlier run, but its image can no longer be downloaded "
            + "(result URLs live about 24 h): \(message). Not submitted again in this run; the journal marks it lost, "
            + "so the next run pays for a new image"
        lost.resultLost = true
        lost.outcomeUnknown = false
        lost.retryable = false
        lost.attempts = 0
        return lost
    }

    package var description: String {
        var parts: [String] = []
        if let httpStatus { parts.append("HTTP \(httpStatus)") }
        if let providerCode { parts.append(providerCode) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

/// How a provider's requests are paid for, which decides what the journal records.
package enum SubmissionKind: Sendable {
    /// Nothing is paid (the offline provider): nothing is journaled.
    case free
    /// One paid request answers with the image: the journal marks it in flight, and journals its
    /// result URL (when it answers with one) so a rerun downloads it again instead of paying.
    case synchronous
    /// A paid request returns a task id that is polled: the id is journaled and a rerun resumes it.
    case asyncTask
}

/// One image API. Implementations are small and `Sendable`; transports are injected.
package protocol ImageProvider: Sendable {
    func generate(_ request: GenerationRequest) async throws -> GenerationReceipt
    var submissionKind: SubmissionKind { get }
}

extension ImageProvider {
    package var submissionKind: SubmissionKind { .synchronous }
}
