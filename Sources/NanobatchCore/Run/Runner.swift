import Foundation

/// Run stage: `EvaluatedPlan` in, one `JobOutcome` per job out. Jobs run in a `TaskGroup` bounded
/// by a global limit and each provider's limit; a job starts only after its upstream finished;
/// a failure skips only its dependents; identical requests are made once.
public struct Runner: Sendable {
    public let plan: EvaluatedPlan
    public let store: ContentStore
    public let providers: [String: any ImageProvider]
    /// The manifest's folder under the output root; friendly paths live here.
    public let manifestFolder: URL
    private let manifestFolderPath: String
    public let globalLimit: Int
    public let providerLimits: [String: Int]
    public let deadlines: [String: Duration]
    public let stop: StopSignal
    public let progress: (@Sendable (RunProgress) -> Void)?
    /// Paid submissions and async task ids, so a rerun after a crash never pays twice.
    public let journal: SubmissionJournal?
    /// Per provider: adaptive concurrency (a 429 cuts it) read before each job starts.
    public let governors: [String: RateGovernor]
    /// USD; no job starts if spent plus in-flight estimates plus its own would exceed it.
    public let budget: Double?

    public init(plan: EvaluatedPlan, store: ContentStore, providers: [String: any ImageProvider], manifestFolder: URL,
                globalLimit: Int, providerLimits: [String: Int], deadlines: [String: Duration] = [:],
                stop: StopSignal = StopSignal(), progress: (@Sendable (RunProgress) -> Void)? = nil,
                journal: SubmissionJournal? = nil, governors: [String: RateGovernor] = [:], budget: Double? = nil) {
        self.plan = plan
        self.store = store
        self.providers = providers
        self.manifestFolder = manifestFolder
        self.manifestFolderPath = manifestFolder.path
        self.globalLimit = max(1, globalLimit)
        self.providerLimits = providerLimits
        self.deadlines = deadlines
        self.stop = stop
        self.progress = progress
        self.journal = journal
        self.governors = governors
        self.budget = budget
    }

    /// What a child task of the run reports: a provider answered (its slot is free again), or a job is over.
    enum Step: Sendable {
        case requested(index: Int, Requested)
        case finished(index: Int, JobOutcome)
    }

    public func run() async -> [JobOutcome] {
        let jobs = plan.graph.jobs
        var outcomes = [JobOutcome?](repeating: nil, count: jobs.count)
        var keys = plan.states.map(\.key)
        var queues: [String: [Int]] = [:]
        var queueHeads: [String: Int] = [:]
        var providerOrder: [String] = []
        var running: [String: Int] = [:]
        var waiters: [Int: [Int]] = [:]
        /// Providers that refused further work, with the reason (first failure that said so).
        var stoppedProviders: [String: String] = [:]
        var owner: [String: Int] = [:]
        var tally = RunProgress(total: jobs.count, toMake: plan.toMakeCount + plan.blockedCount)
        /// USD committed: made jobs at their actual (or estimated) cost, and jobs in flight at their estimate.
        var spent = 0.0
        var inFlightEstimate = 0.0
        let clock = ContinuousClock()
        let started = clock.now
        // Cached jobs whose friendly file already is their stored image need nothing more: two
        // `stat`s each, done on every core before the run starts.
        let (store, folder) = (store, manifestFolderPath)
        let alreadyLinked = ParallelMap.map(count: jobs.count) { index -> Bool in
            guard case .cached(_, let entry) = plan.states[index] else { return false }
            return store.isLinked(entry, at: Runner.friendlyPath(jobs[index], entry.info.format, in: folder))
        }

        func enqueue(_ index: Int) {
            let provider = jobs[index].provider
            if queues[provider] == nil { queues[provider] = []; queueHeads[provider] = 0; providerOrder.append(provider) }
            queues[provider]!.append(index)
        }

        func settle(_ index: Int, _ outcome: JobOutcome) {
            var outcome = outcome
            if outcome.succeeded, !outcome.friendlyFileWritten, let entry = outcome.entry {
                do {
                    try store.link(entry, to: friendlyPath(jobs[index], entry.info.format))
                } catch {
                    outcome.notes.append("could not write the friendly file: \(error)")
                }
            }
            outcomes[index] = outcome
            if outcome.status == .made {
                spent += outcome.costUnit == "USD" ? (outcome.actualCost ?? jobs[index].unitPrice ?? 0) : (jobs[index].unitPrice ?? 0)
            }
            if outcome.stopsProvider, stoppedProviders[jobs[index].provider] == nil {
                stoppedProviders[jobs[index].provider] = outcome.error ?? "refused"
            }
            tally.record(outcome.status, cost: outcome.status == .made ? outcome.actualCost ?? 0 : 0,
                         elapsed: started.duration(to: clock.now))
            for waiter in waiters.removeValue(forKey: index) ?? [] {
                if outcome.succeeded {
                    settle(waiter, JobOutcome(status: .cached, key: outcome.key, entry: outcome.entry,
                                              notes: ["same request as \(jobs[index].id)"]))
                } else {
                    settle(waiter, JobOutcome(status: outcome.status == .skipped ? .skipped : .failed, key: outcome.key,
                                              error: "same request as \(jobs[index].id), which \(outcome.status.rawValue): \(outcome.error ?? "unknown error")",
                                              skippedForBudget: outcome.skippedForBudget))
                }
            }
            // Only jobs the plan left blocked are resolved here; the others already have their state.
            for dependent in plan.graph.dependents[index] {
                guard case .blocked = plan.states[dependent] else { continue }
                guard outcome.succeeded, let entry = outcome.entry else {
                    settle(dependent, JobOutcome(status: .skipped, error: "upstream \(jobs[index].id) \(outcome.status.rawValue)"))
                    continue
                }
                let key = plan.key(for: jobs[dependent], upstreamOutputHash: entry.outputHash)
                keys[dependent] = key
                if let cached = store.lookup(key) {
                    settle(dependent, JobOutcome(status: .cached, key: key, entry: cached))
                } else if let first = owner[key] {
                    waiters[first, default: []].append(dependent)
                } else {
                    owner[key] = dependent
                    enqueue(dependent)
                }
            }
        }

        for (index, state) in plan.states.enumerated() {
            switch state {
            case .cached(let key, let entry):
                if outcomes[index] == nil {
                    var outcome = JobOutcome(status: .cached, key: key, entry: entry)
                    outcome.friendlyFileWritten = alreadyLinked[index]
                    settle(index, outcome)
                }
            case .toMake(let key):
                owner[key] = index
                enqueue(index)
            case .duplicate(_, let first):
                waiters[first, default: []].append(index)
            case .blocked:
                break
            }
        }
        progress?(tally)

        func nextReady() -> Int? {
            for provider in providerOrder where stoppedProviders[provider] == nil {
                let configured = providerLimits[provider] ?? globalLimit
                let limit = governors[provider].map { min(configured, $0.currentLimit) } ?? configured
                guard running[provider, default: 0] < limit, let queue = queues[provider] else { continue }
                let head = queueHeads[provider]!
                if head < queue.count {
                    queueHeads[provider] = head + 1
                    return queue[head]
                }
            }
            return nil
        }

        await withTaskGroup(of: Step.self) { group in
            var inFlight = 0
            func fill() {
                while inFlight < globalLimit, stop.stopReason == nil, !Task.isCancelled, let index = nextReady() {
                    let job = jobs[index]
                    guard let key = keys[index], let provider = providers[job.provider] else {
                        settle(index, JobOutcome(status: .failed, error: "no provider \"\(job.provider)\" is configured"))
                        continue
                    }
                    var references = job.references
                    if let upstream = job.upstream, let entry = outcomes[upstream]?.entry {
                        references.insert(.file(path: entry.blobPath, written: jobs[upstream].id), at: 0)
                    }
                    if let budget {
                        let estimate = job.unitPrice ?? 0
                        if spent + inFlightEstimate + estimate > budget + 1e-9 {
                            settle(index, JobOutcome(status: .skipped, key: key,
                                                     error: "skipped for budget: spent \(Money.format(spent)) + in flight \(Money.format(inFlightEstimate)) + this job \(Money.format(estimate)) would exceed \(Money.format(budget))",
                                                     skippedForBudget: true))
                            continue
                        }
                    }
                    inFlightEstimate += job.unitPrice ?? 0
                    let allowed = deadlines[job.provider] ?? .seconds(600)
                    running[job.provider, default: 0] += 1
                    inFlight += 1
                    let store = self.store
                    let journal = self.journal
                    group.addTask {
                        .requested(index: index, await Runner.request(job: job, key: key, references: references, provider: provider,
                                                                      store: store, allowed: allowed, journal: journal))
                    }
                }
            }
            func finish(_ index: Int, _ outcome: JobOutcome) {
                inFlightEstimate = max(0, inFlightEstimate - (jobs[index].unitPrice ?? 0))
                settle(index, outcome)
                progress?(tally)
            }
            fill()
            while let step = await group.next() {
                switch step {
                case .requested(let index, let requested):
                    // The provider's part is over: its slot goes to the next job while the image is stored.
                    inFlight -= 1
                    running[jobs[index].provider, default: 1] -= 1
                    if requested.awaitsCommit {
                        let store = self.store
                        let journal = self.journal
                        let job = jobs[index]
                        let folder = manifestFolderPath
                        group.addTask {
                            .finished(index: index, await requested.commit(store: store, journal: journal, provider: job.provider, job: job.id) {
                                Runner.friendlyPath(job, $0, in: folder)
                            })
                        }
                    } else {
                        finish(index, requested.outcome)
                    }
                case .finished(let index, let outcome):
                    finish(index, outcome)
                }
                fill()
            }
        }

        let reason = stop.stopReason ?? (Task.isCancelled ? "interrupted" : "not started")
        return outcomes.enumerated().map { index, outcome in
            if let outcome { return outcome }
            if let refusal = stoppedProviders[jobs[index].provider] {
                return JobOutcome(status: .skipped, key: keys[index],
                                  error: "not submitted: provider \(jobs[index].provider) stopped after: \(refusal)")
            }
            return JobOutcome(status: .skipped, key: keys[index], error: "not submitted: \(reason)")
        }
    }

    public func friendlyPath(_ job: Job, _ format: ImageFormat) -> String {
        Runner.friendlyPath(job, format, in: manifestFolderPath)
    }

    static func friendlyPath(_ job: Job, _ format: ImageFormat, in folder: String) -> String {
        "\(folder)/\(job.friendlyStem).\(format.fileExtension)"
    }

    /// A job after its provider's part: failed, or an image (in a temporary file or in memory) waiting for `commit`.
    struct Requested: Sendable {
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
        func commit(store: ContentStore, journal: SubmissionJournal?, provider: String, job: String,
                    friendlyPath: @escaping @Sendable (ImageFormat) -> String) async -> JobOutcome {
            var outcome = self.outcome
            guard let image, let key = outcome.key else { return outcome }
            do {
                let (entry, linkProblem) = try await WorkerThreads.storing.run { () throws -> (StoreEntry, String?) in
                    let entry = switch image {
                    case .file(let temporary): try store.commit(temporary: temporary, key: key)
                    case .bytes(let bytes): try store.commit(image: bytes, key: key)
                    }
                    do {
                        try store.link(entry, to: friendlyPath(entry.info.format))
                        return (entry, nil)
                    } catch {
                        return (entry, "could not write the friendly file: \(error)")
                    }
                }
                outcome.entry = entry
                outcome.friendlyFileWritten = true
                if let linkProblem { outcome.notes.append(linkProblem) }
                if let info = outcome.entry?.info, let ratio = outcome.requestedRatio,
                   ModelCatalog.isOffRatio(width: info.width, height: info.height, ratio: ratio) {
                    outcome.notes.append("pixel size \(info.width)×\(info.height) does not match the requested ratio \(ratio)")
                }
            } catch {
                outcome.status = .failed
                outcome.error = "\(error)"
                outcome.attempts = max(outcome.attempts, 1)
                if case .file(let temporary) = image { try? FileManager.default.removeItem(at: temporary) }
            }
            if outcome.usesJournal { journal?.ended(key: key, provider: provider, job: job) }
            outcome.duration = start.duration(to: ContinuousClock.now).seconds
            return outcome
        }
    }

    /// A job's provider part: journals the submission, asks the provider, leaves the image in a temporary file.
    static func request(job: Job, key: String, references: [Reference], provider: any ImageProvider,
                        store: ContentStore, allowed: Duration, journal: SubmissionJournal? = nil) async -> Requested {
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
        let resumed = kind == .asyncTask ? journal?.openTask(for: key, provider: job.provider) : nil
        outcome.resumedTaskID = resumed?.taskID
        /// Whether the journal may close this submission: not when the provider may still finish it.
        var settled = true
        do {
            let destination = try store.temporaryFile(for: key)
            temporary = destination
            if resumed == nil, let journal {
                // Durable before the request goes out; the journal syncs on its own thread, not the cooperative pool.
                await journal.submitting(key: key, provider: job.provider, job: job.id)
            }
            let request = GenerationRequest(job: job, key: key, references: references, destination: destination, deadline: deadline,
                                            resumeTaskID: resumed?.taskID) { taskID in
                journal?.taskCreated(key: key, provider: job.provider, job: job.id, taskID: taskID)
            }
            let receipt = try await provider.generate(request)
            outcome.attempts = receipt.attempts
            outcome.actualCost = receipt.actualCost
            outcome.costUnit = receipt.costUnit
            outcome.notes = receipt.notes
            outcome.status = .made
            // The journal record stays open until the image is in the store.
            return Requested(outcome: outcome, image: receipt.image.map { .bytes($0) } ?? .file(destination), start: start)
        } catch let failure as ProviderFailure {
            outcome.error = failure.description
            outcome.httpStatus = failure.httpStatus
            outcome.providerCode = failure.providerCode
            outcome.rawAnswer = failure.rawAnswer
            outcome.attempts = failure.attempts
            outcome.stopsProvider = failure.stopsProvider
            settled = !failure.outcomeUnknown
        } catch is CancellationError {
            outcome.error = "interrupted"
            settled = false
        } catch {
            outcome.error = "\(error)"
            outcome.attempts = max(outcome.attempts, 1)
        }
        if let temporary { try? FileManager.default.removeItem(at: temporary) }
        if settled { journal?.ended(key: key, provider: job.provider, job: job.id) }
        outcome.duration = start.duration(to: clock.now).seconds
        return Requested(outcome: outcome, image: nil, start: start)
    }
}

extension Duration {
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

/// Counts for the progress line.
public struct RunProgress: Sendable {
    public var total: Int
    public var toMake: Int
    public var made = 0
    public var cached = 0
    public var failed = 0
    public var skipped = 0
    public var spent: Double = 0
    public var elapsed: Double = 0

    public var done: Int { made + cached + failed + skipped }

    mutating func record(_ status: JobStatus, cost: Double, elapsed: Duration) {
        switch status {
        case .made: made += 1
        case .cached: cached += 1
        case .failed: failed += 1
        case .skipped: skipped += 1
        }
        spent += cost
        self.elapsed = elapsed.seconds
    }

    /// Seconds left, from the pace of jobs sent so far.
    public var eta: Double? {
        let finished = made + failed
        guard finished > 0 else { return nil }
        let remaining = max(0, toMake - finished)
        return elapsed / Double(finished) * Double(remaining)
    }
}
