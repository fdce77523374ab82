/// How much the run stage may do at once and spend.
package struct RunLimits: Sendable {
    /// Jobs in flight across all providers.
    package var concurrency: Int
    /// USD; `nil` for no budget.
    package var maxCost: Double?
    /// What each job reserves before it starts and which reported costs are believed.
    package var budgetPolicy: BudgetPolicy
    /// USD per provider name: the most its jobs may reserve in any rolling `budgetPolicy.spendWindowSeconds`.
    package var spendPerTenMinutes: [String: Double]

    package init(
        concurrency: Int, maxCost: Double? = nil, budgetPolicy: BudgetPolicy = .standard, spendPerTenMinutes: [String: Double] = [:]
    ) {
        self.concurrency = max(1, concurrency)
        self.maxCost = maxCost
        self.budgetPolicy = budgetPolicy
        self.spendPerTenMinutes = spendPerTenMinutes
    }
}
