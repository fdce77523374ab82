import Foundation

/// `report MANIFEST`: load, expand and evaluate, then the report and write stages without running:
/// the reports rebuilt from the store, the journal and the previous index. With a remote store, every
/// job it has is fetched first (into the local store and the friendly paths): the full report on any machine;
/// a job whose paid work is still open there (a batch, a task; the journal's copy in the store) is said to be.
enum ReportCommand {
    static let spec = CommandSpec(
        name: "report", summary: "rebuild index.json, index.html and index.csv from the store (and the remote store)",
        positionals: "MANIFEST", options: NanobatchCLI.outputOption.merging(["store": NanobatchCLI.storeOptionHelp]) { $1 }, flags: [:],
        minPositionals: 1, maxPositionals: 1)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) async throws -> ExitCode {
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
        let remote = try build.remoteStore(option: parsed.options["store"], environment: cli.environment, plainHTTP: cli.plainHTTP)
        let lock = try build.lock(.noWork)
        defer { withExtendedLifetime(lock) {} }
        cli.console.err(build.whereLine)
        var evaluated = try build.plan()
        var imported: [SubmissionJournal.Record] = []
        if let remote {
            let restored = try await build.restore(evaluated.graph, from: remote, fetchingImages: true, .noWork)
            evaluated = restored.plan
            cli.console.err("remote store: \(remote.settings.displayURL) (\(Plural.count(restored.found.count, "image")) fetched)\n")
            imported = try await build.mirroredJournal(of: evaluated, from: JournalMirror(client: remote, shard: nil), .noWork).records
        }
        let store = build.store
        let local = build.journalRecords()
        let journal = SubmissionJournal.analyse(
            local + SubmissionJournal.unknown(imported, to: SubmissionJournal.fingerprints(local)), manifest: build.name,
            hasResult: { store.lookup($0) != nil },
            now: Date().timeIntervalSince1970)
        BuildStamp.remove(at: build.layout.stampPath(manifest: build.name))
        let previous = build.previousBuild()
        var outcomes: [JobOutcome] = []
        for (index, state) in evaluated.states.enumerated() {
            let job = evaluated.graph.jobs[index]
            if case .cached(let key, let entry) = state {
                _ = try? build.store.link(entry, to: build.layout.friendlyPath(job, entry.info.format, manifest: build.name))
                outcomes.append(JobOutcome(status: .cached, key: key, entry: entry))
            } else if let key = state.key, let open = journal.tasks[key], open.provider == job.provider {
                outcomes.append(openWork(open, key: key))
            } else if let before = previous?.jobs[job.id], before.status == "pending", before.key == state.key {
                outcomes.append(
                    JobOutcome(status: .pending, key: state.key, notes: ["pending in a batch at the last run; `nanobatch run` collects it"])
                )
            } else if let before = previous?.jobs[job.id], let status = JobStatus(rawValue: before.status), !status.succeeded,
                before.key == state.key
            {
                outcomes.append(JobOutcome(status: status, key: state.key, error: before.error))
            } else {
                outcomes.append(JobOutcome(status: .skipped, key: state.key, error: "not made yet; `nanobatch run` makes it"))
            }
        }
        let unresolved = journal.unresolved
        let report = build.report(
            evaluated, outcomes, wallSeconds: previous?.recordedWallSeconds ?? 0, stoppedBecause: nil,
            facts: IndexReport.RunFacts(
                budget: build.manifest.budget?.maxCost, unresolvedSubmissions: unresolved,
                diff: previous?.recordedDiff, previousImages: PreviousImages.recorded(in: previous, rootPath: build.layout.rootPath)))
        try BuildFailure.during("write the reports of \(build.name)", .noWork) { try build.write(report) }
        try ExportStep.run(build, evaluated, entries: outcomes.map(\.entry), console: cli.console, moment: .noWork)
        let totals = report.totals
        cli.console.out(
            "\(build.name): report rebuilt from the store — \(totals.cached) in the store, \(totals.failed) failed, \(totals.skipped) not made\n"
        )
        cli.console.out(
            "index: \(build.layout.reportPath(.json, manifest: build.name))\npage:  \(build.layout.reportPath(.html, manifest: build.name))\n"
        )
        return .success
    }

    /// A job whose paid work an earlier run left open: pending in a batch, or a task or result the next run fetches.
    static func openWork(_ open: SubmissionJournal.OpenTask, key: String) -> JobOutcome {
        if open.isBatch {
            return JobOutcome(status: .pending, key: key, notes: ["in batch \(open.detail); `nanobatch run` collects it"])
        }
        return JobOutcome(
            status: .skipped, key: key,
            error: "paid for and not yet stored (\(open.event) \(open.detail)); `nanobatch run` fetches it without paying again")
    }
}
