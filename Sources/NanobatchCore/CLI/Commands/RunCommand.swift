import Foundation

/// `run MANIFEST [SELECTOR…]`: every stage. Load, then a no-op check against the build stamp; expand,
/// evaluate and select (selectors, `--shard`); check the budget; open the journal; run the selected
/// jobs; write the reports of the whole manifest; stamp a fully cached build.
enum RunCommand {
    static let spec = CommandSpec(
        name: "run", summary: "make every image that is not cached (or the selected ones); write index.json",
        positionals: "MANIFEST [SELECTOR…]",
        options: NanobatchCLI.outputOption.merging([
            "max-cost": "budget in USD (overrides the manifest's)",
            "concurrency": "global limit on jobs in flight (overrides the manifest's)",
            "store": NanobatchCLI.storeOptionHelp,
        ]) { $1 }.merging(ShardOption.help) { $1 },
        flags: [
            "quiet": "no progress lines", "verify": "hash every cached image before trusting it; remake what fails",
            "no-wait": "batch mode: submit batches (or collect finished ones) and exit; jobs still running are pending (exit 75)",
        ],
        minPositionals: 1, maxPositionals: nil)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) async throws -> ExitCode {
        let commandStarted = ContinuousClock.now
        let verify = parsed.flags.contains("verify")
        let selectors = parsed.positionals.dropFirst().map(JobSelector.init)
        let shard = try ShardOption.parse(parsed.options["shard"], environment: cli.environment)
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"], verifyingStore: verify)
        let remote = try build.remoteStore(option: parsed.options["store"], environment: cli.environment, plainHTTP: cli.plainHTTP)
        let (layout, name) = (build.layout, build.name)
        var limits = RunLimits(
            concurrency: try ArgumentParser.integer(parsed, "concurrency", range: 1...1024) ?? build.manifest.concurrency,
            maxCost: try ArgumentParser.number(parsed, "max-cost") ?? build.manifest.budget?.maxCost,
            spendPerTenMinutes: build.manifest.providers.reduce(into: [:]) { $0[$1.name] = $1.spendPerTenMinutes })
        try BuildFailure.during("create the output root \(layout.rootPath)", .beforeWork) { try FileIO.createDirectory(layout.rootPath) }
        let lock = try build.lock(.beforeWork)
        defer { withExtendedLifetime(lock) {} }
        cli.console.err(build.whereLine)

        let stampPath = layout.stampPath(manifest: name)
        let stampContext = BuildStamp.context(manifest: build.manifest, root: layout.rootPath, maxCost: limits.maxCost)
        // A run of part of the manifest writes its own index (selectors, shard): no shortcut.
        if !verify, selectors.isEmpty, shard == nil,
            let jobs = BuildStamp.check(at: stampPath, context: stampContext, root: layout.rootPath)
        {
            cli.console.err(RunSummary.noOp(build, jobs: jobs))
            cli.console.err(RunSummary.totalTime(commandStarted.duration(to: .now).seconds, stopped: false))
            return .success
        }
        BuildStamp.remove(at: stampPath)
        // Read while the jobs are expanded: the previous index (for the diff) and the store's entries log.
        let previousRead = Task.detached { build.previousBuild() }
        let storeRead = Task.detached { build.store.preload() }
        let jobs = build.expand()
        await storeRead.value
        build.store.removeAbandonedTemporaries()
        try BuildFailure.during("compact the store's entries log", .beforeWork) { try build.store.compactLogIfWorthIt() }
        var evaluated = try build.evaluate(jobs)
        var publisher: RemotePublisher?
        var mirror: JournalMirror?
        if let remote {
            // Before any paid request: the store must answer and take writes, else nothing runs.
            try await build.probe(remote, .beforeWork)
            // Only the share's jobs are fetched: a shard does not download the other shards' images.
            let share = try build.select(evaluated, selectors: selectors, shard: shard)
            let only = share.isWhole ? nil : Set(share.wholeIndex)
            let restored = try await build.restore(jobs, from: remote, fetchingImages: true, only: only, .beforeWork)
            evaluated = restored.plan
            publisher = RemotePublisher(client: remote, shard: shard?.description)
            mirror = JournalMirror(client: remote, shard: shard?.description)
            cli.console.err("remote store: \(remote.settings.displayURL) (\(Plural.count(restored.found.count, "image")) fetched)\n")
        }
        let share = try build.select(evaluated, selectors: selectors, shard: shard)
        if !share.isWhole { cli.console.err(RunSummary.selection(share, maxCost: limits.maxCost)) }
        limits.maxCost = share.budget(from: limits.maxCost)
        let estimate = PlanSummary(plan: share.plan, maxCost: limits.maxCost)
        // A budget of 0 runs with the cache alone: every priced job is skipped for budget by the scheduler.
        let cacheOnly = limits.maxCost == 0 && estimate.unknownPriceJobs == 0
        if estimate.withinBudget == false, !cacheOnly, let maxCost = limits.maxCost {
            cli.console.err(RunSummary.overBudget(estimate, maxCost: maxCost))
            return .overBudget
        }
        let store = build.store
        // Paid work of other machines (a shard run elsewhere, last night's batches) is resumed, not paid again.
        var imported: (records: [SubmissionJournal.Record], keys: Set<String>) = ([], [])
        if let mirror { imported = try await build.mirroredJournal(of: share.plan, from: mirror, .beforeWork) }
        let journal = try BuildFailure.during("open the journal", .beforeWork) {
            try SubmissionJournal(
                root: layout.root, manifest: name, mirror: mirror, imported: imported.records, lookedUpKeys: imported.keys
            ) { store.lookup($0) != nil }
        }
        let previous = await previousRead.value
        var diff = previous.map {
            BuildDiff(plan: evaluated, previous: $0, explanations: BuildExplainer.explain(evaluated, previous: $0, store: store))
        }
        if !journal.unresolved.isEmpty {
            let count = journal.unresolved.count
            cli.console.err(
                "note: \(count) submission\(count == 1 ? "" : "s") of an earlier run ended without a result and may have been paid (listed in index.json under unresolvedSubmissions)\n"
            )
        }
        let batches = GeminiBatchRunContext(journal: journal, stop: cli.stop, waits: !parsed.flags.contains("no-wait"))
        let lanes = try ProviderLane.make(
            for: share.plan, manifest: build.manifest, environment: cli.environment,
            plainHTTP: cli.plainHTTP, override: cli.providerOverride, run: batches)
        let board = batches.board
        let printer =
            parsed.flags.contains("quiet")
            ? nil : ProgressPrinter(console: cli.console, pace: cli.progressPace, extra: { board.summary })
        defer { printer?.finish() }
        var progress: (@Sendable (RunProgress) -> Void)?
        if let printer { progress = { printer.update($0) } }
        printer?.start()

        let clock = ContinuousClock()
        let start = clock.now
        let shareOutcomes = await build.run(
            share.plan, lanes: lanes, limits: limits, journal: journal, stop: cli.stop, progress: progress, publisher: publisher)
        printer?.finish()
        // Every journal record in the store before the reports; a stopped run waits a few seconds at most.
        await mirror?.flush(within: cli.stop.stopReason != nil || Task.isCancelled ? .seconds(5) : nil)
        let outcomes = share.outcomesOfWhole(shareOutcomes)
        build.linkCachedImages(outside: share)
        diff?.settle(jobs: evaluated.graph.jobs, outcomes: outcomes)
        let interrupted = cli.stop.stopReason != nil || Task.isCancelled
        let journalFailure = journal.failure
        var report = build.report(
            evaluated, outcomes, wallSeconds: start.duration(to: clock.now).seconds,
            stoppedBecause: cli.stop.stopReason ?? (Task.isCancelled ? "interrupted" : nil) ?? journalFailure.map { "\($0)" },
            facts: IndexReport.RunFacts(
                budget: limits.maxCost, unresolvedSubmissions: journal.unresolved,
                rateLimitCuts: ProviderLane.rateLimitCuts(lanes), diff: diff,
                previousImages: PreviousImages.find(diff, previous: previous, store: build.store, rootPath: build.layout.rootPath)))
        // The folder holds exactly this build: no image of a removed job, no outdated image of a job not made now.
        if let previous, let diff, !(diff.removed.isEmpty && diff.changedNotMade.isEmpty) {
            RemovedJobFiles.remove(diff.removed + diff.changedNotMade.map(\.id), previous: previous, folder: build.manifestFolder)
        }
        // A run of part of the manifest says which part.
        if !share.isWhole { (report.selectors, report.shard) = (selectors.isEmpty ? nil : selectors.map(\.text), shard?.description) }
        try BuildFailure.during("write the reports of \(name)", .afterWork) { try build.write(report) }
        let exported = try ExportStep.run(build, evaluated, entries: outcomes.map(\.entry), console: cli.console, moment: .afterWork)
        // Stamped only when the next full run would write the same reports (apart from times).
        let nothingChanged = diff?.isEmpty ?? false
        if !interrupted, nothingChanged, share.isWhole, report.totals.cached == report.jobs.count, journal.unresolved.isEmpty {
            try? BuildStamp.stampFullyCachedBuild(
                report, evaluated: evaluated, layout: layout, manifest: name,
                journal: journal.path, exports: exported, stamp: stampPath, context: stampContext)
        }
        cli.console.err(
            RunSummary.finished(
                build, report: report, diff: diff, evaluated: evaluated, outcomes: outcomes,
                maxCost: limits.maxCost, failuresPrinted: printer != nil))
        if let journalFailure, !interrupted {
            // Fail closed: no paid request went out without its record; the run cannot go on.
            throw BuildFailure(
                "write the submission journal \(journalFailure.path)",
                because: "\(journalFailure.reason); no paid request was sent without its record, and new submissions were stopped",
                moment: .afterWork)
        }
        if let failures = publisher?.failures, let first = failures.first, !interrupted {
            throw BuildFailure(
                "put \(Plural.count(failures.count, "image")) into the remote store", because: "\(first); rerun to put them there",
                moment: .afterWork)
        }
        if interrupted {
            cli.console.err("stopped: \(report.stoppedBecause ?? "interrupted"); finished images are kept, rerun to continue\n")
            cli.console.err(RunSummary.totalTime(commandStarted.duration(to: .now).seconds, stopped: true))
            return .interrupted
        }
        cli.console.err(RunSummary.totalTime(commandStarted.duration(to: .now).seconds, stopped: false))
        let totals = report.totals
        let overspent = report.budgetSpent.map { $0 > (limits.maxCost ?? .infinity) + 1e-9 } ?? false
        if totals.failed == 0 && (totals.skippedForBudget > 0 || overspent) { return .overBudget }
        if totals.failed + totals.skipped > 0 { return .jobsFailed }
        return (totals.pending ?? 0) > 0 ? .pending : .success
    }
}
