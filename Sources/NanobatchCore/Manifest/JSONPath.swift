import Foundation

/// Where a value sits in the manifest, written as the messages show it: `matrix.prompts[3].text`,
/// `providers["my provider"].baseURL`. The one way manifest paths are built.
struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    /// The document itself (printed as nothing).
    static let root = JSONPath(text: "")

    let text: String

    var description: String { text }

    /// The member `key` of the object at this path; keys other than letters, digits, `_`, `-`
    /// and `$` are quoted in brackets.
    func key(_ key: String) -> JSONPath {
        let plain = key.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" || $0 == "$" }
        let step = plain ? key : "[\"\(key)\"]"
        if text.isEmpty { return JSONPath(text: step) }
        return JSONPath(text: plain ? "\(text).\(key)" : "\(text)\(step)")
    }

    /// The element at `index` of the array at this path.
    func index(_ index: Int) -> JSONPath {
        JSONPath(text: "\(text)[\(index)]")
    }
}
