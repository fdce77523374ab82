import Foundation

extension EvaluatedPlan {
    /// The keys of the earlier takes of every re-rolled job whose upstream image is known: `clean` keeps
    /// them, so any earlier take can still be picked (and the contact sheet can show it).
    package func earlierTakeKeys() -> Set<String> {
        var keys = Set<String>()
        for job in graph.jobs where job.take > 1 {
            var upstreamHash: String?
            if let upstream = job.upstream {
                guard case .cached(_, let entry) = states[upstream] else { continue }
                upstreamHash = entry.outputHash
            }
            for take in 1..<job.take {
                var earlier = job
                earlier.take = take
                keys.insert(key(for: earlier, upstreamOutputHash: upstreamHash))
            }
        }
        return keys
    }
}
