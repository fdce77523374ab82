import Foundation

/// `pricing`: `"provider:model[@size]"` → USD per image, overriding the catalog's prices.
extension ManifestValidator {
    mutating func validatePricing(_ value: JSONValue?, providers: [ProviderConfig]) -> [String: Double] {
        let pricingPath = JSONPath.root.key("pricing")
        guard let value else { return [:] }
        guard case .object(let object) = value else {
            problem(pricingPath, "expected an object of \"provider:model[@size]\": USD per image, found \(value.typeName)")
            return [:]
        }
        var pricing: [String: Double] = [:]
        for (key, price) in object.entries {
            let path = pricingPath.key(key)
            let modelPart = key.split(separator: "@", maxSplits: 1).first.map(String.init) ?? key
            let parts = modelPart.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count != 2 {
                problem(path, "key must be \"provider:model\" or \"provider:model@size\"")
            } else if !providers.isEmpty && !providers.contains(where: { $0.name == parts[0] }) {
                let hint = Suggestion.closest(to: parts[0], among: providers.map(\.name)).map { " (did you mean \"\($0):\(parts[1])\"?)" }
                problem(path, "unknown provider \"\(parts[0])\"\(hint ?? "")")
            }
            if key.contains("@"), let size = key.split(separator: "@").last.map(String.init), ImageSize(rawValue: size) == nil {
                problem(
                    path,
                    "size \"\(size)\" is not one of \(ManifestDecoder.list(ImageSize.names))\(Suggestion.hint(for: size, among: ImageSize.names))"
                )
            }
            guard case .number(let amount) = price, amount >= 0 else {
                problem(path, "expected a price in USD (a number ≥ 0), found \(price.typeName)")
                continue
            }
            pricing[key] = amount
        }
        return pricing
    }
}
