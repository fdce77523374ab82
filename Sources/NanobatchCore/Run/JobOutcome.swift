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

    public var succeeded: Bool { status == .made || status == .cached }
}
