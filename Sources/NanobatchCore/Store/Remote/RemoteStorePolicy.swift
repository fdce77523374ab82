import Foundation

/// How the remote store is spoken to: deadlines, retries and parallelism, as data (tests and the
/// benchmark shorten them; the defaults suit a cache server on the same network or the internet).
package struct RemoteStorePolicy: Sendable, Equatable {
    /// The most one request (its answer included) may take.
    package var requestTimeout: Duration
    /// Attempts of one request and the waits between them; connection failures and 408/429/5xx are retried.
    package var retry: RetryPolicy
    /// Requests in flight at once while restoring or checking many jobs.
    package var concurrency: Int
    /// The largest image accepted from the store.
    package var maxImageBytes: Int
    /// The largest job record accepted from the store.
    package var maxRecordBytes: Int

    package static let standard = RemoteStorePolicy(
        requestTimeout: .seconds(60),
        retry: RetryPolicy(maxAttempts: 4, initialDelay: 0.5, multiplier: 2, maximumDelay: 8, jitter: 0.25, longestHonouredWait: 30),
        concurrency: 16, maxImageBytes: 64 << 20, maxRecordBytes: 64 << 10)

    package init(requestTimeout: Duration, retry: RetryPolicy, concurrency: Int, maxImageBytes: Int, maxRecordBytes: Int) {
        self.requestTimeout = requestTimeout
        self.retry = retry
        self.concurrency = max(1, concurrency)
        self.maxImageBytes = maxImageBytes
        self.maxRecordBytes = maxRecordBytes
    }
}
