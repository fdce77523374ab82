import Foundation

/// Money as people read it, and as JSON carries it. One rule for every printed amount: two decimals
/// (`$0.54`, `$1.07`, `$12.00`), more places only below a cent (`$0.0035`, up to four significant
/// digits), `$0.00` for zero.
enum Money {
    /// Significant digits kept for an amount below a cent.
    static let belowCentDigits = 4
    /// The most decimals ever printed: a hundred-millionth of a dollar.
    static let mostDecimals = 8

    /// "$1.20" or "$1.20 + 3.2 credits"; "$0.00" when nothing was spent.
    static func describe(_ amounts: [String: Double]) -> String {
        if amounts.isEmpty { return "$0.00" }
        let ordered = amounts.keys.sorted { ($0 == "USD" ? 0 : 1, $0) < ($1 == "USD" ? 0 : 1, $1) }
        let parts: [String] = ordered.map { unit in
            let amount = amounts[unit] ?? 0
            return unit == "USD" || !amount.isFinite ? format(amount) : "\(rounded(amount)) \(unit)"
        }
        return parts.joined(separator: " + ")
    }

    /// A sum of prices without the float noise of adding them (1.6079999999999997 → 1.608): to a
    /// millionth of a dollar, far below any price.
    static func rounded(_ amount: Double) -> Double {
        guard amount.isFinite, abs(amount) < 1e12 else { return amount }
        return (amount * 1e6).rounded() / 1e6
    }

    /// "$0.54", "$12.00", "$0.0035", "$0.00"; "an unknown amount" for a figure that is not a number.
    static func format(_ amount: Double) -> String {
        guard amount.isFinite else { return "an unknown amount" }
        if amount < 0 { return "-" + format(-amount) }
        // A decimal tie rounds up, as on paper: 0.045 is a hair below it in binary, and prints $0.05.
        let nudged = amount * (1 + 1e-12)
        guard amount > 0, amount < 0.01 else { return "$" + FixedPoint.format(nudged, decimals: 2) }
        // Below a cent: enough places for four significant digits, trailing zeros dropped (down to two).
        let leadingZeros = Int((-log10(amount)).rounded(.up)) - 1
        let decimals = min(mostDecimals, leadingZeros + belowCentDigits)
        var text = FixedPoint.format(nudged, decimals: decimals)
        while text.hasSuffix("0"), let point = text.firstIndex(of: "."), text.distance(from: point, to: text.endIndex) > 3 {
            text.removeLast()
        }
        return "$" + text
    }
}
