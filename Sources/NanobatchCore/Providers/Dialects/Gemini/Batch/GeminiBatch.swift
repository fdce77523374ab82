import Foundation

/// Where a Gemini batch stands. Google says `BATCH_STATE_*`; SDKs say `JOB_STATE_*`: both are read.
package enum GeminiBatchState: String, Sendable, Equatable, CaseIterable {
    case pending, running, succeeded, failed, cancelled, expired, unknown

    /// The state a wire name stands for (`BATCH_STATE_RUNNING`, `JOB_STATE_SUCCEEDED`, …).
    package init(wire: String?) {
        var name = (wire ?? "").uppercased()
        for prefix in ["BATCH_STATE_", "JOB_STATE_"] where name.hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count))
        }
        switch name {
        case "PENDING", "QUEUED": self = .pending
        case "RUNNING": self = .running
        case "SUCCEEDED": self = .succeeded
        case "FAILED": self = .failed
        case "CANCELLING": self = .running
        case "CANCELLED": self = .cancelled
        case "EXPIRED": self = .expired
        default: self = .unknown
        }
    }

    /// The batch will not change any more.
    package var isFinal: Bool { [.succeeded, .failed, .cancelled, .expired].contains(self) }

    /// A batch in this state may still give results: worth adopting instead of creating another.
    /// Anything not known to be over without results (a state this version does not know may still give them).
    package var isAdoptable: Bool { ![.failed, .cancelled, .expired].contains(self) }
}

/// Request counts of a batch (`batchStats`; the API sends them as strings).
package struct GeminiBatchStats: Sendable, Equatable {
    package var requests = 0
    package var succeeded = 0
    package var failed = 0
    package var pending = 0

    package init(requests: Int = 0, succeeded: Int = 0, failed: Int = 0, pending: Int = 0) {
        self.requests = requests
        self.succeeded = succeeded
        self.failed = failed
        self.pending = pending
    }
}

/// One batch as the API describes it (the operation answered by create, get and list).
package struct GeminiBatch: Sendable, Equatable {
    /// `batches/{id}`.
    package var name: String
    package var displayName: String?
    package var model: String?
    package var state: GeminiBatchState
    /// The state as the API wrote it, for messages.
    package var wireState: String
    package var stats: GeminiBatchStats
    package var done: Bool
    /// `files/…` holding the results (file input).
    package var responsesFile: String?
    /// Results given inline (inline input): each with `metadata`/`response`/`error`.
    package var inlinedResponses: [JSONValue]
    /// The operation's or the batch's error message, when it has one.
    package var errorMessage: String?

    /// `done` and a final state: nothing more will happen.
    package var isFinished: Bool { state.isFinal || done }
}

/// What one result line says about one key: its image (base64) and cost, or why there is none.
package struct GeminiBatchLine: Sendable {
    package enum Outcome: Sendable {
        /// `cost` is the batch-priced USD from the line's usage, `nil` without usage or token prices.
        case image(base64: String, cost: Double?, notes: [String])
        case failure(ProviderFailure)
    }

    package var key: String
    package var outcome: Outcome
}
