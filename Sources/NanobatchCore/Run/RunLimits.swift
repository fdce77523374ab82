/// How much the run stage may do at once and spend.
public struct RunLimits: Sendable {
    /// Jobs in flight across all providers.
    public var concurrency: Int
    /// USD; `nil` for no budget.
    public var maxCost: Double?

    public init(concurrency: Int, maxCost: Double? = nil) {
        self.concurrency = max(1, concurrency)
        self.maxCost = maxCost
    }
}
