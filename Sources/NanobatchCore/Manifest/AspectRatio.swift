import Foundation

/// A width:height ratio nanobatch knows, as written ("16:9").
package struct AspectRatio: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The ratios every current model offers.
    static let standard = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"].map(AspectRatio.init(known:))
    /// `standard` plus the tall and wide ones only some models offer.
    static let extended = standard + ["1:4", "4:1", "1:8", "8:1"].map(AspectRatio.init(known:))

    package let rawValue: String

    /// A ratio from `extended`; `nil` for any other text.
    package init?(rawValue: String) {
        guard AspectRatio.extended.contains(where: { $0.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { rawValue = known }

    package var description: String { rawValue }

    /// Known ratios from their written form, in the order given (unknown ones left out).
    static func list(_ names: [String]) -> [AspectRatio] { names.compactMap(AspectRatio.init(rawValue:)) }

    /// Width ÷ height of any "w:h" text.
    static func value(of text: String) -> Double? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let w = Double(parts[0]), let h = Double(parts[1]), w > 0, h > 0 else { return nil }
        return w / h
    }

    /// The known ratio closest in shape to a "w:h" text nanobatch does not know ("16:10" → 3:2); nil for other text.
    static func nearest(to text: String) -> AspectRatio? {
        guard let wanted = value(of: text) else { return nil }
        return extended.min { abs(log(value(of: $0.rawValue)! / wanted)) < abs(log(value(of: $1.rawValue)! / wanted)) }
    }

    /// The ratio as it appears in file names: "16x9".
    var fileNamePart: String { rawValue.replacingOccurrences(of: ":", with: "x") }

    /// Whether a pixel size is more than 3 % off this ratio.
    func isOff(width: Int, height: Int) -> Bool {
        guard let expected = AspectRatio.value(of: rawValue), width > 0, height > 0 else { return false }
        return abs(Double(width) / Double(height) / expected - 1) > 0.03
    }
}
