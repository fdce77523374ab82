import Foundation

/// Finds image results in answers whose shape varies between gateways.
package enum ResultDecoder {
    /// The bytes of a `data:image/...;base64,` URL.
    package static func dataURL(_ text: String) -> Data? {
        guard text.lowercased().hasPrefix("data:"), let comma = text.firstIndex(of: ",") else { return nil }
        let header = text[text.index(text.startIndex, offsetBy: 5)..<comma].lowercased()
        guard header.hasSuffix(";base64") else { return nil }
        return base64(String(text[text.index(after: comma)...]))
    }

    /// Decodes base64, tolerating line breaks, URL-safe letters and missing padding.
    package static func base64(_ text: String) -> Data? {
        if let data = Data(base64Encoded: text) { return data }
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 {
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09: continue
            case UInt8(ascii: "-"): cleaned.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): cleaned.append(UInt8(ascii: "/"))
            default: cleaned.append(byte)
            }
        }
        while cleaned.count % 4 != 0 { cleaned.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(cleaned))
    }

    /// Image locations written inside free text: data URLs, Markdown images `![..](url)`, bare http(s) URLs.
    package static func locations(inText text: String) -> [String] {
        var found: [String] = []
        for pattern in [#"data:image/[A-Za-z0-9.+-]+;base64,[A-Za-z0-9+/=_-]+"#, #"!\[[^\]]*\]\(([^)\s]+)\)"#, #"https?://[^\s)\]"'<>]+"#] {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(text.startIndex..., in: text)
            for match in regex.matches(in: text, range: range) {
                let group = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
                if let swiftRange = Range(group, in: text) {
                    let value = String(text[swiftRange])
                    if !found.contains(value) { found.append(value) }
                }
            }
            if !found.isEmpty { return found }
        }
        return found
    }

    /// Every http(s) URL string anywhere inside a JSON value, in document order.
    package static func urls(in value: JSONValue?) -> [String] {
        guard let value else { return [] }
        return value.allStrings.filter { text in
            let lowered = text.lowercased()
            return (lowered.hasPrefix("https://") || lowered.hasPrefix("http://")) && !text.contains(" ")
        }
    }
}
