import Foundation

/// One provider's "no new submissions" flag, shared through its `RateGovernor` by its lane and its
/// client: set the moment an answer says no later job can succeed (bad key, no credit, daily quota),
/// and checked right before every create request leaves, so that requests already started (waiting
/// for a requests-per-minute token or a retry) send nothing after the first refusal.
package final class ProviderStop: Sendable {
    private let reason = Locked<String?>(nil)

    package init() {}

    /// Records `why`, unless the provider was stopped already (the first reason is kept).
    package func stop(because why: String) {
        reason.withLock { if $0 == nil { $0 = why } }
    }

    /// Why the provider was stopped; `nil` while it takes work.
    package var stopReason: String? { reason.withLock { $0 } }
}

/// Thrown instead of sending a create request to a stopped provider: the job was not submitted.
package struct ProviderStopped: Error, Sendable, CustomStringConvertible {
    package var provider: String
    package var reason: String
    /// Requests of this job that reached the provider before the stop (and may have been billed).
    package var attempts: Int

    package var description: String { "not submitted: provider \(provider) stopped after: \(reason)" }
}
