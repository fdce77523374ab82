import Foundation

/// One job's trip to its provider and into the store, in two steps so that the provider's slot is
/// free while the image is stored: `send` journals the submission and asks the provider; `commit`
/// moves the image into the store, writes the friendly file and closes the journal record.
struct JobAttempt: Sendable {
    /// Where a made image waits for the store.
    enum Image: Sendable {
        case file(URL)
        case bytes(Data)
    }
    var outcome: JobOutcome
    var image: Image?
    var start: ContinuousClock.Instant
    var awaitsCommit: Bool { outcome.status == .made && image != nil }

    /// Moves the image into the store, writes its friendly file, and closes the job's journal record.
    /// All file work runs on one of the few storing threads, off the pool that every job's waits share,
    /// so images' fsyncs never crowd out a submission's journal sync or a provider's file writes.
    func commit(
        store: any ImageStore, journal: SubmissionJournal?, provider: String, job: String,
        friendlyPath: @escaping @Sendable (ImageFormat) -> String
    ) async -> JobOutcome {
        var outcome = self.outcome
        guard let image, let key = outcome.key else { return outcome }
        do {
            let (entry, linkProblem) = try await WorkerThreads.storing.run { () throws -> (StoreEntry, String?) in
                let entry =
                    switch image {
                    case .file(let temporary): try store.commit(temporary: temporary, key: key)
                    case .bytes(let bytes): try store.commit(image: bytes, key: key)
                    }
                do {
                    let keptEdit = try store.link(entry, to: friendlyPath(entry.info.format))
                    return (entry, keptEdit.map { "an edited file was in its place: kept as \(($0 as NSString).lastPathComponent)" })
                } catch {
                    return (entry, "could not write the friendly file: \(error)")
                }
            }
            outcome.entry = entry
            outcome.friendlyFileWritten = true
            if let linkProblem { outcome.notes.append(linkProblem) }
            if let info = outcome.entry?.info, let ratio = outcome.requestedRatio,
                ModelCatalog.isOffRatio(width: info.width, height: info.height, ratio: ratio)
            {
                outcome.notes.append("pixel size \(info.width)×\(info.height) does not match the requested ratio \(ratio)")
            }
        } catch {
            outcome.status = .failed
            outcome.attempts = max(outcome.attempts, 1)
            if case .file(let temporary) = image { try? FileManager.default.removeItem(at: temporary) }
            // Paid and made: the journal record stays open, so a rerun fetches the image again if it can.
            outcome.error =
                outcome.usesJournal
                ? JobAttempt.notStoredMessage(error, resumable: journal?.openTask(for: key, provider: provider) != nil)
                : "could not store the image: \(error)"
            outcome.duration = start.duration(to: ContinuousClock.now).seconds
            return outcome
        }
        if outcome.usesJournal { journal?.ended(key: key, provider: provider, job: job, imageStored: true) }
        outcome.duration = start.duration(to: ContinuousClock.now).seconds
        return outcome
    }

    /// A job's provider part: journals the submission, asks the provider, leaves the image in a temporary file.
    static func send(
        job: Job, key: String, references: [Reference], provider: any ImageProvider,
        store: any ImageStore, allowed: Duration, journal: SubmissionJournal? = nil
    ) async -> JobAttempt {
        let clock = ContinuousClock()
        let start = clock.now
        // The deadline counts from the job's start, not from when it was queued.
        let deadline = start + allowed
        var outcome = JobOutcome(status: .failed, key: key)
        outcome.requestedRatio = job.aspectRatio
        var temporary: URL?
        let kind = provider.submissionKind
        let journal = kind == .free ? nil : journal
        outcome.usesJournal = journal != nil
        do {
            try await journal?.lookUpInStore(key: key, provider: job.provider)
        } catch {
            outcome.error = "could not read the job's journal record in the remote store (\(error)); nothing was sent"
            return JobAttempt(outcome: outcome, image: nil, start: start)
        }
        let open = journal?.openTask(for: key, provider: job.provider)
        let resumedTask = kind == .asyncTask ? open?.taskID : nil
        let resumedResult = kind == .synchronous ? open?.resultLocation : nil
        let resumedIntent = kind == .asyncTask ? open?.batchIntent : nil
        // The mode is not in the content key: a job switched out of batch mode while its batch is open
        // would pay again. It waits for batch mode to collect it (or for the record to age out).
        if kind != .asyncTask, let open, open.isBatch {
            var outcome = JobOutcome(
                status: .failed, key: key,
                error:
                    "an earlier run's batch \(open.detail) for this job is still open; set \"mode\": \"batch\" again to collect it (nothing was sent)"
            )
            outcome.requestedRatio = job.aspectRatio
            return JobAttempt(outcome: outcome, image: nil, start: start)
        }
        outcome.resumedTaskID = resumedTask
        // Whether the journal may close this submission: not when the provider may still finish it.
        var settled = true
        do {
            let destination = try store.temporaryFile(for: key)
            temporary = destination
            if resumedTask == nil, resumedResult == nil, let journal {
                // Durable before the request goes out; the journal syncs on its own thread, not the cooperative pool.
                try await journal.submitting(key: key, provider: job.provider, job: job.id)
            }
            let (providerName, jobID) = (job.provider, job.id)
            let request = GenerationRequest(
                job: job, key: key, references: references, destination: destination, deadline: deadline,
                resumeTaskID: resumedTask, resumeResultLocation: resumedResult,
                taskCreated: { await journal?.taskCreated(key: key, provider: providerName, job: jobID, taskID: $0) },
                resultLocated: { journal?.resultLocated(key: key, provider: providerName, job: jobID, location: $0) },
                willPayAgain: { try await journal?.submitting(key: key, provider: providerName, job: jobID) })
            var asked = request
            asked.resumeBatchIntent = resumedIntent
            let receipt = try await provider.generate(asked)
            outcome.attempts = receipt.attempts
            outcome.actualCost = receipt.actualCost
            outcome.costUnit = receipt.costUnit
            outcome.notes = receipt.notes
            outcome.status = .made
            // The journal record stays open until the image is in the store.
            return JobAttempt(outcome: outcome, image: receipt.image.map { .bytes($0) } ?? .file(destination), start: start)
        } catch let failure as ProviderFailure {
            outcome.error = failure.description
            outcome.httpStatus = failure.httpStatus
            outcome.providerCode = failure.providerCode
            outcome.rawAnswer = failure.rawAnswer
            outcome.attempts = failure.attempts
            outcome.stopsProvider = failure.stopsProvider
            outcome.outcomeUnknown = failure.outcomeUnknown
            settled = !failure.outcomeUnknown
            if failure.resultLost {
                journal?.resultLost(key: key, provider: job.provider, job: job.id)
                settled = false
            }
        } catch let failure as JournalFailure {
            // Nothing more was sent; the run stops submitting (the runner reads `journal.failure`).
            outcome.error = "not submitted: \(failure)"
            settled = false
        } catch let pending as GeminiBatchPending {
            // Submitted and not finished: the journal keeps the batch's name for the next run.
            outcome.status = .pending
            outcome.attempts = 1
            outcome.batch = JobOutcome.BatchPlace(name: pending.batch, state: pending.state)
            settled = false
        } catch let stopped as ProviderStopped {
            // Another job's answer stopped the provider before this one's request left.
            outcome.status = .skipped
            outcome.error = stopped.description
            outcome.attempts = stopped.attempts
        } catch is CancellationError {
            outcome.error = "interrupted"
            outcome.outcomeUnknown = true
            settled = false
        } catch {
            outcome.error = "\(error)"
            outcome.attempts = max(outcome.attempts, 1)
        }
        if let temporary { try? FileManager.default.removeItem(at: temporary) }
        if settled { journal?.ended(key: key, provider: job.provider, job: job.id) }
        outcome.duration = start.duration(to: clock.now).seconds
        return JobAttempt(outcome: outcome, image: nil, start: start)
    }

    /// A made image the store could not take: paid for, and not lost if the journal can fetch it again.
    static func notStoredMessage(_ error: any Error, resumable: Bool) -> String {
        let then =
            resumable
            ? "the journal keeps its task or result URL, so the next run downloads it again instead of paying"
            : "the provider answered in place, so the next run pays again (its submission is reported as possibly paid)"
        return "the image was made (and paid for), but the store could not take it: \(error); \(then)"
    }
}
