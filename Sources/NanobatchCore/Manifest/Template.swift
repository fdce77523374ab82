import Foundation

/// Text with `{{name}}` placeholders (prompt and step text, export paths). Spaces inside the braces
/// are allowed (`{{ product }}`); a name is `[A-Za-z_][A-Za-z0-9_]*`.
package struct Template: Sendable, Equatable {
    /// The text between placeholders and the placeholders, in order.
    enum Part: Sendable, Equatable {
        case literal(String)
        case placeholder(String)
    }

    /// Why a text is not a template.
    struct SyntaxError: Error, Equatable {
        let message: String
    }

    let parts: [Part]

    /// Parses `text`; a `{{` without its `}}`, or braces around something that is not a name, is an error.
    init(parsing text: String) throws(SyntaxError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw SyntaxError(message: "\"{{\" without its closing \"}}\"")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard Template.isName(name) else {
                throw SyntaxError(
                    message: "\"{{\(rest[open.upperBound..<close.lowerBound])}}\" is not a placeholder; names are letters, digits and '_'")
            }
            parts.append(.placeholder(name))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    /// `text` as it is, with no placeholders.
    init(literal text: String) { parts = [.literal(text)] }

    /// The placeholder names, each once, in the order they first appear.
    var names: [String] {
        var seen = Set<String>()
        return parts.compactMap { part in
            guard case .placeholder(let name) = part, seen.insert(name).inserted else { return nil }
            return name
        }
    }

    /// The text with each placeholder replaced by its value (a name without a value is kept as written).
    func render(_ values: [String: String]) -> String {
        parts.map { part in
            switch part {
            case .literal(let text): return text
            case .placeholder(let name): return values[name] ?? "{{\(name)}}"
            }
        }.joined()
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, at most 64 characters.
    static func isName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64 else { return false }
        func letter(_ byte: UInt8) -> Bool {
            (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_")
        }
        return letter(first) && bytes.allSatisfy { letter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }

    /// A value as it appears in job ids and file names: ASCII letters and digits lowercased, every other
    /// run of characters one `-`, none at either end (`"Tote Bag!"` → `tote-bag`). Empty when nothing is left.
    static func slug(_ value: String) -> String {
        var out = ""
        var pendingDash = false
        for scalar in value.unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                if pendingDash && !out.isEmpty { out.append("-") }
                pendingDash = false
                out.unicodeScalars.append(contentsOf: String(scalar).lowercased().unicodeScalars)
            } else {
                pendingDash = true
            }
        }
        return out
    }
}
