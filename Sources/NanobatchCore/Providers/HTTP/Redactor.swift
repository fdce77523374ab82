import Foundation

/// Removes secrets from text that will be printed or stored: the API keys themselves, in any of the
/// forms an answer may echo them in, and anything in an `Authorization`, `x-goog-api-key` or `key=` position.
///
/// A key is found written plainly, percent-encoded (`%41`, also twice: `%2541`), JSON-escaped (`\u0041`,
/// `\/`, with any number of backslashes), or mixed; and inside base64 or base64url (of the key, of
/// `Bearer key`, of any text around it): base64 of a string that starts at an offset depends on the
/// offset mod 3, so the three variants' stable cores (the characters made of key bits only) are looked for.
package struct Redactor: Sendable {
    package static let mask = "[redacted]"
    package let secrets: [String]
    /// Each secret and its base64 cores, as UTF-8, longest first.
    private let forms: [[UInt8]]

    package init(secrets: [String]) {
        // Longest first, so a key that contains another is removed whole.
        self.secrets = Set(secrets.filter { $0.count >= 4 }).sorted { $0.count > $1.count }
        var forms = Set<[UInt8]>()
        for secret in self.secrets {
            let bytes = Array(secret.utf8)
            forms.insert(bytes)
            for core in Redactor.base64Cores(bytes) where core.count >= 6 { forms.insert(core) }
        }
        self.forms = forms.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
    }

    private static let patterns: [NSRegularExpression] = [
        #"(?i)(authorization["']?\s*[:=]\s*["']?(?:bearer|basic)?\s*)[^\s"',;&]+"#,
        #"(?i)(x-goog-api-key["']?\s*[:=]\s*["']?)[^\s"',;&]+"#,
        #"(?i)([?&;]key=)[^&\s"'#]+"#,
        #"(?i)((?:api[_-]?key|access[_-]?token)["']?\s*[:=]\s*["']?)[^\s"',;&]+"#,
    ].compactMap { try? NSRegularExpression(pattern: $0) }

    package func redact(_ text: String) -> String {
        var result = removingForms(text)
        for pattern in Redactor.patterns {
            let range = NSRange(result.startIndex..., in: result)
            result = pattern.stringByReplacingMatches(in: result, range: range, withTemplate: "$1\(Redactor.mask)")
        }
        return result
    }

    /// A provider answer fit for the job's record: secrets removed, at most `limit` characters.
    package func record(_ body: Data, limit: Int = 2000) -> String {
        // Wide enough that any secret starting inside the kept text is whole when redacted, even escaped.
        let window = limit * 4 + 16 * (secrets.first?.utf8.count ?? 0) + 256
        let prefix = body.prefix(window)
        var text = String(decoding: prefix, as: UTF8.self)
        text = redact(text)
        if text.count > limit || body.count > prefix.count {
            text = String(text.prefix(limit)) + "… (\(body.count) bytes in all)"
        }
        return text
    }

    /// `text` with every form of every secret, however escaped, replaced by the mask.
    private func removingForms(_ text: String) -> String {
        guard !forms.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var position = 0
        var changed = false
        while position < bytes.count {
            if let end = forms.lazy.compactMap({ Redactor.match($0, in: bytes, at: position) }).first {
                output += Redactor.mask.utf8
                position = end
                changed = true
            } else {
                output.append(bytes[position])
                position += 1
            }
        }
        return changed ? String(decoding: output, as: UTF8.self) : text
    }

    /// The end of `form` written at `start`, each byte plainly or escaped; nil when it is not there.
    static func match(_ form: [UInt8], in bytes: [UInt8], at start: Int) -> Int? {
        var position = start
        for byte in form {
            guard let next = end(of: byte, in: bytes, at: position) else { return nil }
            position = next
        }
        return position
    }

    /// The end of one byte written plainly, as `%XX` (`%25XX`…), as `\uXXXX` or, for `/`, as `\/`.
    static func end(of byte: UInt8, in bytes: [UInt8], at position: Int) -> Int? {
        guard position < bytes.count else { return nil }
        let first = bytes[position]
        if first == byte { return position + 1 }
        var next = position + 1
        if first == UInt8(ascii: "%") {
            while next + 3 < bytes.count, bytes[next] == UInt8(ascii: "2"), bytes[next + 1] == UInt8(ascii: "5"),
                hex(bytes, next + 2, count: 2) != nil
            {
                next += 2
            }
            return hex(bytes, next, count: 2) == Int(byte) ? next + 2 : nil
        }
        guard first == UInt8(ascii: "\\") else { return nil }
        while next < bytes.count, bytes[next] == UInt8(ascii: "\\") { next += 1 }
        guard next < bytes.count else { return nil }
        if bytes[next] == UInt8(ascii: "/") { return byte == UInt8(ascii: "/") ? next + 1 : nil }
        guard bytes[next] == UInt8(ascii: "u") || bytes[next] == UInt8(ascii: "U") else { return nil }
        return hex(bytes, next + 1, count: 4) == Int(byte) ? next + 5 : nil
    }

    private static func hex(_ bytes: [UInt8], _ start: Int, count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<start + count] {
            guard let digit = Int(String(UnicodeScalar(byte)), radix: 16) else { return nil }
            value = value * 16 + digit
        }
        return value
    }

    /// For each offset mod 3 at which `secret` may sit in base64-encoded text, the characters that
    /// depend on its bits only, in base64 and base64url.
    static func base64Cores(_ secret: [UInt8]) -> [[UInt8]] {
        var cores: [[UInt8]] = []
        for offset in 0..<3 {
            let encoded = Array((Data(repeating: 0, count: offset) + Data(secret)).base64EncodedString().utf8)
            let first = (8 * offset + 5) / 6
            let last = 8 * (offset + secret.count) / 6
            guard last > first else { continue }
            let core = Array(encoded[first..<last])
            cores.append(core)
            cores.append(core.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 })
        }
        return cores
    }
}
