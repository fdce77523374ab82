import Foundation

/// The build pipeline every command shares, as named stages with a type at each boundary:
///
///     manifest file ─load→ Manifest ─expand→ JobGraph ─evaluate→ EvaluatedPlan
///                   (─restore→ EvaluatedPlan, with a remote store) ─run→ [JobOutcome] ─report→ IndexReport ─write→ index.json, .html, .csv
///
/// A `Build` is the result of the first stage (a validated manifest, its output root and store);
/// the later stages are its methods. Commands call the stages they need: `validate` stops after
/// `expand`, `plan` and `explain` after `evaluate`, `report` skips `run`, and `run` calls them all.
struct Build {
    typealias LoadedManifest = Manifest
    typealias ExpandedJobs = JobGraph
    typealias EvaluatedJobs = EvaluatedPlan
    typealias RunOutcomes = [JobOutcome]
    typealias RenderedReport = IndexReport

    let manifest: LoadedManifest
    let layout: OutputLayout
    let store: ContentStore

    var name: String { manifest.name }
    var manifestFolder: URL { layout.manifestFolder(manifest.name) }

    // MARK: Stages

    /// Load: reads and validates the manifest; the output root is `outputOption` (relative to the
    /// current directory, as any command-line path), else the manifest's `output`, else `output`; both
    /// relative to the manifest's folder, so the same manifest uses one store from any directory.
    /// `verifyingStore`: hash every cached image before trusting it (see `ContentStore.verifiesContents`).
    static func load(manifestPath: String, outputOption: String?, verifyingStore: Bool = false) throws -> Build {
        let manifest = try ManifestLoader.load(path: manifestPath)
        let layout = OutputLayout(root: outputRoot(option: outputOption, manifest: manifest))
        return Build(manifest: manifest, layout: layout, store: ContentStore(root: layout.root, verifiesContents: verifyingStore))
    }

    /// Expand: every job of the manifest, in a fixed order, with its dependency edges. No I/O.
    func expand() -> ExpandedJobs { Planner.expand(manifest) }

    /// Evaluate: each job's content key and cache state (reads reference files and the store; no network).
    func evaluate(_ jobs: ExpandedJobs) throws -> EvaluatedJobs { try PlanEvaluator.evaluate(jobs, store: store) }

    /// Expand and evaluate.
    func plan() throws -> EvaluatedJobs { try evaluate(expand()) }

    /// Select: the share of the plan that `selectors` and then `shard` pick (all of it without them).
    func select(_ plan: EvaluatedJobs, selectors: [JobSelector], shard: Shard?, shardCount: Int? = nil) throws -> PlanShare {
        try PlanShare(plan, selectors: selectors, shard: shard, shardCount: shardCount)
    }

    /// The remote store a command uses (`--store`, else `NANOBATCH_STORE`, else the manifest's `"store"`), if any.
    func remoteStore(option: String?, environment: [String: String], plainHTTP: (any HTTPTransport)?) throws -> RemoteStoreClient? {
        guard let settings = try RemoteStoreSettings.resolve(option: option, environment: environment, manifest: manifest.store)
        else { return nil }
        return RemoteStoreClient(settings: settings, transport: StandardTransport(environment: environment, plainHTTP: plainHTTP))
    }

    /// Before a command writes to the remote store: it must answer and take a write, else the command stops.
    func probe(_ remote: RemoteStoreClient, _ moment: BuildFailure.Moment) async throws {
        do { try await remote.probeWrite() } catch let error as RemoteStoreError {
            throw BuildFailure("use the remote store \(remote.settings.displayURL)", because: error.message, moment: moment)
        }
    }

    /// Restore: every job not cached locally that the remote store has is fetched, verified and
    /// committed into the local store (or, without `fetchingImages`, only counted as cached). No paid request.
    func restore(
        _ jobs: ExpandedJobs, from remote: RemoteStoreClient, fetchingImages: Bool, only: Set<Int>? = nil,
        _ moment: BuildFailure.Moment
    ) async throws -> RemoteRestore.Outcome {
        do {
            return try await RemoteRestore(client: remote, fetchingImages: fetchingImages).restore(jobs, into: store, only: only)
        } catch let error as RemoteStoreError {
            throw BuildFailure("use the remote store \(remote.settings.displayURL)", because: error.message, moment: moment)
        }
    }

    /// The remote store's journal records of the jobs `plan` still has to make and of the jobs the
    /// local journal holds, with the keys looked up: tasks paid for on another machine, to resume
    /// instead of paying again, and submissions reported elsewhere. A store that cannot answer stops the run.
    func mirroredJournal(of plan: EvaluatedJobs, from mirror: JournalMirror, _ moment: BuildFailure.Moment) async throws
        -> (records: [SubmissionJournal.Record], keys: Set<String>)
    {
        var keys = Set(journalRecords().map(\.key))
        // Free jobs (the offline provider) are never journaled: nothing to look up for them.
        for (index, state) in plan.states.enumerated() {
            guard case .toMake(let key) = state, DialectRegistry.dialect(named: plan.graph.jobs[index].dialect)?.submissionKind != .free
            else { continue }
            keys.insert(key)
        }
        do {
            return (try await mirror.records(for: Array(keys)), keys)
        } catch let error as RemoteStoreError {
            throw BuildFailure(
                "read the submission journal in the remote store \(mirror.client.settings.displayURL)", because: error.message,
                moment: moment)
        }
    }

    /// Run: sends every job that is not cached through its provider lane, within the limits and the budget.
    /// With a `publisher`, each image is put into the remote store as soon as it is in the local one.
    func run(
        _ plan: EvaluatedJobs, lanes: [ProviderLane], limits: RunLimits, journal: SubmissionJournal,
        stop: StopSignal, progress: (@Sendable (RunProgress) -> Void)?, publisher: RemotePublisher? = nil
    ) async -> RunOutcomes {
        var onStored: (@Sendable (StoreEntry) async -> String?)?
        if let publisher { onStored = { await publisher.publishNoting($0) } }
        return await Runner(
            plan: plan, store: store, lanes: lanes, layout: layout, manifestName: name, limits: limits,
            stop: stop, progress: progress, journal: journal, onStored: onStored
        ).run()
    }

    /// Report: the index of the build, from its plan and the outcome of every job.
    func report(
        _ plan: EvaluatedJobs, _ outcomes: RunOutcomes, wallSeconds: Double, stoppedBecause: String?, facts: IndexReport.RunFacts
    ) -> RenderedReport {
        IndexReport(
            plan: plan, outcomes: outcomes, outputRoot: layout.root, wallSeconds: wallSeconds, stoppedBecause: stoppedBecause, facts: facts)
    }

    /// Write: the three reports into the manifest's folder, each atomically (rendered in parallel).
    func write(_ report: RenderedReport) throws {
        let temporaryDirectory = store.temporaryDirectory
        let manifestFile = manifest.sourceName.isEmpty ? nil : manifest.sourceName
        let writers: [(OutputLayout.Report, @Sendable (String) throws -> Void)] = [
            (.json, { try report.write(to: $0, temporaryDirectory: temporaryDirectory) }),
            (
                .html,
                {
                    try FileIO.writeAtomically(
                        HTMLReport.renderBytes(report, manifestFile: manifestFile).bytes, to: $0, temporaryDirectory: temporaryDirectory)
                }
            ),
            (.csv, { try FileIO.writeAtomically(CSVReport.renderBytes(report).bytes, to: $0, temporaryDirectory: temporaryDirectory) }),
        ]
        let paths = writers.map { layout.reportPath($0.0, manifest: name) }
        let failures = Locked<[any Error]>([])
        DispatchQueue.concurrentPerform(iterations: writers.count) { index in
            do { try writers[index].1(paths[index]) } catch { failures.withLock { $0.append(error) } }
        }
        if let first = failures.withLock({ $0.first }) { throw first }
    }

    // MARK: Around the stages

    /// The friendly files of cached jobs outside `share` (the runner links those inside it).
    func linkCachedImages(outside share: PlanShare) {
        guard !share.isWhole else { return }
        let inside = Set(share.wholeIndex)
        let (plan, store, layout, name) = (share.whole, store, layout, name)
        _ = ParallelMap.map(count: plan.graph.jobs.count) { index -> Bool in
            guard !inside.contains(index), case .cached(_, let entry) = plan.states[index] else { return false }
            let path = layout.friendlyPath(plan.graph.jobs[index], entry.info.format, manifest: name)
            guard !store.isLinked(entry, at: path) else { return true }
            return (try? store.link(entry, to: path)) != nil
        }
    }

    /// Exclusive use of the output root while a command writes under it.
    func lock(_ moment: BuildFailure.Moment) throws -> FileLock {
        try BuildFailure.during("use \(layout.rootPath)", moment) {
            guard let lock = try FileLock(path: layout.lockPath) else { throw BuildFailure.busy(layout.rootPath, moment: moment) }
            return lock
        }
    }

    /// The manifest's previous `index.json`, if there is a readable one.
    func previousBuild() -> PreviousBuild? { PreviousBuild.read(layout.reportPath(.json, manifest: name)) }

    /// Every record of the output root's submission journal.
    func journalRecords() -> [SubmissionJournal.Record] { SubmissionJournal.read(layout.journalPath).records }

    static func outputRoot(option: String?, manifest: Manifest) -> URL {
        if let option { return URL(fileURLWithPath: option).standardizedFileURL }
        if let output = manifest.output {
            let url = output.hasPrefix("/") ? URL(fileURLWithPath: output) : manifest.directory.appendingPathComponent(output)
            return url.standardizedFileURL
        }
        return manifest.directory.appendingPathComponent("output").standardizedFileURL
    }

    /// "output root: output (store: output/.nanobatch/store)", relative to the current directory when under it.
    var whereLine: String {
        let shown = OutputLayout.displayPath(layout.rootPath)
        return "output root: \(shown) (store: \(shown == "." ? "" : shown + "/").nanobatch/store)\n"
    }
}
