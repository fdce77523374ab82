/// Which shard makes each job: a pure function of the jobs and their content keys.
///
/// Jobs are assigned in units: a job whose key is known up front (it has no upstream) together
/// with every job chained to it, so a chain never leaves its source's shard; chains whose source
/// jobs share a content key (the same request) form one unit, so identical requests are made by
/// one shard. Units are dealt greedily, most expensive first (ties: more jobs, then the smaller
/// key), each to the shard with the least estimated cost so far (ties: fewer jobs, then the lower
/// index). Nothing depends on the order of the manifest, the cache or the machine, and the
/// classic bound of this greedy holds: no shard's cost exceeds the average by more than the
/// costliest unit (`maximumImbalance`).
package struct ShardAssignment: Sendable, Equatable {
    /// 0-based shard of each job, by job index.
    package let shardOfJob: [Int]
    /// Per shard (0-based): the list price of its jobs (USD; unknown prices count 0).
    package let costs: [Double]
    package let jobCounts: [Int]
    /// The costliest unit: no shard's cost exceeds `totalCost / count` by more than this.
    package let maximumImbalance: Double

    package var totalCost: Double { costs.reduce(0, +) }

    /// `keys[i]`: the content key of job `i` when it has no upstream (ignored for chained jobs).
    package init(jobs: [Job], keys: [String?], count: Int) {
        precondition(count >= 1 && keys.count == jobs.count)
        var unitOfJob = [Int](repeating: 0, count: jobs.count)
        var unitByKey: [String: Int] = [:]
        var units: [(key: String, cost: Double, jobs: Int)] = []
        for job in jobs {
            let unit: Int
            if let upstream = job.upstream {
                unit = unitOfJob[upstream]
            } else {
                let key = keys[job.index] ?? "id:\(job.id)"
                if let known = unitByKey[key] {
                    unit = known
                } else {
                    unit = units.count
                    unitByKey[key] = unit
                    units.append((key, 0, 0))
                }
            }
            unitOfJob[job.index] = unit
            units[unit].cost += job.unitPrice ?? 0
            units[unit].jobs += 1
        }
        let order = units.indices.sorted {
            let (a, b) = (units[$0], units[$1])
            if a.cost != b.cost { return a.cost > b.cost }
            if a.jobs != b.jobs { return a.jobs > b.jobs }
            return a.key < b.key
        }
        var costs = [Double](repeating: 0, count: count)
        var jobCounts = [Int](repeating: 0, count: count)
        var shardOfUnit = [Int](repeating: 0, count: units.count)
        for unit in order {
            var best = 0
            for shard in 1..<count where (costs[shard], jobCounts[shard]) < (costs[best], jobCounts[best]) { best = shard }
            shardOfUnit[unit] = best
            costs[best] += units[unit].cost
            jobCounts[best] += units[unit].jobs
        }
        shardOfJob = unitOfJob.map { shardOfUnit[$0] }
        self.costs = costs
        self.jobCounts = jobCounts
        maximumImbalance = units.map(\.cost).max() ?? 0
    }

    /// The indices of the jobs of `shard`, in job order.
    package func jobs(of shard: Shard) -> [Int] {
        shardOfJob.indices.filter { shardOfJob[$0] == shard.index - 1 }
    }

    /// The share of the estimate that falls to `shard` (by cost; by job count when nothing is priced).
    package func share(of shard: Shard) -> Double {
        let total = totalCost
        if total > 0 { return costs[shard.index - 1] / total }
        let jobs = jobCounts.reduce(0, +)
        return jobs == 0 ? 1 / Double(shard.count) : Double(jobCounts[shard.index - 1]) / Double(jobs)
    }
}
