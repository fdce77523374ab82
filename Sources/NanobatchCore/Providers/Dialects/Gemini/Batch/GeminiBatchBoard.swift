import Foundation

/// Where each batch of the run stands, for the progress line: shared by the batch queues (which
/// write it after every poll) and the progress printer (which reads it every second).
package final class GeminiBatchBoard: Sendable {
    private struct Row: Sendable {
        var state: GeminiBatchState
        var stats: GeminiBatchStats
    }

    private let rows = Locked<[String: Row]>([:])

    package init() {}

    /// What the batch's last poll (or its create) said.
    func update(_ batch: GeminiBatch) {
        rows.withLock { $0[batch.name] = Row(state: batch.state, stats: batch.stats) }
    }

    /// "batches: 1 running 12/40, 1 pending", or nil while there are none.
    package var summary: String? {
        let rows = rows.withLock { $0 }
        guard !rows.isEmpty else { return nil }
        var parts: [String] = []
        for state in GeminiBatchState.allCases {
            let matching = rows.values.filter { $0.state == state }
            guard !matching.isEmpty else { continue }
            var part = "\(matching.count) \(state.rawValue)"
            let requests = matching.reduce(0) { $0 + $1.stats.requests }
            if state == .running, requests > 0 {
                let finished = matching.reduce(0) { $0 + $1.stats.succeeded + $1.stats.failed }
                part += " \(finished)/\(requests)"
            }
            parts.append(part)
        }
        return "\(rows.count == 1 ? "batch" : "batches"): " + parts.joined(separator: ", ")
    }
}
