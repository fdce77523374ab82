import Foundation

/// The value of every manifest field that may be left out: the one place they are written.
enum ManifestDefaults {
    /// Top-level `concurrency`: jobs in flight across all providers.
    static let concurrency = 16
    /// `providers.*.concurrency`: requests in flight at one provider.
    static let providerConcurrency = 4
    /// `providers.*.latencyMs` (offline dialect only).
    static let latencyMilliseconds = 0
    /// `providers.*.deadlineSeconds`: how long one job may take, polling included.
    static let deadlineSeconds: Double = 600
    /// The longest `deadlineSeconds` allowed: a week (a batch may take two days).
    static let longestDeadlineSeconds: Double = 7 * 24 * 3600
    /// The longest poll interval or retry delay allowed: an hour.
    static let longestWaitSeconds: Double = 3600
    /// `providers.*.retry`.
    static let retry = RetryPolicy.standard
    /// `matrix.variants` and `steps[*].variants`.
    static let variants = 1
    /// `matrix.format`.
    static let format = ImageFormat.png
    /// `matrix.references`: one empty set, so every job runs once without references.
    static let referenceSets: [[String]] = [[]]
}
