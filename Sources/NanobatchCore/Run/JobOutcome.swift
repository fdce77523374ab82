import Foundation

public enum JobStatus: String, Codable, Sendable {
    case made, cached, failed, skipped
}

/// Outcome stage data: what happened to one job.
public struct JobOutcome: Sendable {
    public var status: JobStatus
    public var key: String?
    public var entry: StoreEntry?
    public var actualCost: Double?
    public var costUnit: String = "USD"
    public var attempts: Int = 0
    public var duration: Double = 0
    public var error: String?
    public var providerCode: String?
    public var httpStatus: Int?
    public var rawAnswer: String?
    public var notes: [String] = []
    /// The provider said no later job can succeed (bad key, no credit, daily quota).
    public var stopsProvider = false
    /// Not submitted because the budget would have been exceeded.
    public var skippedForBudget = false
    /// The async task an earlier run created and this run polled instead of creating another.
    public var resumedTaskID: String?
    /// While the job runs: its ratio (to flag images of another shape) and whether the journal records it.
    var requestedRatio: String?
    var usesJournal = false
    /// The friendly file was written with the commit (so the runner does not write it again).
    var friendlyFileWritten = false

    public init(status: JobStatus, key: String? = nil, entry: StoreEntry? = nil, error: String? = nil,
                notes: [String] = [], skippedForBudget: Bool = false) {
        self.status = status
        self.key = key
        self.entry = entry
        self.error = error
        self.notes = notes
        self.skippedForBudget = skippedForBudget
    }

    public var succeeded: Bool { status == .made || status == .cached }
}
