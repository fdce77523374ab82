import Foundation

/// Joins a base URL (which may carry a path prefix such as `https://host/proxy/v1`) with an API path,
/// never dropping the prefix and never doubling or losing a slash. When the base already ends in
/// the path's version segment (`v1`, `v1beta`), that segment is not repeated.
package enum Endpoint {
    package static func join(_ base: String, _ path: String, query: [(String, String)] = []) -> URL? {
        var trimmedBase = base
        if let queryStart = trimmedBase.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            trimmedBase = String(trimmedBase[..<queryStart])
        }
        while trimmedBase.hasSuffix("/") { trimmedBase.removeLast() }
        var trimmedPath = Substring(path)
        while trimmedPath.hasPrefix("/") { trimmedPath.removeFirst() }
        // A base that already ends in the API version (`…/proxy/v1`) is not given it twice.
        if let version = trimmedPath.split(separator: "/").first, isVersionSegment(version),
            trimmedBase.split(separator: "/").last == version
        {
            trimmedPath = trimmedPath.dropFirst(version.count)
            while trimmedPath.hasPrefix("/") { trimmedPath.removeFirst() }
        }
        var text = trimmedPath.isEmpty ? trimmedBase : trimmedBase + "/" + trimmedPath
        if !query.isEmpty {
            text += "?" + query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else { return nil }
        return url
    }

    /// "v1", "v1beta", "v2alpha3": the pattern v[0-9]+((alpha|beta)[0-9]*)? (no regex: this runs per request).
    static func isVersionSegment(_ segment: Substring) -> Bool {
        var rest = segment.utf8[...]
        guard rest.first == UInt8(ascii: "v") else { return false }
        rest = rest.dropFirst()
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let digits = rest.prefix(while: isDigit).count
        guard digits > 0 else { return false }
        rest = rest.dropFirst(digits)
        if rest.isEmpty { return true }
        for stage in ["alpha", "beta"] where rest.starts(with: stage.utf8) {
            return rest.dropFirst(stage.utf8.count).allSatisfy(isDigit)
        }
        return false
    }

    /// Percent-encodes one path segment or query value (ids from providers are untrusted).
    /// "." and ".." are encoded too, so an id can never step to another path.
    package static func encode(_ value: String) -> String {
        if value == "." || value == ".." { return String(repeating: "%2E", count: value.count) }
        func unreserved(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                return true
            default: return false
            }
        }
        if value.utf8.allSatisfy(unreserved) { return value }
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }
}
