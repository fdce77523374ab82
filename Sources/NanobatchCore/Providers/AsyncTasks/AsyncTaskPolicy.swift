import Foundation

/// How an async dialect treats tasks that fail or cannot be resumed, and what its cost is counted
/// in: data the driver reads, not code in each adapter.
struct AsyncTaskPolicy: Sendable, Equatable {
    /// The dialects that only resubmit a journaled task the provider no longer knows; costs in USD.
    static let standard = AsyncTaskPolicy(retryLaterCodes: [], costUnit: .usd)

    /// Provider codes meaning "the same request may succeed later". A journaled task that failed
    /// with one is submitted again; a new task that fails with one is submitted again within the
    /// retry policy. Any other code is final. Empty: never resubmit a failed task.
    var retryLaterCodes: Set<String>
    /// What `actualCost` is counted in.
    var costUnit: CostUnit

    /// Whether a failed new task may be submitted again at all.
    var resubmitsFailedTasks: Bool { !retryLaterCodes.isEmpty }

    func isRetryLater(_ failure: ProviderFailure) -> Bool {
        failure.providerCode.map(retryLaterCodes.contains) == true
    }

    /// Whether a journaled task whose poll failed is replaced by a new one (instead of failing the job).
    /// A task that finished but whose image could not be downloaded never comes here: it was paid for.
    func resubmitsAfterResuming(_ failure: ProviderFailure) -> Bool {
        failure.saysTaskUnknown || isRetryLater(failure)
    }

    /// The job's note when a journaled task is replaced by a new one.
    func resumeNote(taskID: String, failure: ProviderFailure) -> String {
        if resubmitsFailedTasks {
            return "journaled task \(taskID) cannot be resumed (\(failure.providerCode ?? "unknown to the provider")); submitted again"
        }
        return "journaled task \(taskID) is unknown to the provider; submitted again"
    }
}
