import Foundation

/// Removes secrets from text that will be printed or stored: the API keys themselves, and anything
/// in an `Authorization`, `x-goog-api-key` or `key=` position.
package struct Redactor: Sendable {
    package static let mask = "[redacted]"
    package let secrets: [String]

    package init(secrets: [String]) {
        // Longest first, so a key that contains another is removed whole.
        self.secrets = Set(secrets.filter { $0.count >= 4 }).sorted { $0.count > $1.count }
    }

    private static let patterns: [NSRegularExpression] = [
        #"(?i)(authorization["']?\s*[:=]\s*["']?(?:bearer|basic)?\s*)[^\s"',;&]+"#,
        #"(?i)(x-goog-api-key["']?\s*[:=]\s*["']?)[^\s"',;&]+"#,
        #"(?i)([?&;]key=)[^&\s"'#]+"#,
        #"(?i)((?:api[_-]?key|access[_-]?token)["']?\s*[:=]\s*["']?)[^\s"',;&]+"#,
    ].compactMap { try? NSRegularExpression(pattern: $0) }

    package func redact(_ text: String) -> String {
        var result = text
        for secret in secrets { result = result.replacingOccurrences(of: secret, with: Redactor.mask) }
        for pattern in Redactor.patterns {
            let range = NSRange(result.startIndex..., in: result)
            result = pattern.stringByReplacingMatches(in: result, range: range, withTemplate: "$1\(Redactor.mask)")
        }
        return result
    }

    /// A provider answer fit for the job's record: secrets removed, at most `limit` characters.
    package func record(_ body: Data, limit: Int = 2000) -> String {
        // Wide enough that any secret starting inside the kept text is whole when redacted.
        let window = limit * 4 + 4 * (secrets.first?.utf8.count ?? 0) + 256
        let prefix = body.prefix(window)
        var text = String(decoding: prefix, as: UTF8.self)
        text = redact(text)
        if text.count > limit || body.count > prefix.count {
            text = String(text.prefix(limit)) + "… (\(body.count) bytes in all)"
        }
        return text
    }
}
