/// Selection stage: an `EvaluatedPlan` and what the command line asked for (selectors, then a
/// shard of what they select) in; the share of the plan a run makes out: a plan of its own,
/// re-indexed, that `run`, `plan` and `explain` use as they use a whole plan, with the way back.
///
/// Selectors pick jobs and the upstream jobs they need (`JobSelector`); the shard is then taken of
/// that selection (`ShardAssignment`), so `run M hero --shard 2/4` makes a quarter of hero's jobs.
package struct PlanShare: Sendable {
    package let whole: EvaluatedPlan
    /// The share: its jobs in the whole plan's order, indices and upstream edges renumbered.
    package let plan: EvaluatedPlan
    /// `wholeIndex[i]`: the index in `whole` of the share's job `i`.
    package let wholeIndex: [Int]
    package let selectors: [JobSelector]
    package let shard: Shard?
    /// The assignment of the selected jobs to shards, when a shard was asked for.
    package let assignment: ShardAssignment?

    /// Every job: no selector, no shard.
    package var isWhole: Bool { selectors.isEmpty && shard == nil }

    /// The share of `whole` that `selectors` and then `shard` pick (all of it when both are absent).
    package init(_ whole: EvaluatedPlan, selectors: [JobSelector], shard: Shard?, shardCount: Int? = nil) throws {
        self.whole = whole
        self.selectors = selectors
        self.shard = shard
        let selected =
            selectors.isEmpty ? Array(whole.graph.jobs.indices) : try JobSelector.select(selectors, in: whole.graph)
        let selection = Self.restrict(whole, to: selected)
        let assignment = (shard?.count ?? shardCount).map {
            ShardAssignment(jobs: selection.graph.jobs, keys: selection.states.map(\.key), count: $0)
        }
        self.assignment = assignment
        if let shard, let assignment {
            let mine = assignment.jobs(of: shard)
            plan = Self.restrict(selection, to: mine)
            wholeIndex = mine.map { selected[$0] }
        } else {
            plan = selection
            wholeIndex = selected
        }
    }

    /// A shard's budget: the manifest's budget (`maxCost`, `--max-cost`) times the shard's share of
    /// the list-price estimate of the selected jobs with nothing cached, so the shards' budgets add
    /// up to the budget on every machine, whatever each one has cached. Selectors alone keep it whole.
    package func budget(from maxCost: Double?) -> Double? {
        guard let maxCost, let shard, let assignment else { return maxCost }
        return maxCost * assignment.share(of: shard)
    }

    /// What the run is asked for, in words: "hero, hero-night/ · shard 2/4".
    package var label: String {
        var parts: [String] = []
        if !selectors.isEmpty { parts.append(selectors.map(\.text).joined(separator: ", ")) }
        if let shard { parts.append("shard \(shard)") }
        return parts.joined(separator: " · ")
    }

    /// The part of `plan` made of the jobs `indices` (in order, closed under upstream edges):
    /// renumbered, and a job that was a duplicate of one left out now owns its request.
    static func restrict(_ plan: EvaluatedPlan, to indices: [Int]) -> EvaluatedPlan {
        if indices.count == plan.graph.jobs.count { return plan }
        var newIndex = [Int?](repeating: nil, count: plan.graph.jobs.count)
        for (position, index) in indices.enumerated() { newIndex[index] = position }
        var jobs: [Job] = []
        var states: [JobState] = []
        var owners = RequestOwners()
        for (position, index) in indices.enumerated() {
            var job = plan.graph.jobs[index]
            job.index = position
            job.upstream = job.upstream.map { newIndex[$0]! }
            jobs.append(job)
            switch plan.states[index] {
            case .cached(let key, let entry):
                states.append(.cached(key: key, entry: entry))
            case .blocked(let upstream):
                states.append(.blocked(upstream: newIndex[upstream]!))
            case .toMake(let key), .duplicate(let key, _):
                states.append(owners.claim(key, by: position).map { .duplicate(key: key, of: $0) } ?? .toMake(key: key))
            }
        }
        var dependents = [[Int]](repeating: [], count: jobs.count)
        for job in jobs { if let upstream = job.upstream { dependents[upstream].append(job.index) } }
        return EvaluatedPlan(
            graph: JobGraph(manifest: plan.graph.manifest, jobs: jobs, dependents: dependents), states: states,
            referenceHashes: plan.referenceHashes)
    }

    /// One outcome per job of the whole plan, from the outcomes of the share's jobs: a job outside
    /// the share keeps its cached image (`cached`) or is `notSelected`, with a note saying why.
    package func outcomesOfWhole(_ shareOutcomes: [JobOutcome]) -> [JobOutcome] {
        if isWhole { return shareOutcomes }
        var outcomes: [JobOutcome?] = whole.states.map { state in
            if case .cached(let key, let entry) = state { return JobOutcome(status: .cached, key: key, entry: entry) }
            return nil
        }
        for (position, index) in wholeIndex.enumerated() { outcomes[index] = shareOutcomes[position] }
        let note = "not selected: this run made \(label)"
        return outcomes.enumerated().map { index, outcome in
            outcome ?? JobOutcome(status: .notSelected, key: whole.states[index].key, notes: [note])
        }
    }
}
