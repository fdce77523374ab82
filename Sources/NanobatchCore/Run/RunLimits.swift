/// How much the run stage may do at once and spend.
package struct RunLimits: Sendable {
    /// Jobs in flight across all providers.
    package var concurrency: Int
    /// USD; `nil` for no budget.
    package var maxCost: Double?

    package init(concurrency: Int, maxCost: Double? = nil) {
        self.concurrency = max(1, concurrency)
        self.maxCost = maxCost
    }
}
