import Foundation

/// Run stage: `EvaluatedPlan` and one `ProviderLane` per provider in, one `JobOutcome` per job out.
///
/// A thin driver around `RunScheduler`, which decides what runs when: the runner performs its
/// actions (jobs run as children of a `TaskGroup`; cache lookups, friendly files and progress
/// happen here) and feeds it what happened. Stopping (Ctrl-C, a test) starts nothing new and lets
/// jobs in flight finish.
package struct Runner: Sendable {
    package let plan: EvaluatedPlan
    package let store: any ImageStore
    package let lanes: [ProviderLane]
    /// Where friendly files go.
    package let layout: OutputLayout
    package let manifestName: String
    package let limits: RunLimits
    package let stop: StopSignal
    package let progress: (@Sendable (RunProgress) -> Void)?
    /// Paid submissions and async task ids, so a rerun after a crash never pays twice.
    package let journal: SubmissionJournal?
    /// Called with each image this run stored, before its job counts as finished (the remote store's
    /// publisher); a returned text is a note on the job.
    package let onStored: (@Sendable (StoreEntry) async -> String?)?

    package init(
        plan: EvaluatedPlan, store: any ImageStore, lanes: [ProviderLane], layout: OutputLayout, manifestName: String,
        limits: RunLimits, stop: StopSignal = StopSignal(), progress: (@Sendable (RunProgress) -> Void)? = nil,
        journal: SubmissionJournal? = nil, onStored: (@Sendable (StoreEntry) async -> String?)? = nil
    ) {
        self.onStored = onStored
        self.plan = plan
        self.store = store
        self.lanes = lanes
        self.layout = layout
        self.manifestName = manifestName
        self.limits = limits
        self.stop = stop
        self.progress = progress
        self.journal = journal
    }

    /// What a child task reports: its provider answered (the slot is free again), its job is over, a
    /// spend window the scheduler waits for may be open, or a slot freed outside the group (a job is
    /// waiting out a 429).
    enum Step: Sendable {
        case answered(index: Int, JobAttempt)
        case finished(index: Int, JobOutcome)
        case woke
        case slotFreed
    }

    /// Runs every job that is not cached; one outcome per job, in job order.
    package func run() async -> [JobOutcome] {
        let jobs = plan.graph.jobs
        var scheduler = RunScheduler(plan: plan, laneNames: lanes.map(\.name), limits: limits)
        var outcomes = [JobOutcome?](repeating: nil, count: jobs.count)
        var tally = RunProgress(total: jobs.count, toMake: plan.toMakeCount + plan.blockedCount)
        let clock = ContinuousClock()
        let started = clock.now
        let alreadyLinked = friendlyFilesInPlace()
        /// When the pending wake-up timer fires (one at a time; the earliest wins).
        var wakeAt: Double?
        let wakeUp = WakeUp()
        for lane in lanes { lane.governor.onSlotFreed { wakeUp.signal() } }
        defer { for lane in lanes { lane.governor.onSlotFreed(nil) } }

        /// Performs actions in order; a lookup's answer goes back to the scheduler at once.
        func perform(_ actions: [RunScheduler.Action], group: inout TaskGroup<Step>) {
            for action in actions {
                switch action {
                case .settle(let index, var outcome):
                    if outcome.succeeded, !outcome.friendlyFileWritten, !alreadyLinked[index], let entry = outcome.entry {
                        do {
                            let path = layout.friendlyPath(jobs[index], entry.info.format, manifest: manifestName)
                            if let kept = try store.link(entry, to: path) {
                                outcome.notes.append("an edited file was in its place: kept as \((kept as NSString).lastPathComponent)")
                            }
                        } catch {
                            outcome.notes.append("could not write the friendly file: \(error)")
                        }
                    }
                    outcomes[index] = outcome
                    tally.record(outcome, job: jobs[index].id, elapsed: started.duration(to: clock.now))
                case .lookUp(let index, let key):
                    perform(scheduler.keyLookedUp(index, key: key, entry: store.lookup(key)), group: &group)
                case .start(let start):
                    launch(start, group: &group)
                case .wake(let at):
                    guard wakeAt.map({ at < $0 }) ?? true else { continue }
                    wakeAt = at
                    let (stop, delay) = (stop, at - started.duration(to: clock.now).seconds)
                    group.addTask {
                        // In steps, so that a stop request does not wait for the window.
                        let until = ContinuousClock.now + .seconds(max(0, delay))
                        while ContinuousClock.now < until, stop.stopReason == nil, !Task.isCancelled {
                            try? await Task.sleep(for: min(.seconds(1), ContinuousClock.now.duration(to: until)))
                        }
                        return .woke
                    }
                }
            }
        }

        await withTaskGroup(of: Step.self) { group in
            perform(scheduler.start(), group: &group)
            var committing = 0
            /// Tells the progress callback the counts; each failure once.
            func report() {
                guard let progress else { return }
                tally.inFlight = scheduler.jobsInFlight + committing
                progress(tally)
                tally.recentFailures.removeAll()
            }
            var listening = false
            func fill() {
                // A journal that cannot be written stops every new paid submission.
                let stopRequested = stop.stopReason != nil || Task.isCancelled || journal?.failure != nil
                let waiting = lanes.reduce(0) { $0 + $1.jobsWaitingOutRateLimit }
                let actions = scheduler.fill(
                    laneLimit: { lanes[$0].currentLimit }, waitingJobs: waiting, stopRequested: stopRequested,
                    now: started.duration(to: clock.now).seconds)
                perform(actions, group: &group)
            }
            /// Listens for slots freed outside the group while children work; lets the listener end after.
            func listen() {
                let working = scheduler.jobsInFlight + committing > 0
                if working, !listening {
                    listening = true
                    group.addTask {
                        await wakeUp.wait()
                        return .slotFreed
                    }
                } else if !working, listening {
                    wakeUp.signal()
                }
            }
            fill()
            listen()
            report()
            while let step = await group.next() {
                switch step {
                case .answered(let index, let attempt):
                    scheduler.providerAnswered(index, attempt.outcome)
                    if attempt.awaitsCommit {
                        committing += 1
                        commit(attempt, index: index, group: &group)
                    } else {
                        perform(scheduler.jobFinished(index, attempt.outcome), group: &group)
                    }
                case .finished(let index, let outcome):
                    committing -= 1
                    perform(scheduler.jobFinished(index, outcome), group: &group)
                case .woke:
                    wakeAt = nil
                case .slotFreed:
                    listening = false
                }
                fill()
                listen()
                report()
                // Nothing in flight and nothing that may start: a spend-window timer has nothing to wake.
                let stopped = stop.stopReason != nil || journal?.failure != nil
                if scheduler.jobsInFlight + committing == 0, stopped || !scheduler.hasStartableJobs { group.cancelAll() }
            }
        }

        let reason =
            stop.stopReason ?? (Task.isCancelled ? "interrupted" : nil) ?? journal?.failure.map { "\($0)" } ?? "not started"
        return outcomes.enumerated().map { index, outcome in outcome ?? scheduler.unsettledOutcome(index, reason: reason) }
    }

    /// Sends one job to its lane's provider as a child task.
    private func launch(_ start: RunScheduler.JobStart, group: inout TaskGroup<Step>) {
        let jobs = plan.graph.jobs
        let job = jobs[start.index]
        var references = job.references
        if let upstream = job.upstream, let entry = start.upstream {
            references.insert(.file(path: entry.blobPath, written: jobs[upstream].id), at: 0)
        }
        let lane = lanes[start.lane]
        let (store, journal, key, index) = (store, journal, start.key, start.index)
        group.addTask {
            .answered(
                index: index,
                await JobAttempt.send(
                    job: job, key: key, references: references, provider: lane.provider,
                    store: store, allowed: lane.deadline, journal: journal))
        }
    }

    /// Stores a made image as a child task of its own (the provider's slot is already free).
    private func commit(_ attempt: JobAttempt, index: Int, group: inout TaskGroup<Step>) {
        let job = plan.graph.jobs[index]
        let (store, journal, layout, manifestName, onStored) = (store, journal, layout, manifestName, onStored)
        group.addTask {
            var outcome = await attempt.commit(store: store, journal: journal, provider: job.provider, job: job.id) {
                layout.friendlyPath(job, $0, manifest: manifestName)
            }
            if let onStored, outcome.succeeded, let entry = outcome.entry {
                if let note = await onStored(entry) {
                    outcome.notes.append(note)
                } else if outcome.usesJournal {
                    journal?.imagePublished(key: entry.key, provider: job.provider, job: job.id)
                }
            }
            return .finished(index: index, outcome)
        }
    }

    /// Cached jobs whose friendly file already is their stored image need nothing more: two `stat`s
    /// each, done on every core before the run starts.
    private func friendlyFilesInPlace() -> [Bool] {
        let (plan, store, layout, manifestName) = (plan, store, layout, manifestName)
        return ParallelMap.map(count: plan.graph.jobs.count) { index -> Bool in
            guard case .cached(_, let entry) = plan.states[index] else { return false }
            return store.isLinked(entry, at: layout.friendlyPath(plan.graph.jobs[index], entry.info.format, manifest: manifestName))
        }
    }

}
