import Foundation

/// One provider as the run sees it: its adapter, the governor that holds its rate control (send-rate
/// limiter, adaptive concurrency, requests-per-minute bucket), and the deadline of each of its jobs.
package struct ProviderLane: Sendable {
    package let name: String
    package let provider: any ImageProvider
    package let governor: RateGovernor
    /// How long one job may take, from its start (async dialects poll until it passes).
    package let deadline: Duration

    package init(
        name: String, provider: any ImageProvider, governor: RateGovernor,
        deadline: Duration = ProviderLane.defaultDeadline
    ) {
        self.name = name
        self.provider = provider
        self.governor = governor
        self.deadline = deadline
    }

    /// A lane with a fixed concurrency limit and no requests-per-minute limit.
    package init(name: String, provider: any ImageProvider, concurrency: Int, deadline: Duration = ProviderLane.defaultDeadline) {
        self.init(
            name: name, provider: provider, governor: RateGovernor(concurrency: concurrency, requestsPerMinute: nil),
            deadline: deadline)
    }

    /// The manifest's default job deadline.
    package static let defaultDeadline = Duration.seconds(ManifestDefaults.deadlineSeconds)

    /// Jobs this lane may have in flight now: the configured concurrency, lowered after 429s, plus the
    /// jobs that are waiting out a 429 and hold no slot meanwhile.
    package var currentLimit: Int { governor.currentLimit }
    /// Jobs in flight that are waiting out a 429 (they do not count against the run's concurrency).
    package var jobsWaitingOutRateLimit: Int { governor.jobsWaitingOutRateLimit }
}

extension ProviderLane {
    /// How often a 429 cut each lane's limit, for lanes where it happened.
    static func rateLimitCuts(_ lanes: [ProviderLane]) -> [String: Int] {
        Dictionary(lanes.compactMap { $0.governor.cutCount > 0 ? ($0.name, $0.governor.cutCount) : nil }, uniquingKeysWith: { $0 + $1 })
    }
}
