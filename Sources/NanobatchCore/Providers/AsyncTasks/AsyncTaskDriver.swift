import Foundation

/// The adapter of every async task dialect: resume the journaled task or create one, report its id
/// (`GenerationRequest.taskCreated`), poll it with backoff to its end (`ProviderClient.waitForTask`),
/// download the image. What to send and how to read answers is the translator's; when to submit
/// again is its policy's.
struct AsyncTaskDriver<Translator: AsyncTaskTranslator>: ImageProvider {
    let client: ProviderClient
    let translator: Translator

    /// Task ids are journaled, and a rerun resumes them.
    var submissionKind: SubmissionKind { .asyncTask }

    func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        do {
            return try await generateUnredacted(request)
        } catch var failure as ProviderFailure {
            // Messages name the task, and a task id may hold anything.
            failure.message = client.redactor.redact(failure.message)
            throw failure
        }
    }

    private func generateUnredacted(_ request: GenerationRequest) async throws -> GenerationReceipt {
        let policy = translator.policy
        var notes: [String] = []
        var paidAlready = true  // the runner journaled the first submission
        if let taskID = request.resumeTaskID {
            do {
                let answer = try await finish(taskID: taskID, created: nil, request: request)
                return GenerationReceipt(
                    actualCost: translator.actualCost(job: request.job, createAnswer: nil, finalAnswer: answer),
                    unit: policy.costUnit, attempts: 0, notes: ["resumed task \(client.redactor.redact(taskID)) from the journal"])
            } catch let lost as ResultDownloadFailure {
                // The task finished: a missing image is no reason to pay for another.
                guard lost.failure.saysGone else {
                    var failure = lost.failure
                    failure.attempts = 0
                    throw failure
                }
                throw lost.failure.asResultLost(of: "task \(taskID)")
            } catch var failure as ProviderFailure {
                guard policy.resubmitsAfterResuming(failure) else {
                    failure.attempts = 0
                    throw failure
                }
                notes.append(policy.resumeNote(taskID: client.redactor.redact(taskID), failure: failure))
                paidAlready = false
            }
        }
        let body = translator.createBody(for: request.job, referenceURLs: try request.references.map(client.referenceURL))
        let endpoint = translator.createEndpoint
        var billable = 0
        var submission = 0
        while true {
            submission += 1
            // Every paid request is journaled before it is sent; this throws when it cannot be.
            if !paidAlready || submission > 1 {
                do {
                    try await request.willPayAgain()
                } catch let failure as JournalFailure {
                    throw ProviderFailure("not submitted again: \(failure)", attempts: billable)
                }
            }
            let (_, created) = try await client.sendJSON(
                "POST", endpoint.path, body: body, query: endpoint.query,
                deadline: request.deadline, what: endpoint.what, billable: &billable)
            if var failure = translator.failure(inCreateAnswer: created, redactor: client.redactor) {
                failure.attempts = billable
                throw failure
            }
            guard let taskID = translator.taskID(inCreateAnswer: created), !taskID.isEmpty else {
                throw ProviderFailure(
                    "\(endpoint.what): the answer has no \(translator.taskIDName)",
                    rawAnswer: client.redactor.record(created.data()), attempts: billable)
            }
            notes.append(await journal(taskID, request: request))
            do {
                let answer = try await finish(taskID: taskID, created: created, request: request)
                return GenerationReceipt(
                    actualCost: translator.actualCost(job: request.job, createAnswer: created, finalAnswer: answer),
                    unit: policy.costUnit, attempts: billable, notes: notes)
            } catch let download as ResultDownloadFailure {
                // Kept open in the journal (`outcomeUnknown`): a rerun downloads it again, never pays again.
                var failure = download.failure
                failure.attempts = billable
                throw failure
            } catch var failure as ProviderFailure {
                failure.attempts = billable
                guard policy.resubmitsFailedTasks else { throw failure }
                let wait = client.retry.delay(afterAttempt: submission, unit: client.random())
                let left = ContinuousClock.now.duration(to: request.deadline).seconds
                guard policy.isRetryLater(failure),
                    client.retry.shouldRetry(failure, attempt: submission, secondsLeft: left, wait: wait)
                else { throw failure }
                notes.append("task \(client.redactor.redact(taskID)) failed (\(failure.providerCode ?? "")); submitted again")
                try await client.sleep(.seconds(wait))
            }
        }
    }

    /// Reports a new task id for the journal, unless it must not be written there: an id holding
    /// the API key is kept out of every file, an absurdly long one is refused. Returns the job's note.
    private func journal(_ taskID: String, request: GenerationRequest) async -> String {
        if client.redactor.redact(taskID) != taskID {
            return "task [redacted]: its id holds the API key, so it is not journaled (a rerun cannot resume it)"
        }
        if taskID.utf8.count > GenerationRequest.longestJournaledHandle {
            return "task id of \(taskID.utf8.count) bytes is too long to journal (a rerun cannot resume it)"
        }
        await request.taskCreated(taskID)
        return "task \(taskID)"
    }

    /// A task that ended with an image whose download failed: never a reason to submit again.
    struct ResultDownloadFailure: Error {
        var failure: ProviderFailure
    }

    /// Takes the task to its end (from the create answer when it already holds it, else by polling),
    /// downloads its first image, and returns the answer that ended it.
    func finish(taskID: String, created: JSONValue?, request: GenerationRequest) async throws -> JSONValue {
        let (client, translator) = (self.client, self.translator)
        let (locations, answer): ([String], JSONValue)
        if translator.createAnswerMayHoldResult, let created,
            case .succeeded(let found, let finished) = translator.taskState(created, taskID: taskID, redactor: client.redactor)
        {
            (locations, answer) = (found, finished)
        } else {
            (locations, answer) = try await client.waitForTask(id: taskID, deadline: request.deadline) {
                var reads = 0
                let poll = translator.pollEndpoint(taskID: taskID)
                let (_, answer) = try await client.sendJSON(
                    "GET", poll.path, body: nil, query: poll.query, deadline: request.deadline,
                    what: poll.what, billable: &reads)
                return translator.taskState(answer, taskID: taskID, redactor: client.redactor)
            }
        }
        guard let location = locations.first else { throw ProviderFailure("task \(taskID) \(translator.missingResultMessage)") }
        do {
            _ = try await client.fetchResult(location, to: request.destination, deadline: request.deadline)
        } catch let failure as ProviderFailure {
            throw ResultDownloadFailure(failure: failure)
        }
        return answer
    }
}
