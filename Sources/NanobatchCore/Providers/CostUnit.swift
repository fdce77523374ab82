import Foundation

/// What a provider's charge is counted in: US dollars, or a provider's own credits.
package struct CostUnit: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package static let usd = CostUnit(rawValue: "USD")
    /// evolink's credits.
    package static let credits = CostUnit(rawValue: "credits")

    package let rawValue: String

    package init(rawValue: String) { self.rawValue = rawValue }

    package var description: String { rawValue }
}
