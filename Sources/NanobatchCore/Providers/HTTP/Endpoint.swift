import Foundation

/// Joins a base URL (which may carry a path prefix such as `https://host/proxy/v1`) with an API path,
/// never dropping the prefix and never doubling or losing a slash.
public enum Endpoint {
    public static func join(_ base: String, _ path: String, query: [(String, String)] = []) -> URL? {
        var trimmedBase = base
        if let queryStart = trimmedBase.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            trimmedBase = String(trimmedBase[..<queryStart])
        }
        while trimmedBase.hasSuffix("/") { trimmedBase.removeLast() }
        var trimmedPath = Substring(path)
        while trimmedPath.hasPrefix("/") { trimmedPath.removeFirst() }
        var text = trimmedPath.isEmpty ? trimmedBase : trimmedBase + "/" + trimmedPath
        if !query.isEmpty {
            text += "?" + query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else { return nil }
        return url
    }

    /// Percent-encodes one path segment or query value (ids from providers are untrusted).
    public static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
