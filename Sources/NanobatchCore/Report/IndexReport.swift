import Foundation

/// Report stage: plan + outcomes in, `index.json` out (written by `IndexReport+Writing.swift`, read back
/// by `PreviousBuild`). Its `Codable` form is the file's: tests decode it and hold the writer to JSONEncoder.
struct IndexReport: Codable, Sendable {
    struct Totals: Codable, Sendable {
        var jobs: Int
        var made: Int
        var cached: Int
        var failed: Int
        var skipped: Int
        /// In a provider-side batch that has not finished (a later run collects them); absent when none.
        var pending: Int?
        /// USD: the sum of the unit prices of the jobs made in this run.
        var estimatedCost: Double
        var unknownPriceJobs: Int
        /// What providers reported, by unit ("USD", "credits").
        var actualCost: [String: Double]
        /// Requests that reached a provider and may have been billed.
        var attempts: Int
        var wallSeconds: Double
        /// Async tasks of an earlier, interrupted run that this run polled instead of paying again.
        var resumedTasks: Int = 0
        var skippedForBudget: Int = 0
        /// Submissions of earlier runs that may have been paid without a result (see `unresolvedSubmissions`).
        var unresolvedSubmissions: Int = 0
        /// Jobs outside what the run was asked for (selectors, `--shard`); absent when it made every job.
        var notSelected: Int?
    }

    /// What the run knew besides the job outcomes.
    struct RunFacts: Sendable {
        var budget: Double?
        var unresolvedSubmissions: [SubmissionJournal.Unresolved]
        /// Per provider: how many times a 429 cut its concurrency.
        var rateLimitCuts: [String: Int]
        /// Against the previous build of the manifest, when there was one.
        var diff: BuildDiff?
        /// Job id → the store path (relative to the output root) of the image it had before it was made again.
        var previousImages: [String: String]

        init(
            budget: Double? = nil, unresolvedSubmissions: [SubmissionJournal.Unresolved] = [], rateLimitCuts: [String: Int] = [:],
            diff: BuildDiff? = nil, previousImages: [String: String] = [:]
        ) {
            self.budget = budget
            self.unresolvedSubmissions = unresolvedSubmissions
            self.rateLimitCuts = rateLimitCuts
            self.diff = diff
            self.previousImages = previousImages
        }
    }

    struct JobRow: Codable, Sendable {
        var id: String
        var key: String?
        var promptID: String
        var step: String?
        var prompt: String
        var provider: String
        var dialect: String
        var model: String
        var aspectRatio: String
        var imageSize: String?
        var references: [String]
        var upstream: String?
        var status: JobStatus
        /// Relative to the manifest's output folder.
        var file: String?
        /// Relative to the output root.
        var storePath: String?
        var format: String?
        var width: Int?
        var height: Int?
        var bytes: Int?
        var estimatedCost: Double?
        var actualCost: Double?
        var costUnit: String?
        var attempts: Int
        /// A pending job's batch (`batches/…`) and that batch's state.
        var batch: String?
        var batchState: String?
        var durationSeconds: Double
        var error: String?
        var httpStatus: Int?
        var providerCode: String?
        var rawAnswer: String?
        var notes: [String]?
        /// Present (true) when the image's pixel size is more than 3 % off the requested ratio.
        var ratioMismatch: Bool?
        /// The journaled task of an earlier run that this run polled instead of creating another.
        var resumedTask: String?
        var skippedForBudget: Bool?
        /// Inputs as they entered the content key, so the next build can say what changed.
        var requestedFormat: String
        var variant: Int
        var referenceHashes: [String]
        var upstreamOutputHash: String?
        /// Against the previous build: "new", "made again" or "restored from cache" (with `changeReason`), or "unchanged".
        var change: String?
        var changeReason: String?
        /// The image this job had before it was made again, when the store still holds it (relative to the output root).
        var previousStorePath: String?
        /// Contact-sheet fields (filled by templates, re-rolls and picks): the take (1 without re-rolls), whether
        /// it is its group's pick, the template values, and a chained step's own prompt text.
        var take: Int = 1
        var isPick: Bool = false
        var variables: [String: String] = [:]
        var stepPrompt: String?
    }

    var formatVersion = 1
    var manifest: String
    var generatedAt: String
    var stoppedBecause: String?
    /// USD, when the run had one.
    var budget: Double?
    /// USD the budget counted (`BudgetPolicy`: reported costs, else list prices; reservations for
    /// rejected figures and for failures that may have been billed), when the run had a budget.
    var budgetSpent: Double?
    var totals: Totals
    /// Ids of jobs not submitted because the budget would have been exceeded.
    var skippedForBudget: [String]?
    /// Submissions of earlier runs that ended with neither an image nor an answer: possibly paid.
    var unresolvedSubmissions: [SubmissionJournal.Unresolved]?
    var rateLimitCuts: [String: Int]?
    var diff: BuildDiff?
    /// The selectors and the shard ("2/4") the run was given, when it made part of the manifest
    /// (set by `run` after the report is made).
    var selectors: [String]?
    var shard: String?
    var jobs: [JobRow]

    init(
        plan: EvaluatedPlan, outcomes: [JobOutcome], outputRoot: URL, wallSeconds: Double, stoppedBecause: String?,
        facts: RunFacts = RunFacts(), now: Date = Date()
    ) {
        let graph = plan.graph
        manifest = graph.manifest.name
        generatedAt = UTCTimestamp.iso8601(now)
        self.stoppedBecause = stoppedBecause
        budget = facts.budget.map(Money.rounded)
        budgetSpent = facts.budget == nil ? nil : Money.rounded(outcomes.reduce(0) { $0 + ($1.countedCost ?? 0) })
        unresolvedSubmissions = facts.unresolvedSubmissions.isEmpty ? nil : facts.unresolvedSubmissions
        rateLimitCuts = facts.rateLimitCuts.isEmpty ? nil : facts.rateLimitCuts
        diff = facts.diff
        let changes = facts.diff?.changesByJob() ?? [:]
        var budgetSkips: [String] = []
        var rows: [JobRow] = []
        rows.reserveCapacity(graph.jobs.count)
        var totals = Totals(
            jobs: graph.jobs.count, made: 0, cached: 0, failed: 0, skipped: 0, estimatedCost: 0,
            unknownPriceJobs: 0, actualCost: [:], attempts: 0, wallSeconds: wallSeconds)
        let rootPath = outputRoot.standardizedFileURL.path
        for (job, outcome) in zip(graph.jobs, outcomes) {
            switch outcome.status {
            case .made:
                totals.made += 1
                if let price = job.unitPrice { totals.estimatedCost += price } else { totals.unknownPriceJobs += 1 }
                if let cost = outcome.actualCost { totals.actualCost[outcome.costUnit, default: 0] += cost }
            case .cached: totals.cached += 1
            case .failed:
                totals.failed += 1
                // Paid, but lost before it was stored (a full disk): still money spent.
                if let cost = outcome.actualCost { totals.actualCost[outcome.costUnit, default: 0] += cost }
            case .skipped: totals.skipped += 1
            case .pending: totals.pending = (totals.pending ?? 0) + 1
            case .notSelected: totals.notSelected = (totals.notSelected ?? 0) + 1
            }
            totals.attempts += outcome.attempts
            if outcome.resumedTaskID != nil { totals.resumedTasks += 1 }
            if outcome.skippedForBudget { budgetSkips.append(job.id) }
            let entry = outcome.entry
            var storePath = entry?.blobPath
            if let path = storePath, path.hasPrefix(rootPath + "/") { storePath = String(path.dropFirst(rootPath.count + 1)) }
            rows.append(
                JobRow(
                    id: job.id, key: outcome.key, promptID: job.promptID, step: job.stepID, prompt: job.promptText,
                    provider: job.provider, dialect: job.dialect, model: job.model, aspectRatio: job.aspectRatio,
                    imageSize: job.imageSize, references: job.references.map(\.written),
                    upstream: job.upstream.map { graph.jobs[$0].id }, status: outcome.status,
                    file: entry.map { "\(job.friendlyStem).\($0.info.format.fileExtension)" }, storePath: storePath,
                    format: entry?.info.format.rawValue, width: entry?.info.width, height: entry?.info.height, bytes: entry?.bytes,
                    estimatedCost: job.unitPrice.map(Money.rounded),
                    actualCost: outcome.status == .cached ? 0 : outcome.actualCost.map(Money.rounded),
                    costUnit: outcome.costUnit, attempts: outcome.attempts, batch: outcome.batch?.name,
                    batchState: outcome.batch?.state, durationSeconds: (outcome.duration * 1000).rounded() / 1000,
                    error: outcome.error, httpStatus: outcome.httpStatus, providerCode: outcome.providerCode,
                    rawAnswer: outcome.rawAnswer, notes: outcome.notes.isEmpty ? nil : outcome.notes,
                    ratioMismatch: entry.map {
                        ModelCatalog.isOffRatio(width: $0.info.width, height: $0.info.height, ratio: job.aspectRatio)
                    } == true ? true : nil,
                    resumedTask: outcome.resumedTaskID, skippedForBudget: outcome.skippedForBudget ? true : nil,
                    requestedFormat: job.format.rawValue, variant: job.variant,
                    referenceHashes: job.references.map { plan.referenceHashes[$0] ?? "" },
                    upstreamOutputHash: job.upstream.flatMap { outcomes[$0].entry?.outputHash },
                    change: facts.diff == nil ? nil : changes[job.id]?.change ?? "unchanged",
                    changeReason: changes[job.id]?.reason, previousStorePath: facts.previousImages[job.id],
                    take: job.take, isPick: job.pickedTake == job.take,
                    variables: Dictionary(job.variables.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }),
                    stepPrompt: job.stepID == nil ? nil : job.promptText))
        }
        totals.skippedForBudget = budgetSkips.count
        totals.unresolvedSubmissions = facts.unresolvedSubmissions.count
        skippedForBudget = budgetSkips.isEmpty ? nil : budgetSkips
        totals.wallSeconds = (wallSeconds * 1000).rounded() / 1000
        totals.estimatedCost = Money.rounded(totals.estimatedCost)
        totals.actualCost = totals.actualCost.mapValues(Money.rounded)
        self.totals = totals
        jobs = rows
    }
}
