import Foundation

/// Evaluation stage: `JobGraph` + store in, `EvaluatedPlan` out (keys and cache state, no network).
package struct EvaluatedPlan: Sendable {
    package let graph: JobGraph
    package let states: [JobState]
    /// Reference hash strings by reference, as they enter content keys.
    package let referenceHashes: [Reference: String]

    package var cachedCount: Int { states.count { $0.kind == .cached } }
    package var toMakeCount: Int { states.count { $0.kind == .toMake } }
    package var blockedCount: Int { states.count { $0.kind == .blocked } }
    package var duplicateCount: Int { states.count { $0.kind == .duplicate } }

    /// Jobs that will be sent to a provider: to make now, or blocked on an upstream that will be made.
    package func willBeMade(_ index: Int) -> Bool {
        switch states[index] {
        case .toMake, .blocked: return true
        case .cached, .duplicate: return false
        }
    }

    package func key(for job: Job, upstreamOutputHash: String?) -> String {
        ContentKey.compute(
            job: job, referenceHashes: job.references.map { referenceHashes[$0] ?? "" },
            upstreamOutputHash: upstreamOutputHash)
    }
}

package struct PlanError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

package enum PlanEvaluator {
    package static func evaluate(_ graph: JobGraph, store: any ImageStore) throws -> EvaluatedPlan {
        var referenceHashes: [Reference: String] = [:]
        for job in graph.jobs {
            for reference in job.references where referenceHashes[reference] == nil {
                switch reference {
                case .url(let url):
                    referenceHashes[reference] = "url:\(url)"
                case .file(let path, let written):
                    do {
                        referenceHashes[reference] = "sha256:" + (try SHA256.hashFile(at: URL(fileURLWithPath: path))).hexString
                    } catch {
                        throw PlanError(message: "cannot read reference file \"\(written)\" (\(path))")
                    }
                }
            }
        }
        let partial = EvaluatedPlan(graph: graph, states: [], referenceHashes: referenceHashes)
        var states = lookUpUnchainedJobs(graph, plan: partial, store: store)
        var owners = RequestOwners()
        // In job order: an upstream job always comes before the jobs that use its output.
        for job in graph.jobs {
            if let upstream = job.upstream {
                guard case .cached(_, let entry)? = states[upstream] else {
                    states[job.index] = .blocked(upstream: upstream)
                    continue
                }
                states[job.index] = JobState.lookUp(partial.key(for: job, upstreamOutputHash: entry.outputHash), in: store)
            }
            if case .toMake(let key)? = states[job.index], let first = owners.claim(key, by: job.index) {
                states[job.index] = .duplicate(key: key, of: first)
            }
        }
        return EvaluatedPlan(graph: graph, states: states.map { $0! }, referenceHashes: referenceHashes)
    }

    /// The states of jobs without an upstream (cached or to make; duplicates are found afterwards),
    /// `nil` for the others. Their keys do not depend on each other, so they are worked out on every core.
    static func lookUpUnchainedJobs(_ graph: JobGraph, plan: EvaluatedPlan, store: any ImageStore) -> [JobState?] {
        let jobs = graph.jobs
        return ParallelMap.map(count: jobs.count) { index -> JobState? in
            guard jobs[index].upstream == nil else { return nil }
            return JobState.lookUp(plan.key(for: jobs[index], upstreamOutputHash: nil), in: store)
        }
    }
}
