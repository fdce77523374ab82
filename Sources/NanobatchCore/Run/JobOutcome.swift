import Foundation

package enum JobStatus: String, Codable, Sendable {
    case made, cached, failed, skipped
    /// In a provider-side batch that has not finished (`run --no-wait`, or a stopped run): a later run collects it.
    case pending
    /// Outside the jobs this run was asked for (selectors, `--shard`): not made, and not a failure.
    case notSelected = "not-selected"

    /// Made now or found in the store.
    package var succeeded: Bool { self == .made || self == .cached }
}

/// Outcome stage data: what happened to one job.
package struct JobOutcome: Sendable {
    package var status: JobStatus
    package var key: String?
    package var entry: StoreEntry?
    package var actualCost: Double?
    package var costUnit: String = "USD"
    package var attempts: Int = 0
    package var duration: Double = 0
    package var error: String?
    package var providerCode: String?
    package var httpStatus: Int?
    package var rawAnswer: String?
    package var notes: [String] = []
    /// The provider said no later job can succeed (bad key, no credit, daily quota).
    package var stopsProvider = false
    /// Not submitted because the budget would have been exceeded.
    package var skippedForBudget = false
    /// The provider may still finish (or charge for) the job's request: the budget counts it as paid.
    package var outcomeUnknown = false
    /// USD the budget counted for this job (see `BudgetPolicy`); `nil` until the scheduler settles it.
    package var countedCost: Double?
    /// The async task an earlier run created and this run polled instead of creating another.
    package var resumedTaskID: String?
    /// A pending job's batch and its state.
    package struct BatchPlace: Sendable, Equatable {
        package var name: String
        package var state: String
    }
    package var batch: BatchPlace?
    /// While the job runs: its ratio (to flag images of another shape) and whether the journal records it.
    var requestedRatio: String?
    var usesJournal = false
    /// The friendly file was written with the commit (so the runner does not write it again).
    var friendlyFileWritten = false

    package init(
        status: JobStatus, key: String? = nil, entry: StoreEntry? = nil, error: String? = nil,
        notes: [String] = [], skippedForBudget: Bool = false
    ) {
        self.status = status
        self.key = key
        self.entry = entry
        self.error = error
        self.notes = notes
        self.skippedForBudget = skippedForBudget
    }

    package var succeeded: Bool { status == .made || status == .cached }
}
