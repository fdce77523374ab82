import Foundation

/// evolink's rules for `callback_url`: HTTPS only, no private or loopback address, at most 2048 characters.
package enum CallbackURLCheck {
    package static let maxLength = 2048

    /// What is wrong with a callback URL, or `nil` when it is acceptable.
    package static func problem(_ text: String) -> String? {
        if text.count > maxLength { return "is \(text.count) characters; evolink accepts at most \(maxLength)" }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return "\"\(text)\" is not a URL"
        }
        guard scheme == "https" else { return "must use https (evolink refuses \(scheme) callbacks)" }
        guard var host = components.host?.lowercased(), !host.isEmpty else { return "\"\(text)\" has no host" }
        if components.user != nil || components.password != nil { return "must not carry credentials" }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") || host.hasSuffix(".local") || host.hasSuffix(".internal") {
            return "points at \(host), a local name; evolink only calls public addresses"
        }
        if isPrivate(host) { return "points at \(host), a private or loopback address; evolink only calls public addresses" }
        return nil
    }

    /// Loopback, private, link-local, carrier-grade NAT and unspecified addresses (IPv4 and IPv6 literals).
    package static func isPrivate(_ host: String) -> Bool {
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        if octets.count == 4, octets.allSatisfy({ $0 != nil && (0...255).contains($0!) }) {
            let a = octets[0]!
            let b = octets[1]!
            return a == 0 || a == 10 || a == 127 || (a == 169 && b == 254) || (a == 172 && (16...31).contains(b))
                || (a == 192 && b == 168) || (a == 100 && (64...127).contains(b))
        }
        if host.contains(":") {
            let lowered = host.lowercased()
            if lowered == "::1" || lowered == "::" { return true }
            if lowered.hasPrefix("::ffff:") { return isPrivate(String(lowered.dropFirst(7))) }
            if let first = lowered.split(separator: ":").first, let value = UInt16(first, radix: 16) {
                return value & 0xfe00 == 0xfc00 || value & 0xffc0 == 0xfe80
            }
        }
        return false
    }
}
