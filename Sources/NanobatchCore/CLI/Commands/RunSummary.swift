import Foundation

/// What `run` prints on standard error besides progress: the no-op line, the budget refusal and
/// the summary of a finished (or stopped) run.
enum RunSummary {
    static func noOp(_ build: Build, jobs: Int) -> String {
        """
        \(build.name): 0 made, \(jobs) cached, 0 failed, 0 skipped · spent $0.00
        since the previous build: 0 new, 0 made again, \(jobs) unchanged, 0 removed
        no-op: the manifest, its reference files and all \(jobs) outputs are as the last full check left them; reports kept
        index: \(build.layout.reportPath(.json, manifest: build.name))
        page:  \(build.layout.reportPath(.html, manifest: build.name))

        """
    }

    static func overBudget(_ estimate: PlanSummary, maxCost: Double) -> String {
        if estimate.estimatedCost <= maxCost + 1e-9 {
            let count = estimate.unknownPriceJobs
            return
                "error: \(count) job\(count == 1 ? " has" : "s have") no known price, so the budget \(Money.format(maxCost)) cannot be kept; nothing was run. Set their price in \"pricing\".\n"
        }
        return
            "error: the estimated cost \(Money.format(estimate.estimatedCost)) exceeds the budget \(Money.format(maxCost)); nothing was run. Raise budget.maxCost or pass --max-cost.\n"
    }

    /// " + up to $0.08 for 2 failed jobs that may have been paid": jobs whose request reached the
    /// provider but whose outcome is unknown, at their list price. Empty when there are none.
    static func possiblyPaid(_ jobs: [Job], _ outcomes: [JobOutcome]) -> String {
        // A free dialect (offline) charges nothing, whatever happened to its request.
        let unknown = zip(jobs, outcomes).filter { job, outcome in
            outcome.status == .failed && outcome.outcomeUnknown && DialectRegistry.dialect(named: job.dialect)?.submissionKind != .free
        }.map(\.0)
        guard !unknown.isEmpty else { return "" }
        let prices = unknown.compactMap(\.unitPrice)
        var amount = prices.isEmpty ? "an unknown amount" : "up to " + Money.format(prices.reduce(0, +))
        if !prices.isEmpty && prices.count < unknown.count { amount += " and an unknown amount" }
        return " + \(amount) for \(unknown.count) failed job\(unknown.count == 1 ? "" : "s") that may have been paid"
    }

    /// How many jobs failed and where to read why: the progress printer told each one as it
    /// happened; without it (`--quiet`) the first ones are listed here, and the rest counted.
    static func failures(_ report: IndexReport, printed: Bool) -> String {
        let count = report.totals.failed
        guard count > 0 else { return "" }
        if printed { return "\(Plural.count(count, "job")) failed: each is printed above; every error is in index.json\n" }
        let shown = ProgressPrinter.Pace().failuresInFull
        var text = ""
        for row in report.jobs.lazy.filter({ $0.status == .failed }).prefix(shown) {
            text += "failed \(row.id): \(row.error ?? "unknown error")\n"
        }
        if count > shown { text += "… \(Plural.count(count - shown, "more failure")): see index.json\n" }
        return text
    }

    /// "selected: hero · shard 2/4 — 12 of 48 jobs (shard budget $0.50: 25.0 % of $2.00)"; `maxCost`: the manifest's.
    static func selection(_ share: PlanShare, maxCost: Double?) -> String {
        var text = "selected: \(share.label) — \(share.plan.graph.jobs.count) of \(Plural.count(share.whole.graph.jobs.count, "job"))"
        if let shard = share.shard, let assignment = share.assignment, let maxCost, let budget = share.budget(from: maxCost) {
            let percent = (assignment.share(of: shard) * 1000).rounded() / 10
            text += " (shard budget \(Money.format(budget)): \(percent) % of \(Money.format(maxCost)))"
        }
        return text + "\n"
    }

    /// The last line of `run`: "finished in 1m 12s", or "stopped after 3.4s".
    static func totalTime(_ seconds: Double, stopped: Bool) -> String {
        "\(stopped ? "stopped after" : "finished in") \(ElapsedTime.short(seconds))\n"
    }

    static func finished(
        _ build: Build, report: IndexReport, diff: BuildDiff?, evaluated: EvaluatedPlan, outcomes: [JobOutcome],
        maxCost: Double?, failuresPrinted: Bool
    ) -> String {
        let totals = report.totals
        var text = "\(build.name): \(totals.made) made, \(totals.cached) cached, \(totals.failed) failed, \(totals.skipped) skipped"
        if let pending = totals.pending { text += ", \(pending) pending" }
        if let notSelected = totals.notSelected { text += ", \(notSelected) not selected" }
        text += " · spent \(Money.describe(totals.actualCost))"
        text += possiblyPaid(evaluated.graph.jobs, outcomes)
        if totals.made > 0 {
            text += " (list price of what was made: \(Money.format(totals.estimatedCost))"
            text += totals.unknownPriceJobs > 0 ? " + \(totals.unknownPriceJobs) of unknown price)" : ")"
        }
        if let diff {
            text += "\nsince the previous build: \(diff.counts)"
        }
        text += "\n" + failures(report, printed: failuresPrinted)
        text +=
            "index: \(build.layout.reportPath(.json, manifest: build.name))\npage:  \(build.layout.reportPath(.html, manifest: build.name))\n"
        if let maxCost, let counted = report.budgetSpent {
            text += "budget: \(Money.format(counted)) of \(Money.format(maxCost)) counted"
            text +=
                counted > maxCost + 1e-9
                ? " — over the budget: a provider charged a job more than it reserved (see the jobs' costs)\n" : "\n"
        }
        if totals.skippedForBudget > 0 {
            let count = totals.skippedForBudget
            text +=
                "budget: \(count) job\(count == 1 ? " was" : "s were") not submitted; spending more would have exceeded \(Money.format(maxCost ?? 0))\n"
        }
        if let pending = totals.pending {
            let batches = Set(report.jobs.compactMap(\.batch)).sorted()
            text +=
                "\(Plural.count(pending, "job")) pending in \(batches.isEmpty ? "batches" : batches.joined(separator: ", ")) (counted at the batch price): run `nanobatch run` again to collect them; the journal keeps the batches, so nothing is paid twice\n"
        }
        if totals.resumedTasks > 0 {
            text +=
                "resumed \(totals.resumedTasks) task\(totals.resumedTasks == 1 ? "" : "s") an earlier run had paid for, instead of creating new ones\n"
        }
        for (provider, cuts) in report.rateLimitCuts ?? [:] {
            text +=
                "provider \(provider) pushed back with 429s (rate limited): its send rate and concurrency were cut \(cuts) time\(cuts == 1 ? "" : "s")\n"
        }
        var announced = Set<String>()
        let jobs = evaluated.graph.jobs
        for (job, outcome) in zip(jobs, outcomes) where outcome.stopsProvider && announced.insert(job.provider).inserted {
            let unsent = outcomes.indices.filter { jobs[$0].provider == job.provider && outcomes[$0].status == .skipped }.count
            text +=
                "provider \(job.provider) stopped: \(outcome.error ?? "refused"); \(unsent == 1 ? "1 of its jobs was" : "\(unsent) of its jobs were") not submitted. Fix this, then run again: finished images are kept.\n"
        }
        return text
    }
}
