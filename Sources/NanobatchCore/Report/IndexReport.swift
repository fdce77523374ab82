import Foundation

/// Report stage: plan + outcomes in, `index.json` out (written by `IndexReport+Writing.swift`, read back
/// by `PreviousBuild`). Its `Codable` form is the file's: tests decode it and hold the writer to JSONEncoder.
public struct IndexReport: Codable, Sendable {
    public struct Totals: Codable, Sendable {
        public var jobs: Int
        public var made: Int
        public var cached: Int
        public var failed: Int
        public var skipped: Int
        /// USD: the sum of the unit prices of the jobs made in this run.
        public var estimatedCost: Double
        public var unknownPriceJobs: Int
        /// What providers reported, by unit ("USD", "credits").
        public var actualCost: [String: Double]
        /// Requests that reached a provider and may have been billed.
        public var attempts: Int
        public var wallSeconds: Double
        /// Async tasks of an earlier, interrupted run that this run polled instead of paying again.
        public var resumedTasks: Int = 0
        public var skippedForBudget: Int = 0
        /// Submissions of earlier runs that may have been paid without a result (see `unresolvedSubmissions`).
        public var unresolvedSubmissions: Int = 0
    }

    /// What the run knew besides the job outcomes.
    public struct RunFacts: Sendable {
        public var budget: Double?
        public var unresolvedSubmissions: [SubmissionJournal.Unresolved]
        /// Per provider: how many times a 429 cut its concurrency.
        public var rateLimitCuts: [String: Int]
        /// Against the previous build of the manifest, when there was one.
        public var diff: BuildDiff?

        public init(budget: Double? = nil, unresolvedSubmissions: [SubmissionJournal.Unresolved] = [], rateLimitCuts: [String: Int] = [:],
                    diff: BuildDiff? = nil) {
            self.budget = budget
            self.unresolvedSubmissions = unresolvedSubmissions
            self.rateLimitCuts = rateLimitCuts
            self.diff = diff
        }
    }

    public struct JobRow: Codable, Sendable {
        public var id: String
        public var key: String?
        public var promptID: String
        public var step: String?
        public var prompt: String
        public var provider: String
        public var dialect: String
        public var model: String
        public var aspectRatio: String
        public var imageSize: String?
        public var references: [String]
        public var upstream: String?
        public var status: JobStatus
        /// Relative to the manifest's output folder.
        public var file: String?
        /// Relative to the output root.
        public var storePath: String?
        public var format: String?
        public var width: Int?
        public var height: Int?
        public var bytes: Int?
        public var estimatedCost: Double?
        public var actualCost: Double?
        public var costUnit: String?
        public var attempts: Int
        public var durationSeconds: Double
        public var error: String?
        public var httpStatus: Int?
        public var providerCode: String?
        public var rawAnswer: String?
        public var notes: [String]?
        /// Present (true) when the image's pixel size is more than 3 % off the requested ratio.
        public var ratioMismatch: Bool?
        /// The journaled task of an earlier run that this run polled instead of creating another.
        public var resumedTask: String?
        public var skippedForBudget: Bool?
        /// Inputs as they entered the content key, so the next build can say what changed.
        public var requestedFormat: String
        public var variant: Int
        public var referenceHashes: [String]
        public var upstreamOutputHash: String?
        /// Against the previous build: "new", "made again" (with `changeReason`) or "unchanged".
        public var change: String?
        public var changeReason: String?
    }

    public var formatVersion = 1
    public var manifest: String
    public var generatedAt: String
    public var stoppedBecause: String?
    /// USD, when the run had one.
    public var budget: Double?
    public var totals: Totals
    /// Ids of jobs not submitted because the budget would have been exceeded.
    public var skippedForBudget: [String]?
    /// Submissions of earlier runs that ended with neither an image nor an answer: possibly paid.
    public var unresolvedSubmissions: [SubmissionJournal.Unresolved]?
    public var rateLimitCuts: [String: Int]?
    public var diff: BuildDiff?
    public var jobs: [JobRow]

    public init(plan: EvaluatedPlan, outcomes: [JobOutcome], outputRoot: URL, wallSeconds: Double, stoppedBecause: String?,
                facts: RunFacts = RunFacts(), now: Date = Date()) {
        let graph = plan.graph
        manifest = graph.manifest.name
        generatedAt = UTCTimestamp.iso8601(now)
        self.stoppedBecause = stoppedBecause
        budget = facts.budget
        unresolvedSubmissions = facts.unresolvedSubmissions.isEmpty ? nil : facts.unresolvedSubmissions
        rateLimitCuts = facts.rateLimitCuts.isEmpty ? nil : facts.rateLimitCuts
        diff = facts.diff
        let newJobs = Set(facts.diff?.new ?? [])
        let remade = Dictionary((facts.diff?.madeAgain ?? []).map { ($0.id, $0.reason) }, uniquingKeysWith: { first, _ in first })
        var budgetSkips: [String] = []
        var rows: [JobRow] = []
        rows.reserveCapacity(graph.jobs.count)
        var totals = Totals(jobs: graph.jobs.count, made: 0, cached: 0, failed: 0, skipped: 0, estimatedCost: 0,
                            unknownPriceJobs: 0, actualCost: [:], attempts: 0, wallSeconds: wallSeconds)
        let rootPath = outputRoot.standardizedFileURL.path
        for (job, outcome) in zip(graph.jobs, outcomes) {
            switch outcome.status {
            case .made:
                totals.made += 1
                if let price = job.unitPrice { totals.estimatedCost += price } else { totals.unknownPriceJobs += 1 }
                if let cost = outcome.actualCost { totals.actualCost[outcome.costUnit, default: 0] += cost }
            case .cached: totals.cached += 1
            case .failed: totals.failed += 1
            case .skipped: totals.skipped += 1
            }
            totals.attempts += outcome.attempts
            if outcome.resumedTaskID != nil { totals.resumedTasks += 1 }
            if outcome.skippedForBudget { budgetSkips.append(job.id) }
            let entry = outcome.entry
            var storePath = entry?.blobPath
            if let path = storePath, path.hasPrefix(rootPath + "/") { storePath = String(path.dropFirst(rootPath.count + 1)) }
            rows.append(JobRow(
                id: job.id, key: outcome.key, promptID: job.promptID, step: job.stepID, prompt: job.promptText,
                provider: job.provider, dialect: job.dialect, model: job.model, aspectRatio: job.aspectRatio,
                imageSize: job.imageSize, references: job.references.map(\.written),
                upstream: job.upstream.map { graph.jobs[$0].id }, status: outcome.status,
                file: entry.map { "\(job.friendlyStem).\($0.info.format.fileExtension)" }, storePath: storePath,
                format: entry?.info.format.rawValue, width: entry?.info.width, height: entry?.info.height, bytes: entry?.bytes,
                estimatedCost: job.unitPrice, actualCost: outcome.status == .cached ? 0 : outcome.actualCost,
                costUnit: outcome.costUnit, attempts: outcome.attempts, durationSeconds: (outcome.duration * 1000).rounded() / 1000,
                error: outcome.error, httpStatus: outcome.httpStatus, providerCode: outcome.providerCode,
                rawAnswer: outcome.rawAnswer, notes: outcome.notes.isEmpty ? nil : outcome.notes,
                ratioMismatch: entry.map { ModelCatalog.isOffRatio(width: $0.info.width, height: $0.info.height, ratio: job.aspectRatio) } == true ? true : nil,
                resumedTask: outcome.resumedTaskID, skippedForBudget: outcome.skippedForBudget ? true : nil,
                requestedFormat: job.format.rawValue, variant: job.variant,
                referenceHashes: job.references.map { plan.referenceHashes[$0] ?? "" },
                upstreamOutputHash: job.upstream.flatMap { outcomes[$0].entry?.outputHash },
                change: facts.diff == nil ? nil : newJobs.contains(job.id) ? "new" : remade[job.id] != nil ? "made again" : "unchanged",
                changeReason: remade[job.id]))
        }
        totals.skippedForBudget = budgetSkips.count
        totals.unresolvedSubmissions = facts.unresolvedSubmissions.count
        skippedForBudget = budgetSkips.isEmpty ? nil : budgetSkips
        totals.wallSeconds = (wallSeconds * 1000).rounded() / 1000
        self.totals = totals
        jobs = rows
    }
}
