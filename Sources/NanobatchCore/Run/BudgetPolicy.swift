import Foundation

/// How the budget prices a job before and after it runs: policy as data, rules as pure functions
/// (`RunScheduler` applies them).
///
/// Before a job starts it reserves its worst plausible cost; a job starts only if spent plus the
/// reservations in flight plus its own stays within `maxCost`. When the provider answers, the
/// reservation is replaced by what the job counts at:
///
/// | the job | counts at |
/// |---|---|
/// | made, a USD cost reported, finite, ≥ 0 and within the bound | the reported cost |
/// | made, a reported cost negative, not finite or above the bound | its reservation (figure rejected, with a note) |
/// | made, no USD cost reported (the gateway says nothing, or credits) | its estimate (list price) |
/// | pending in a batch that has not finished | its estimate (the batch price) |
/// | not made, but a create reached the provider, or its outcome is unknown | its reservation |
/// | not made, nothing sent | 0 |
///
/// So a run ends above `maxCost` only if a provider charges a job more than its reservation.
package struct BudgetPolicy: Sendable, Equatable {
    /// Models whose cost comes from usage (Gemini's tokens: thinking, references and size vary it)
    /// reserve their estimate × this; models with a fixed price per image reserve the price.
    package var variableCostFactor: Double
    /// A reported cost above this many times the most one image of the model may cost (its highest
    /// list price, or the job's reservation if higher) is not believed.
    package var plausibleCostFactor: Double
    /// The rolling window of a provider's `spendPerTenMinutes` (600 s; shorter in tests).
    package var spendWindowSeconds: Double

    package static let standard = BudgetPolicy(variableCostFactor: 1.5, plausibleCostFactor: 10)

    package init(variableCostFactor: Double, plausibleCostFactor: Double, spendWindowSeconds: Double = 600) {
        self.variableCostFactor = variableCostFactor
        self.plausibleCostFactor = plausibleCostFactor
        self.spendWindowSeconds = spendWindowSeconds
    }

    /// What a job counts at once its provider answered, and why a reported figure was not believed.
    struct Charge: Equatable {
        /// USD.
        var amount: Double
        /// The note on the job when the reported cost was rejected.
        var rejection: String?
    }

    /// What one job reserves, and the bound on what it may report (`nil`: no price known, no bound).
    struct Prices: Equatable {
        var estimate: Double
        var reservation: Double
        var bound: Double?
    }

    func prices(for job: Job) -> Prices {
        let spec = DialectRegistry.dialect(named: job.dialect)?.model(job.model)
        let estimate = job.unitPrice ?? 0
        let reservation = spec?.tokenPrices == nil ? estimate : estimate * variableCostFactor
        let highest = max(reservation, spec?.prices.values.max() ?? 0)
        return Prices(estimate: estimate, reservation: reservation, bound: highest > 0 ? highest * plausibleCostFactor : nil)
    }

    /// What a job counts at, from its provider's answer (before its image is stored).
    func charge(for answer: JobOutcome, prices: Prices) -> Charge {
        // Submitted in a batch that has not finished: counted at its estimate until its line says.
        if answer.status == .pending { return Charge(amount: prices.estimate) }
        guard answer.status == .made else {
            let maybeBilled = answer.attempts > 0 || answer.outcomeUnknown
            return Charge(amount: maybeBilled ? prices.reservation : 0)
        }
        guard let reported = answer.actualCost else { return Charge(amount: prices.estimate) }
        let problem: String?
        if !reported.isFinite {
            problem = "not a finite amount"
        } else if reported < 0 {
            problem = "negative"
        } else if answer.costUnit == CostUnit.usd.rawValue, let bound = prices.bound, reported > bound {
            problem = "above \(Money.format(bound)), \(Self.describe(plausibleCostFactor))× the most one image of this model should cost"
        } else {
            problem = nil
        }
        if let problem {
            let shown = reported.isFinite ? Money.format(reported) : "\(reported)"
            return Charge(
                amount: prices.reservation,
                rejection: "reported cost \(shown) rejected (\(problem)); counted at its reservation \(Money.format(prices.reservation))")
        }
        return Charge(amount: answer.costUnit == CostUnit.usd.rawValue ? reported : prices.estimate)
    }

    private static func describe(_ factor: Double) -> String {
        factor == factor.rounded() && abs(factor) < 1e6 ? String(Int(factor)) : "\(factor)"
    }
}
