import Foundation

/// `plan --shards N`: each shard's share of the selected jobs, its estimate and its budget, in one
/// table whose rows add up to the plan of the selection.
struct ShardTable: Codable, Sendable {
    struct Line: Codable, Sendable {
        var shard: String
        var jobs: Int
        var cached: Int
        var toMake: Int
        var duplicates: Int
        /// USD for the shard's jobs that will be sent; unknown prices excluded.
        var estimatedCost: Double
        /// USD: the list price of all the shard's jobs, cached or not, which its budget share comes from.
        var listCost: Double
        var budget: Double?
        var withinBudget: Bool?
    }

    var manifest: String
    var selectors: [String]?
    var manifestJobs: Int
    var jobs: Int
    var estimatedCost: Double
    var budget: Double?
    var shards: [Line]

    init(_ share: PlanShare, count: Int, maxCost: Double?) {
        manifest = share.whole.graph.manifest.name
        selectors = share.selectors.isEmpty ? nil : share.selectors.map(\.text)
        manifestJobs = share.whole.graph.jobs.count
        jobs = share.plan.graph.jobs.count
        estimatedCost = PlanSummary(plan: share.plan, maxCost: nil).estimatedCost
        budget = maxCost.map(Money.rounded)
        let assignment = share.assignment ?? ShardAssignment(jobs: share.plan.graph.jobs, keys: share.plan.states.map(\.key), count: count)
        shards = (1...count).compactMap { Shard(index: $0, count: count) }.map { shard in
            let plan = PlanShare.restrict(share.plan, to: assignment.jobs(of: shard))
            let budget = maxCost.map { $0 * assignment.share(of: shard) }
            let summary = PlanSummary(plan: plan, maxCost: budget)
            return Line(
                shard: shard.description, jobs: summary.jobs, cached: summary.cached, toMake: summary.toMake,
                duplicates: summary.duplicates, estimatedCost: summary.estimatedCost,
                listCost: Money.rounded(assignment.costs[shard.index - 1]), budget: budget.map(Money.rounded),
                withinBudget: summary.withinBudget)
        }
    }

    func renderText() -> String {
        var out = "Shards of \(manifest): \(Plural.count(jobs, "job"))"
        if jobs != manifestJobs { out += " of \(manifestJobs) (\(selectors?.joined(separator: ", ") ?? ""))" }
        out += " in \(shards.count) shard\(shards.count == 1 ? "" : "s"), estimated \(Money.format(estimatedCost))\n\n"
        var table = [["shard", "jobs", "cached", "to make", "estimate", "list price", "budget"]]
        for line in shards {
            table.append([
                line.shard, "\(line.jobs)", "\(line.cached)", "\(line.toMake)", Money.format(line.estimatedCost),
                Money.format(line.listCost), line.budget.map(Money.format) ?? "none",
            ])
        }
        out += TextTable.render(table, rightAligned: Set(1..<7))
        if budget != nil {
            out += "\nEach shard's budget is the manifest's times its share of the list price (nothing cached).\n"
        }
        return out
    }
}
