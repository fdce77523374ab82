import Foundation

/// What a provider's charge is counted in: US dollars, or a provider's own credits.
public struct CostUnit: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public static let usd = CostUnit(rawValue: "USD")
    /// evolink's credits.
    public static let credits = CostUnit(rawValue: "credits")

    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}
